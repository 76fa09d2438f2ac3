"""Cost: a list multiplies its children's cost by its `first`."""

from __future__ import annotations

import pytest
from limit_documents import code

from conftest import GraphQLClient


@pytest.mark.usefixtures("app")
async def test_cost_multiplies_nested_lists(gql: GraphQLClient) -> None:
    """Nested `first: 100` lists cannot explode: under the cost limit passes, over
    it is refused, counting variables' values too."""
    cheap = "{ articles(first: 100) { edges { node { id title } } } }"
    assert code(await gql(cheap)) is None
    explosive = (
        "{ articles(first: 100) { edges { node { authors {"
        " articles(first: 100) { edges { node { id title } } } } } } } }"
    )
    assert code(await gql(explosive)) == "QUERY_TOO_COMPLEX"
    by_variable = (
        "query($n: Int) { articles(first: $n) { edges { node { authors {"
        " articles(first: $n) { edges { node { id } } } } } } } }"
    )
    assert code(await gql(by_variable, {"n": 5})) is None
    assert code(await gql(by_variable, {"n": 100})) == "QUERY_TOO_COMPLEX"


@pytest.mark.usefixtures("app")
async def test_fragment_bomb(gql: GraphQLClient) -> None:
    """Each fragment spreads the one before twice: a 1 KB document that means 2^29
    selections is refused by its cost, quickly, without being expanded."""
    fragments = ["fragment F0 on Query { tags { id } }"] + [
        f"fragment F{i} on Query {{ ...F{i - 1} ...F{i - 1} }}" for i in range(1, 30)
    ]
    assert code(await gql("query { ...F29 } " + " ".join(fragments))) == "QUERY_TOO_COMPLEX"
    small = fragments[:4]  # 8 copies of `tags`: fine
    assert code(await gql("query { ...F3 } " + " ".join(small))) is None
