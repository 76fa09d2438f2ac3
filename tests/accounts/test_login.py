"""Logging in and out, sessions and the bearer-token authentication of requests."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from cms.accounts.models import Session, User
from cms.accounts.passwords import Passwords
from cms.accounts.tokens import SESSION_PREFIX
from cms.clock import FixedClock

from conftest import NOW, SECRET, GraphQLClient
from factories import make_user, session_for

LOGIN = """mutation($email: String!, $password: String!, $totp: String) {
  login(email: $email, password: $password, totpCode: $totp) {
    token expiresAt user { email role lastLoginAt }
  }
}"""
ME = "{ me { email role } }"
LOGOUT = "mutation { logout }"
CHANGE = """mutation($old: String!, $new: String!) {
  changePassword(currentPassword: $old, newPassword: $new)
}"""
PASSWORD = "correct horse battery staple"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.usefixtures("app")
async def test_login_returns_a_session_token_stored_only_as_a_hash(
    gql: GraphQLClient, passwords: Passwords
) -> None:
    """A right password gives a cms_sess_ token (256 bits) that works, and the
    database holds only its hash."""
    await make_user(passwords, email="desk@example.org")
    result = await gql(LOGIN, {"email": "Desk@Example.org ", "password": PASSWORD})
    payload = result["data"]["login"]
    token = payload["token"]
    assert token.startswith(SESSION_PREFIX)
    assert len(token) - len(SESSION_PREFIX) >= 43  # 62**43 > 2**256
    assert payload["user"]["email"] == "desk@example.org"
    assert payload["user"]["lastLoginAt"] is not None
    assert payload["expiresAt"] == (NOW + timedelta(hours=12)).isoformat()
    session = await Session.get()
    assert token not in session.token_hash
    assert (await gql(ME, **bearer(token)))["data"]["me"]["email"] == "desk@example.org"


@pytest.mark.usefixtures("app")
async def test_bad_logins_all_look_the_same(gql: GraphQLClient, passwords: Passwords) -> None:
    """Unknown email, wrong password and a deactivated account give one answer."""
    await make_user(passwords, email="a@example.org")
    await make_user(passwords, email="off@example.org", active=False)
    answers = set()
    for email, password in [
        ("nobody@example.org", PASSWORD),
        ("a@example.org", "wrong password!!"),
        ("off@example.org", PASSWORD),
    ]:
        result = await gql(LOGIN, {"email": email, "password": password})
        assert result["data"] is None
        error = result["errors"][0]
        answers.add((error["message"], tuple(sorted(error["extensions"].items()))))
    assert answers == {("invalid email or password", (("code", "UNAUTHENTICATED"),))}


async def test_unknown_email_costs_a_real_verify(passwords: Passwords) -> None:
    """Without an account, verify still runs argon2 against a real hash (same work)."""
    assert await passwords.verify(None, PASSWORD) is False
    assert passwords._dummy_hash.startswith("$argon2id$")


@pytest.mark.usefixtures("app")
async def test_login_rehashes_weaker_hashes(gql: GraphQLClient) -> None:
    """A hash made with older, weaker parameters is replaced on the next login."""
    from argon2 import Type
    from argon2.profiles import Parameters

    weak = Passwords(
        Parameters(
            type=Type.ID,
            version=19,
            salt_len=16,
            hash_len=32,
            time_cost=1,
            memory_cost=256,
            parallelism=1,
        )
    )
    user = await make_user(weak, email="old@example.org")
    old_hash = user.password_hash
    result = await gql(LOGIN, {"email": "old@example.org", "password": PASSWORD})
    assert "errors" not in result
    await user.refresh_from_db()
    assert user.password_hash != old_hash
    assert "m=1024" in user.password_hash


@pytest.mark.usefixtures("app")
async def test_logout_ends_the_session(gql: GraphQLClient, passwords: Passwords) -> None:
    """After logout the same token is UNAUTHENTICATED."""
    user = await make_user(passwords)
    token = await session_for(user, NOW, SECRET)
    assert (await gql(LOGOUT, **bearer(token)))["data"]["logout"] is True
    assert await Session.filter(user=user).count() == 0
    response = await gql.http.post("/graphql", json={"query": ME}, headers=bearer(token))
    assert response.status_code == 401
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


@pytest.mark.usefixtures("app")
async def test_password_change_ends_every_session(gql: GraphQLClient, passwords: Passwords) -> None:
    """Changing the password logs out every session; the new password then works."""
    user = await make_user(passwords, email="p@example.org")
    first = await session_for(user, NOW, SECRET)
    second = await session_for(user, NOW, SECRET)
    result = await gql(
        CHANGE, {"old": PASSWORD, "new": "a much better passphrase"}, **bearer(first)
    )
    assert result["data"]["changePassword"] is True
    for token in (first, second):
        response = await gql.http.post("/graphql", json={"query": ME}, headers=bearer(token))
        assert response.status_code == 401
    ok = await gql(LOGIN, {"email": "p@example.org", "password": "a much better passphrase"})
    assert ok["data"]["login"]["token"]


@pytest.mark.usefixtures("app")
async def test_password_change_checks_old_and_new(gql: GraphQLClient, passwords: Passwords) -> None:
    """A wrong current password or a short new one is BAD_USER_INPUT, and nothing changes."""
    user = await make_user(passwords)
    token = await session_for(user, NOW, SECRET)
    wrong = await gql(
        CHANGE, {"old": "not the password", "new": "long enough password"}, **bearer(token)
    )
    assert wrong["errors"][0]["extensions"]["fields"][0]["field"] == "currentPassword"
    short = await gql(CHANGE, {"old": PASSWORD, "new": "short"}, **bearer(token))
    assert short["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert short["errors"][0]["extensions"]["fields"][0]["field"] == "newPassword"
    assert await passwords.verify((await User.get(id=user.id)).password_hash, PASSWORD)


@pytest.mark.usefixtures("app")
async def test_deactivation_ends_sessions_and_tokens(
    gql: GraphQLClient, passwords: Passwords
) -> None:
    """A deactivated user's session is refused at once."""
    user = await make_user(passwords)
    token = await session_for(user, NOW, SECRET)
    await User.filter(id=user.id).update(active=False)
    response = await gql.http.post("/graphql", json={"query": ME}, headers=bearer(token))
    assert response.status_code == 401


@pytest.mark.usefixtures("app")
async def test_sessions_expire_and_slide(
    gql: GraphQLClient, passwords: Passwords, clock: FixedClock
) -> None:
    """A session lasts 12 hours from its last use; after that it is refused."""
    user = await make_user(passwords)
    token = await session_for(user, NOW, SECRET)
    clock.advance(hours=11)
    assert (await gql(ME, **bearer(token)))["data"]["me"] is not None  # slides to +12 h
    clock.advance(hours=11)
    assert (await gql(ME, **bearer(token)))["data"]["me"] is not None
    clock.advance(hours=12, seconds=1)
    response = await gql.http.post("/graphql", json={"query": ME}, headers=bearer(token))
    assert response.status_code == 401


@pytest.mark.usefixtures("app")
@pytest.mark.parametrize(
    "header",
    [
        "Bearer cms_sess_" + "A" * 43,  # well formed, unknown
        "Bearer cms_pat_" + "A" * 49,  # bad checksum
        "Bearer garbage",
        "Bearer ",
        "Basic dXNlcjpwYXNz",
        "cms_sess_" + "A" * 43,
        "",
    ],
)
async def test_bad_credentials_are_never_the_public_reader(
    client: httpx.AsyncClient, header: str
) -> None:
    """Any Authorization header that does not authenticate is a 401 UNAUTHENTICATED,
    even for a query the public may run."""
    response = await client.post(
        "/graphql", json={"query": "{ tags { name } }"}, headers={"Authorization": header}
    )
    assert response.status_code == 401
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert "data" not in response.json()


@pytest.mark.usefixtures("app")
async def test_no_header_is_the_public_reader(gql: GraphQLClient) -> None:
    """Without a token, `me` is null."""
    assert await gql(ME) == {"data": {"me": None}}
