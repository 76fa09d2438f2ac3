"""Depth: 8 fields for the public, 12 for editors, also when hidden in fragments."""

from __future__ import annotations

import pytest
from limit_documents import code, nested

from cms.accounts.models import Role
from cms.accounts.passwords import Passwords

from conftest import NOW, SECRET, GraphQLClient
from factories import staff


@pytest.mark.usefixtures("app")
async def test_depth(gql: GraphQLClient, passwords: Passwords) -> None:
    """Depth 8 passes for the public and 9 does not; editors may go to 12."""
    assert code(await gql(nested(8))) is None
    assert code(await gql(nested(9))) == "QUERY_TOO_COMPLEX"
    _, auth = await staff(passwords, Role.EDITOR, NOW, SECRET)
    assert code(await gql(nested(12), **auth)) is None
    assert code(await gql(nested(13), **auth)) == "QUERY_TOO_COMPLEX"


@pytest.mark.usefixtures("app")
async def test_depth_hidden_in_fragments(gql: GraphQLClient) -> None:
    """A deep selection split across fragments is as deep as written out."""
    deep = (
        "query { ...A } fragment A on Query { articles(first: 1) { edges { node { ...B } } } }"
        " fragment B on Article { authors { articles(first: 1) { edges { node { ...C } } } } }"
        " fragment C on Article { authors { id } }"
    )
    assert code(await gql(deep)) == "QUERY_TOO_COMPLEX"  # 9 deep
    shallow = deep.replace("{ authors { id } }", "{ id }")
    assert code(await gql(shallow)) is None  # 8 deep
