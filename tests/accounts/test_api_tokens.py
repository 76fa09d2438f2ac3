"""API tokens: shown once, stored as a keyed hash, scoped within the owner's role,
expiring, revocable, and touched at most once a minute."""

from __future__ import annotations

from datetime import timedelta

import pytest

from cms.accounts.models import ApiToken, Role
from cms.accounts.passwords import Passwords
from cms.accounts.tokens import is_well_formed_api_token
from cms.clock import FixedClock

from conftest import NOW, SECRET, GraphQLClient
from factories import make_user, session_for

CREATE = """mutation($input: CreateApiTokenInput!) {
  createApiToken(input: $input) { token apiToken { id name prefix scopes expiresAt revoked } }
}"""
REVOKE = "mutation($id: ID!) { revokeApiToken(id: $id) }"
ME = "{ me { email apiTokens { id name prefix scopes lastUsedAt revoked } } }"
USERS = "{ users(first: 5) { edges { node { email } } } }"


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def _token(gql: GraphQLClient, session: str, scopes: list[str], **extra: object) -> dict:  # type: ignore[type-arg]
    result = await gql(
        CREATE, {"input": {"name": "script", "scopes": scopes, **extra}}, **auth(session)
    )
    assert "errors" not in result, result
    return result["data"]["createApiToken"]  # type: ignore[no-any-return]


@pytest.mark.usefixtures("app")
async def test_token_is_shown_once_and_stored_as_a_hash(
    gql: GraphQLClient, passwords: Passwords
) -> None:
    """The secret comes back once, well formed; later reads show only metadata."""
    user = await make_user(passwords, role=Role.EDITOR)
    session = await session_for(user, NOW, SECRET)
    created = await _token(gql, session, ["CONTENT_READ"])
    token = created["token"]
    assert is_well_formed_api_token(token)
    assert created["apiToken"]["prefix"] == token[:14]
    assert created["apiToken"]["expiresAt"] == (NOW + timedelta(days=90)).isoformat()
    listed = (await gql(ME, **auth(session)))["data"]["me"]["apiTokens"]
    assert token not in str(listed)
    row = await ApiToken.get()
    assert token not in row.token_hash and row.token_hash != token
    assert (await gql(ME, **auth(token)))["data"]["me"]["email"] == user.email


@pytest.mark.usefixtures("app")
async def test_scopes_narrow_and_never_widen(gql: GraphQLClient, passwords: Passwords) -> None:
    """An EDITOR cannot ask for USERS_ADMIN; an ADMIN's read-only token cannot list users
    nor mint a wider token."""
    editor = await make_user(passwords, role=Role.EDITOR)
    wider = await gql(
        CREATE,
        {"input": {"name": "x", "scopes": ["USERS_ADMIN"]}},
        **auth(await session_for(editor, NOW, SECRET)),
    )
    assert wider["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    admin = await make_user(passwords, role=Role.ADMIN)
    read_only = (await _token(gql, await session_for(admin, NOW, SECRET), ["CONTENT_READ"]))[
        "token"
    ]
    assert (await gql(USERS, **auth(read_only)))["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    minted = await gql(
        CREATE, {"input": {"name": "y", "scopes": ["USERS_ADMIN"]}}, **auth(read_only)
    )
    assert minted["errors"][0]["extensions"]["code"] == "FORBIDDEN"


@pytest.mark.usefixtures("app")
async def test_token_narrows_when_the_role_is_lowered(
    gql: GraphQLClient, passwords: Passwords
) -> None:
    """A token made by an ADMIN loses USERS_ADMIN once its owner is no longer ADMIN."""
    admin = await make_user(passwords, role=Role.ADMIN)
    await make_user(passwords, role=Role.ADMIN)  # someone else stays ADMIN
    token = (await _token(gql, await session_for(admin, NOW, SECRET), ["USERS_ADMIN"]))["token"]
    assert "errors" not in await gql(USERS, **auth(token))
    admin.role = Role.EDITOR
    await admin.save()
    assert (await gql(USERS, **auth(token)))["errors"][0]["extensions"]["code"] == "FORBIDDEN"


@pytest.mark.usefixtures("app")
async def test_revoked_and_expired_tokens_are_unauthenticated(
    gql: GraphQLClient, passwords: Passwords, clock: FixedClock
) -> None:
    """Revocation works at once; expiry at exactly the time asked for."""
    user = await make_user(passwords)
    session = await session_for(user, NOW, SECRET)
    revoked = await _token(gql, session, ["CONTENT_READ"])
    assert (await gql(REVOKE, {"id": revoked["apiToken"]["id"]}, **auth(session)))["data"] == {
        "revokeApiToken": True
    }
    response = await gql.http.post("/graphql", json={"query": ME}, headers=auth(revoked["token"]))
    assert response.status_code == 401
    short = await _token(
        gql, session, ["CONTENT_READ"], expiresAt=(NOW + timedelta(hours=1)).isoformat()
    )
    clock.advance(minutes=59)
    ok = await gql.http.post("/graphql", json={"query": ME}, headers=auth(short["token"]))
    assert ok.status_code == 200
    clock.advance(minutes=1)
    expired = await gql.http.post("/graphql", json={"query": ME}, headers=auth(short["token"]))
    assert expired.status_code == 401
    assert expired.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


@pytest.mark.usefixtures("app")
async def test_bad_token_requests_are_refused(gql: GraphQLClient, passwords: Passwords) -> None:
    """A past expiry, no scopes or a blank name are BAD_USER_INPUT, all fields at once."""
    session = await session_for(await make_user(passwords), NOW, SECRET)
    result = await gql(
        CREATE,
        {"input": {"name": " ", "scopes": [], "expiresAt": (NOW - timedelta(days=1)).isoformat()}},
        **auth(session),
    )
    fields = {f["field"] for f in result["errors"][0]["extensions"]["fields"]}
    assert fields == {"name", "scopes", "expiresAt"}
    assert await ApiToken.all().count() == 0


@pytest.mark.usefixtures("app")
async def test_an_expiry_needs_its_offset(gql: GraphQLClient, passwords: Passwords) -> None:
    """An expiresAt without a UTC offset is BAD_USER_INPUT, never an internal error
    from comparing it with the clock (found by the GraphQL fuzzer)."""
    session = await session_for(await make_user(passwords), NOW, SECRET)
    naive = (NOW + timedelta(days=1)).replace(tzinfo=None).isoformat()
    result = await gql(
        CREATE,
        {"input": {"name": "script", "scopes": ["CONTENT_READ"], "expiresAt": naive}},
        **auth(session),
    )
    error = result["errors"][0]
    assert error["extensions"]["code"] == "BAD_USER_INPUT", result
    assert [f["field"] for f in error["extensions"]["fields"]] == ["expiresAt"]
    assert await ApiToken.all().count() == 0


@pytest.mark.usefixtures("app")
async def test_last_used_is_coalesced(
    gql: GraphQLClient, passwords: Passwords, clock: FixedClock
) -> None:
    """Requests within a minute write lastUsedAt once; a later one moves it."""
    session = await session_for(await make_user(passwords), NOW, SECRET)
    token = (await _token(gql, session, ["CONTENT_READ"]))["token"]
    await gql(ME, **auth(token))
    clock.advance(seconds=30)
    await gql(ME, **auth(token))
    assert (await ApiToken.get()).last_used_at == NOW
    clock.advance(seconds=31)
    await gql(ME, **auth(token))
    assert (await ApiToken.get()).last_used_at == NOW + timedelta(seconds=61)


@pytest.mark.usefixtures("app")
async def test_only_the_owner_or_an_admin_revokes(gql: GraphQLClient, passwords: Passwords) -> None:
    """Someone else's token is NOT_FOUND to an editor, and revocable by an ADMIN."""
    owner = await make_user(passwords, role=Role.EDITOR)
    token_id = (await _token(gql, await session_for(owner, NOW, SECRET), ["CONTENT_READ"]))[
        "apiToken"
    ]["id"]
    other = await session_for(await make_user(passwords, role=Role.EDITOR), NOW, SECRET)
    denied = await gql(REVOKE, {"id": token_id}, **auth(other))
    assert denied["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    admin = await session_for(await make_user(passwords, role=Role.ADMIN), NOW, SECRET)
    assert (await gql(REVOKE, {"id": token_id}, **auth(admin)))["data"]["revokeApiToken"] is True
