"""Managing users: ADMINs create and change accounts; nobody raises their own role;
the last active ADMIN stays one."""

from __future__ import annotations

import pytest
from strawberry.relay import to_base64

from cms.accounts.models import Role, Session, User
from cms.accounts.passwords import Passwords

from conftest import NOW, SECRET, GraphQLClient
from factories import make_author, make_user, session_for

CREATE = """mutation($input: CreateUserInput!) {
  createUser(input: $input) { id email name role active author { slug } }
}"""
UPDATE = """mutation($id: ID!, $input: UpdateUserInput!) {
  updateUser(id: $id, input: $input) { email name role active author { slug } }
}"""
USERS = """query($after: String) {
  users(first: 2, after: $after) { edges { node { email } } pageInfo { hasNextPage endCursor } }
}"""


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def gid(user: User) -> str:
    return to_base64("User", user.id)


@pytest.mark.usefixtures("app")
async def test_admin_creates_a_user_linked_to_a_byline(
    gql: GraphQLClient, passwords: Passwords
) -> None:
    """createUser stores a lower-cased email, the role and the byline link."""
    admin = await session_for(await make_user(passwords, role=Role.ADMIN), NOW, SECRET)
    author = await make_author(slug="olena")
    result = await gql(
        CREATE,
        {
            "input": {
                "email": "Olena@Example.org",
                "name": "Olena",
                "role": "AUTHOR",
                "password": "twelve chars ok",
                "authorId": to_base64("Author", author.id),
            }
        },
        **auth(admin),
    )
    assert result["data"]["createUser"]["email"] == "olena@example.org"
    assert result["data"]["createUser"]["author"] == {"slug": "olena"}
    duplicate = await gql(
        CREATE,
        {
            "input": {
                "email": "olena@example.org",
                "name": "O",
                "role": "AUTHOR",
                "password": "twelve chars ok",
            }
        },
        **auth(admin),
    )
    assert duplicate["errors"][0]["extensions"]["code"] == "CONFLICT"


@pytest.mark.usefixtures("app")
async def test_create_user_reports_every_bad_field(
    gql: GraphQLClient, passwords: Passwords
) -> None:
    """A bad email, a blank name and a short password come back together."""
    admin = await session_for(await make_user(passwords, role=Role.ADMIN), NOW, SECRET)
    result = await gql(
        CREATE,
        {"input": {"email": "not-an-email", "name": "", "role": "EDITOR", "password": "short"}},
        **auth(admin),
    )
    error = result["errors"][0]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert {f["field"] for f in error["extensions"]["fields"]} == {"email", "name", "password"}
    assert await User.all().count() == 1


@pytest.mark.usefixtures("app")
async def test_nobody_changes_their_own_role(gql: GraphQLClient, passwords: Passwords) -> None:
    """An ADMIN cannot change their own role, and an EDITOR cannot call updateUser."""
    admin = await make_user(passwords, role=Role.ADMIN)
    result = await gql(
        UPDATE,
        {"id": gid(admin), "input": {"role": "EDITOR"}},
        **auth(await session_for(admin, NOW, SECRET)),
    )
    assert result["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    editor = await make_user(passwords, role=Role.EDITOR)
    result = await gql(
        UPDATE,
        {"id": gid(editor), "input": {"role": "ADMIN"}},
        **auth(await session_for(editor, NOW, SECRET)),
    )
    assert result["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert (await User.get(id=editor.id)).role == Role.EDITOR


@pytest.mark.usefixtures("app")
async def test_last_active_admin_stays(gql: GraphQLClient, passwords: Passwords) -> None:
    """With one other admin left, demoting the second-to-last works; the last cannot go."""
    first = await make_user(passwords, role=Role.ADMIN)
    second = await make_user(passwords, role=Role.ADMIN)
    token = auth(await session_for(first, NOW, SECRET))
    ok = await gql(UPDATE, {"id": gid(second), "input": {"role": "EDITOR"}}, **token)
    assert ok["data"]["updateUser"]["role"] == "EDITOR"
    third = await make_user(passwords, role=Role.ADMIN, active=False)
    result = await gql(UPDATE, {"id": gid(third), "input": {"role": "EDITOR"}}, **token)
    assert "errors" not in result  # an inactive admin is not the last active one
    # `first` is the last active ADMIN; another admin's session would be needed to
    # demote it, and there is none: check the rule in the service directly
    from cms.accounts.actor import Actor
    from cms.accounts.permissions import ROLE_SCOPES
    from cms.accounts.service import update_user
    from cms.errors import Conflict

    ghost = Actor(user_id=-1, role=Role.ADMIN, scopes=ROLE_SCOPES[Role.ADMIN])
    with pytest.raises(Conflict):
        await update_user(actor=ghost, user_id=first.id, active=False)
    with pytest.raises(Conflict):
        await update_user(actor=ghost, user_id=first.id, role=Role.EDITOR)
    assert (await User.get(id=first.id)).role == Role.ADMIN


@pytest.mark.usefixtures("app")
async def test_deactivating_ends_sessions(gql: GraphQLClient, passwords: Passwords) -> None:
    """updateUser(active: false) deletes the user's sessions."""
    admin = auth(await session_for(await make_user(passwords, role=Role.ADMIN), NOW, SECRET))
    user = await make_user(passwords, role=Role.AUTHOR)
    await session_for(user, NOW, SECRET)
    result = await gql(UPDATE, {"id": gid(user), "input": {"active": False}}, **admin)
    assert result["data"]["updateUser"]["active"] is False
    assert await Session.filter(user_id=user.id).count() == 0


@pytest.mark.usefixtures("app")
async def test_patch_leaves_out_and_clears(gql: GraphQLClient, passwords: Passwords) -> None:
    """Fields left out stay; authorId null unlinks the byline."""
    admin = auth(await session_for(await make_user(passwords, role=Role.ADMIN), NOW, SECRET))
    author = await make_author(slug="byline")
    user = await make_user(passwords, role=Role.AUTHOR, name="Before")
    linked = await gql(
        UPDATE, {"id": gid(user), "input": {"authorId": to_base64("Author", author.id)}}, **admin
    )
    assert linked["data"]["updateUser"] == {
        "email": user.email,
        "name": "Before",
        "role": "AUTHOR",
        "active": True,
        "author": {"slug": "byline"},
    }
    cleared = await gql(
        UPDATE, {"id": gid(user), "input": {"authorId": None, "name": "After"}}, **admin
    )
    assert cleared["data"]["updateUser"]["author"] is None
    assert cleared["data"]["updateUser"]["name"] == "After"


@pytest.mark.usefixtures("app")
async def test_users_list_pages(gql: GraphQLClient, passwords: Passwords) -> None:
    """`users` pages by keyset for ADMINs."""
    admin = await make_user(passwords, role=Role.ADMIN)
    for _ in range(4):
        await make_user(passwords)
    token = auth(await session_for(admin, NOW, SECRET))
    seen, after = [], None
    while True:
        page = (await gql(USERS, {"after": after}, **token))["data"]["users"]
        seen += [e["node"]["email"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert len(seen) == len(set(seen)) == 5


@pytest.mark.usefixtures("app")
async def test_users_are_nodes_only_for_themselves_and_admins(
    gql: GraphQLClient, passwords: Passwords
) -> None:
    """node(id) of a User is null to the public and to other editors."""
    user = await make_user(passwords)
    query = "query($id: ID!) { node(id: $id) { ... on User { email } } }"
    assert (await gql(query, {"id": gid(user)}))["data"]["node"] is None
    other = auth(await session_for(await make_user(passwords), NOW, SECRET))
    assert (await gql(query, {"id": gid(user)}, **other))["data"]["node"] is None
    mine = auth(await session_for(user, NOW, SECRET))
    assert (await gql(query, {"id": gid(user)}, **mine))["data"]["node"] == {"email": user.email}
