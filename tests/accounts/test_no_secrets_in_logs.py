"""No password, hash, token or TOTP secret ever reaches the logs or an error."""

from __future__ import annotations

import logging

import pyotp
import pytest

from cms.accounts.models import ApiToken, Role, Session, User
from cms.accounts.passwords import Passwords
from cms.clock import FixedClock

from conftest import GraphQLClient
from factories import make_user

PASSWORD = "correct horse battery staple"
NEW_PASSWORD = "an even better passphrase"


@pytest.mark.usefixtures("app")
async def test_login_flow_logs_no_secrets(
    gql: GraphQLClient, passwords: Passwords, clock: FixedClock, caplog: pytest.LogCaptureFixture
) -> None:
    """Everything logged (SQL included, at DEBUG) during a full account flow is searched
    for every secret the flow handled."""
    caplog.set_level(logging.DEBUG)
    admin = await make_user(passwords, role=Role.ADMIN, email="admin@example.org")
    login = """mutation($e: String!, $p: String!, $t: String) {
      login(email: $e, password: $p, totpCode: $t) { token } }"""
    bad = await gql(login, {"e": "admin@example.org", "p": "wrong " + PASSWORD})
    session = (await gql(login, {"e": "admin@example.org", "p": PASSWORD}))["data"]["login"][
        "token"
    ]
    auth = {"Authorization": f"Bearer {session}"}
    created = await gql(
        """mutation($p: String!) { createUser(input: {email: "new@example.org", name: "New",
        role: EDITOR, password: $p}) { id } }""",
        {"p": NEW_PASSWORD},
        **auth,
    )
    assert "errors" not in created
    api_token = (
        await gql(
            'mutation { createApiToken(input: {name: "ci", scopes: [CONTENT_READ]}) { token } }',
            **auth,
        )
    )["data"]["createApiToken"]["token"]
    await gql("{ me { email } }", Authorization=f"Bearer {api_token}")
    secret = (await gql("mutation { enableTotp { secret } }", **auth))["data"]["enableTotp"][
        "secret"
    ]
    codes = (
        await gql(
            "mutation($c: String!) { confirmTotp(code: $c) }",
            {"c": pyotp.TOTP(secret).at(clock.now())},
            **auth,
        )
    )["data"]["confirmTotp"]
    clock.advance(seconds=30)
    await gql(login, {"e": "admin@example.org", "p": PASSWORD, "t": codes[0]})
    await gql(
        'mutation($o: String!) { changePassword(currentPassword: $o, newPassword: "short") }',
        {"o": PASSWORD},
        **auth,
    )

    secrets = [PASSWORD, NEW_PASSWORD, session, api_token, secret, *codes]
    secrets += [admin.password_hash, (await User.get(email="new@example.org")).password_hash]
    secrets += [s.token_hash for s in await Session.all()]
    secrets += [t.token_hash for t in await ApiToken.all()]
    secrets += [(await User.get(id=admin.id)).password_hash]
    logged = caplog.text
    assert "INSERT" in logged  # the SQL log was captured, so the search means something
    leaked = [s for s in secrets if s in logged]
    assert leaked == []
    assert not [s for s in secrets if s in str(bad)]
