"""Request limits before GraphQL: body size (1 MiB public, 4 MiB editors; uploads
have their own), malformed JSON, wrong content types, GET mutations: all 4xx."""

from __future__ import annotations

import json

import httpx
import pytest

from cms.accounts.models import Role
from cms.accounts.passwords import Passwords

from conftest import NOW, SECRET
from factories import staff

MiB = 1024 * 1024


def padded(size: int) -> bytes:
    """A valid request of exactly `size` bytes (a long ignored operation name)."""
    shell = json.dumps({"query": "{ tags { id } }", "operationName": None, "pad": ""})
    return shell.replace('"pad": ""', '"pad": "' + "x" * (size - len(shell)) + '"').encode()


@pytest.mark.usefixtures("app")
async def test_public_body_limit(client: httpx.AsyncClient) -> None:
    headers = {"content-type": "application/json"}
    under = await client.post("/graphql", content=padded(MiB), headers=headers)
    assert under.status_code == 200, under.text
    over = await client.post("/graphql", content=padded(MiB + 1), headers=headers)
    assert over.status_code == 413
    assert over.json()["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"


@pytest.mark.usefixtures("app")
async def test_editors_have_four_mib(client: httpx.AsyncClient, passwords: Passwords) -> None:
    _, auth = await staff(passwords, Role.EDITOR, NOW, SECRET)
    headers = {"content-type": "application/json", **auth}
    assert (await client.post("/graphql", content=padded(2 * MiB), headers=headers)).is_success
    over = await client.post("/graphql", content=padded(4 * MiB + 1), headers=headers)
    assert over.status_code == 413


@pytest.mark.usefixtures("app")
@pytest.mark.parametrize(
    "body", [b"{not json", b"", b'"a string"', b"42", b'{"query": 42}', b'{"variables": []}']
)
async def test_malformed_bodies_are_400(client: httpx.AsyncClient, body: bytes) -> None:
    response = await client.post(
        "/graphql", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 400, response.text


@pytest.mark.usefixtures("app")
@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded"])
async def test_wrong_content_types_are_refused(
    client: httpx.AsyncClient, content_type: str
) -> None:
    """A form post is what a cross-site attacker can send without a preflight."""
    response = await client.post(
        "/graphql", content=b'{"query": "{ tags { id } }"}', headers={"content-type": content_type}
    )
    assert 400 <= response.status_code < 500
    assert "tags" not in response.text


@pytest.mark.usefixtures("app")
async def test_mutations_over_get_are_refused(client: httpx.AsyncClient) -> None:
    response = await client.get("/graphql", params={"query": "mutation { logout }"})
    assert 400 <= response.status_code < 500
