"""Tokens (1 000 public, 5 000 editors) and document size (15 000 characters public)."""

from __future__ import annotations

import pytest
from limit_documents import code

from cms.accounts.models import Role
from cms.accounts.passwords import Passwords

from conftest import NOW, SECRET, GraphQLClient
from factories import staff


@pytest.mark.usefixtures("app")
async def test_tokens_and_size(gql: GraphQLClient, passwords: Passwords) -> None:
    """Over 1000 tokens or 15000 characters is refused for the public (not editors)."""
    under = "{ " + "tags { id } " * 240 + "}"  # 4 tokens a copy + 2
    assert code(await gql(under)) in (None, "GRAPHQL_VALIDATION_FAILED")
    over = "{ " + "tags { id } " * 260 + "}"
    assert code(await gql(over)) == "QUERY_TOO_COMPLEX"
    _, auth = await staff(passwords, Role.EDITOR, NOW, SECRET)
    assert code(await gql(over, **auth)) != "QUERY_TOO_COMPLEX"
    padded = "{ tags { id } }" + " " * 15_000
    assert code(await gql(padded)) == "QUERY_TOO_COMPLEX"
    assert code(await gql("{ tags { id } }" + " " * 14_900)) is None
