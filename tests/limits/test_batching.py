"""JSON batching: off for the public, at most ten operations for editors."""

from __future__ import annotations

import httpx
import pytest

from cms.accounts.models import Role
from cms.accounts.passwords import Passwords

from conftest import NOW, SECRET
from factories import make_tag, staff

TAGS = {"query": "{ tags { name } }"}


@pytest.mark.usefixtures("app")
async def test_the_public_cannot_batch(client: httpx.AsyncClient) -> None:
    response = await client.post("/graphql", json=[TAGS, TAGS])
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"] == {"code": "BAD_REQUEST"}
    assert "credentials" in response.json()["errors"][0]["message"]
    assert response.headers["cache-control"] == "private, no-store"


@pytest.mark.usefixtures("app")
async def test_editors_batch_up_to_ten(client: httpx.AsyncClient, passwords: Passwords) -> None:
    _, auth = await staff(passwords, Role.EDITOR, NOW, SECRET)
    await make_tag("Kharkiv")
    ten = await client.post("/graphql", json=[TAGS] * 10, headers=auth)
    assert ten.status_code == 200
    assert ten.json() == [{"data": {"tags": [{"name": "Kharkiv"}]}}] * 10
    assert ten.headers["cache-control"] == "private, no-store"

    eleven = await client.post("/graphql", json=[TAGS] * 11, headers=auth)
    assert eleven.status_code == 400
    assert "1 to 10 operations, not 11" in eleven.json()["errors"][0]["message"]


@pytest.mark.usefixtures("app")
@pytest.mark.parametrize("batch", [[], [TAGS, "{ tags { name } }"], [TAGS, None], [TAGS, 3]])
async def test_malformed_batches_are_refused(
    client: httpx.AsyncClient, passwords: Passwords, batch: list[object]
) -> None:
    _, auth = await staff(passwords, Role.EDITOR, NOW, SECRET)
    response = await client.post("/graphql", json=batch, headers=auth)
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


@pytest.mark.usefixtures("app")
async def test_each_operation_of_a_batch_is_limited_and_authorized(
    client: httpx.AsyncClient, passwords: Passwords
) -> None:
    """A batch is no way around the limits or the permissions: each operation is
    checked on its own."""
    _, auth = await staff(passwords, Role.CONTRIBUTOR, NOW, SECRET)
    deep = "{ tags { name } " + "".join(f"a{i}: tags {{ name }} " for i in range(16)) + "}"
    answers = (
        await client.post(
            "/graphql",
            json=[TAGS, {"query": deep}, {"query": "{ users(first: 5) { edges { cursor } } }"}],
            headers=auth,
        )
    ).json()
    assert answers[0] == {"data": {"tags": []}}
    assert answers[1]["errors"][0]["extensions"]["code"] == "QUERY_TOO_COMPLEX"
    assert answers[2]["errors"][0]["extensions"]["code"] == "FORBIDDEN"
