"""TOTP second factor: set-up, login with codes computed from the secret, no
replays within the window, single-use recovery codes."""

from __future__ import annotations

from datetime import timedelta

import pyotp
import pytest

from cms.accounts.models import RecoveryCode, User
from cms.accounts.passwords import Passwords
from cms.accounts.totp import SecretBox
from cms.clock import FixedClock

from conftest import NOW, SECRET, GraphQLClient
from factories import make_user, session_for

ENABLE = "mutation { enableTotp { secret otpauthUri } }"
CONFIRM = "mutation($code: String!) { confirmTotp(code: $code) }"
DISABLE = "mutation($code: String!) { disableTotp(code: $code) }"
LOGIN = """mutation($totp: String) {
  login(email: "two@example.org", password: "correct horse battery staple", totpCode: $totp) {
    token user { totpEnabled }
  }
}"""


async def _enabled(
    gql: GraphQLClient, passwords: Passwords, clock: FixedClock
) -> tuple[str, list[str], str]:
    """A user with TOTP on: (secret, recovery codes, session token)."""
    user = await make_user(passwords, email="two@example.org")
    token = await session_for(user, NOW, SECRET)
    auth = {"Authorization": f"Bearer {token}"}
    setup = (await gql(ENABLE, **auth))["data"]["enableTotp"]
    secret = setup["secret"]
    assert setup["otpauthUri"].startswith("otpauth://totp/")
    assert "two%40example.org" in setup["otpauthUri"]
    codes = (await gql(CONFIRM, {"code": pyotp.TOTP(secret).at(clock.now())}, **auth))["data"][
        "confirmTotp"
    ]
    return secret, codes, token


@pytest.mark.usefixtures("app")
async def test_login_needs_the_code_once_enabled(
    gql: GraphQLClient, passwords: Passwords, clock: FixedClock
) -> None:
    """Without a code: UNAUTHENTICATED with totpRequired; with the current code: a session."""
    secret, codes, _ = await _enabled(gql, passwords, clock)
    assert len(codes) == 10 and len(set(codes)) == 10
    missing = await gql(LOGIN)
    assert missing["errors"][0]["extensions"] == {"code": "UNAUTHENTICATED", "totpRequired": True}
    wrong = await gql(
        LOGIN, {"totp": "000000" if pyotp.TOTP(secret).at(clock.now()) != "000000" else "111111"}
    )
    assert wrong["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    clock.advance(seconds=30)
    ok = await gql(LOGIN, {"totp": pyotp.TOTP(secret).at(clock.now())})
    assert ok["data"]["login"]["user"]["totpEnabled"] is True


@pytest.mark.usefixtures("app")
async def test_a_code_cannot_be_replayed(
    gql: GraphQLClient, passwords: Passwords, clock: FixedClock
) -> None:
    """The code just used is refused a second time within its window, and so is an
    older one; the next step's code works."""
    secret, _, _ = await _enabled(gql, passwords, clock)
    clock.advance(seconds=30)
    code = pyotp.TOTP(secret).at(clock.now())
    assert "errors" not in await gql(LOGIN, {"totp": code})
    replay = await gql(LOGIN, {"totp": code})
    assert replay["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    older = pyotp.TOTP(secret).at(clock.now() - timedelta(seconds=30))
    assert (await gql(LOGIN, {"totp": older}))["errors"][0]["extensions"][
        "code"
    ] == "UNAUTHENTICATED"
    clock.advance(seconds=30)
    assert "errors" not in await gql(LOGIN, {"totp": pyotp.TOTP(secret).at(clock.now())})


@pytest.mark.usefixtures("app")
async def test_recovery_codes_work_once(
    gql: GraphQLClient, passwords: Passwords, clock: FixedClock
) -> None:
    """A recovery code logs in once; the same code is refused afterwards."""
    _, codes, _ = await _enabled(gql, passwords, clock)
    assert "errors" not in await gql(LOGIN, {"totp": codes[0].upper()})
    again = await gql(LOGIN, {"totp": codes[0]})
    assert again["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert await RecoveryCode.filter(used_at__isnull=False).count() == 1
    stored = {r.code_hash for r in await RecoveryCode.all()}
    assert not stored & set(codes)  # kept only as hashes


@pytest.mark.usefixtures("app")
async def test_disable_needs_a_valid_code(
    gql: GraphQLClient, passwords: Passwords, clock: FixedClock
) -> None:
    """disableTotp refuses a wrong code and accepts a recovery code; login then needs none."""
    _, codes, token = await _enabled(gql, passwords, clock)
    auth = {"Authorization": f"Bearer {token}"}
    bad = await gql(DISABLE, {"code": "123456"}, **auth)
    assert bad["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert (await gql(DISABLE, {"code": codes[1]}, **auth))["data"]["disableTotp"] is True
    user = await User.get(email="two@example.org")
    assert not user.totp_enabled and user.totp_secret is None
    assert await RecoveryCode.filter(user=user).count() == 0
    assert (await gql(LOGIN))["data"]["login"]["user"]["totpEnabled"] is False


@pytest.mark.usefixtures("app")
async def test_confirm_refuses_a_wrong_code(
    gql: GraphQLClient, passwords: Passwords, clock: FixedClock
) -> None:
    """TOTP stays off until a right code confirms the secret."""
    user = await make_user(passwords)
    auth = {"Authorization": f"Bearer {await session_for(user, NOW, SECRET)}"}
    secret = (await gql(ENABLE, **auth))["data"]["enableTotp"]["secret"]
    wrong = str((int(pyotp.TOTP(secret).at(clock.now())) + 1) % 1_000_000).zfill(6)
    result = await gql(CONFIRM, {"code": wrong}, **auth)
    assert result["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert not (await User.get(id=user.id)).totp_enabled


@pytest.mark.usefixtures("app")
async def test_secrets_are_sealed_at_rest(
    gql: GraphQLClient, passwords: Passwords, clock: FixedClock
) -> None:
    """The database holds no usable secret: it is sealed under the secret key and
    bound to its row; a sealed secret copied to another account does not open."""
    secret, _, _ = await _enabled(gql, passwords, clock)
    user = await User.get(email="two@example.org")
    assert user.totp_secret is not None and user.totp_secret.startswith("v1:")
    assert secret not in user.totp_secret
    assert len(user.totp_secret) <= 128  # the column
    box = SecretBox(SECRET)
    assert box.open(user.totp_secret, user.id) == secret
    assert box.open(user.totp_secret, user.id + 1) is None
    assert box.open("v1:not base64!", user.id) is None  # a damaged value opens to nothing
    assert box.open("v1:AAAA", user.id) is None
    assert (
        SecretBox("another secret key, long enough to be one").open(user.totp_secret, user.id)
        is None
    )

    # the attacker's own account, given the victim's sealed secret, cannot use it
    other = await make_user(passwords, email="mallory@example.org")
    await User.filter(id=other.id).update(totp_secret=user.totp_secret, totp_enabled=True)
    clock.advance(seconds=30)
    stolen = await gql(
        """mutation($totp: String) { login(email: "mallory@example.org",
        password: "correct horse battery staple", totpCode: $totp) { token } }""",
        {"totp": pyotp.TOTP(secret).at(clock.now())},
    )
    assert stolen["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


@pytest.mark.usefixtures("app")
async def test_secrets_stored_before_sealing_still_work(
    gql: GraphQLClient, passwords: Passwords, clock: FixedClock
) -> None:
    secret = pyotp.random_base32()
    await make_user(passwords, email="two@example.org", totp_secret=secret, totp_enabled=True)
    ok = await gql(LOGIN, {"totp": pyotp.TOTP(secret).at(clock.now())})
    assert ok["data"]["login"]["user"]["totpEnabled"] is True
