"""Aliases: 15, counted through fragment spreads (CVE-2026-47707: strawberry's own
limiter did not look into fragments)."""

from __future__ import annotations

import pytest
from limit_documents import code

from conftest import GraphQLClient


@pytest.mark.usefixtures("app")
async def test_aliases_counted_through_fragments(gql: GraphQLClient) -> None:
    """15 aliases pass; 16 do not, also when hidden in a fragment spread several times
    (the bypass of strawberry's own limiter)."""
    fifteen = "{ " + " ".join(f"a{i}: tags {{ id }}" for i in range(15)) + " }"
    assert code(await gql(fifteen)) is None
    sixteen = "{ " + " ".join(f"a{i}: tags {{ id }}" for i in range(16)) + " }"
    assert code(await gql(sixteen)) == "QUERY_TOO_COMPLEX"
    spread = (
        "fragment F on Query { a: tags { id } b: tags { id } c: tags { id } d: tags { id } }"
        " query { ...F ...F ...F ...F ... on Query { e: tags { id } } }"
    )
    assert code(await gql(spread)) == "QUERY_TOO_COMPLEX"
    nested_spreads = (
        "fragment A on Query { a1: tags { id } a2: tags { id } a3: tags { id } a4: tags { id } }"
        " fragment B on Query { ...A ...A } query { ...B ...B }"
    )
    assert code(await gql(nested_spreads)) == "QUERY_TOO_COMPLEX"


@pytest.mark.usefixtures("app")
async def test_aliases_only_in_fragments(gql: GraphQLClient) -> None:
    """The advisory's document: the operation itself has no alias, every one is in
    fragments; 16 of them are refused however they are spread."""
    aliases = " ".join(f"a{i}: tags {{ id }}" for i in range(16))
    assert code(await gql(f"query {{ ...F }} fragment F on Query {{ {aliases} }}")) == (
        "QUERY_TOO_COMPLEX"
    )
    fifteen = " ".join(f"a{i}: tags {{ id }}" for i in range(15))
    assert code(await gql(f"query {{ ...F }} fragment F on Query {{ {fifteen} }}")) is None
