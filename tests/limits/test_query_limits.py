"""Query limits, measured before any resolver runs: for each limit, a document that
trips it and one just under it; editors get more room than the public."""

from __future__ import annotations

import pytest

from cms.accounts.models import Role
from cms.accounts.passwords import Passwords

from conftest import NOW, SECRET, GraphQLClient
from factories import staff


def nested(depth: int) -> str:
    """`articles > edges > node > authors > articles > …` exactly `depth` fields deep."""
    chain = [
        "articles(first: 1)",
        "edges",
        "node",
        "authors",
        "articles(first: 1)",
        "edges",
        "node",
        "authors",
        "articles(first: 1)",
        "edges",
        "node",
        "authors",
        "articles(first: 1)",
        "edges",
        "node",
    ]
    fields = chain[: depth - 1]
    document = "id" if fields[-1] in ("node", "authors") else "__typename"
    for field in reversed(fields):
        document = f"{field} {{ {document} }}"
    return "{ " + document + " }"


def code(result: dict) -> str | None:  # type: ignore[type-arg]
    errors = result.get("errors")
    return errors[0]["extensions"]["code"] if errors else None


@pytest.mark.usefixtures("app")
async def test_depth(gql: GraphQLClient, passwords: Passwords) -> None:
    """Depth 8 passes for the public and 9 does not; editors may go to 12."""
    assert code(await gql(nested(8))) is None
    assert code(await gql(nested(9))) == "QUERY_TOO_COMPLEX"
    _, auth = await staff(passwords, Role.EDITOR, NOW, SECRET)
    assert code(await gql(nested(12), **auth)) is None
    assert code(await gql(nested(13), **auth)) == "QUERY_TOO_COMPLEX"


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
async def test_circular_fragments_are_refused_without_a_crash(gql: GraphQLClient) -> None:
    """Fragments that spread each other are a validation error, not a hang or a 500."""
    for document in (
        "fragment A on Query { ...B } fragment B on Query { ...A } query { ...A }",
        "fragment A on Query { tags { id } ...A } query { ...A }",
        "query { ...A } fragment A on Query { ...B } fragment B on Query { ...C }"
        " fragment C on Query { ...A tags { id } }",
    ):
        result = await gql(document)
        assert code(result) == "GRAPHQL_VALIDATION_FAILED", result


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


@pytest.mark.usefixtures("app")
async def test_directives(gql: GraphQLClient) -> None:
    """50 directives pass; 51 do not."""

    # repeated plain fields: aliases would trip the alias limit first
    fifty = "{ tags { " + " ".join("id @include(if: true)" for _ in range(50)) + " } }"
    assert code(await gql(fifty)) is None
    fifty_one = "{ tags { " + " ".join("id @include(if: true)" for _ in range(51)) + " } }"
    assert code(await gql(fifty_one)) == "QUERY_TOO_COMPLEX"


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
async def test_variables_size(gql: GraphQLClient) -> None:
    """Public variables over 64 KiB are refused before any work; smaller ones pass."""
    query = "query($slug: String!) { article(slug: $slug) { id } }"
    response = await gql.http.post(
        "/graphql", json={"query": query, "variables": {"slug": "x" * (65 * 1024)}}
    )
    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
    assert code(await gql(query, {"slug": "x" * 100})) is None


@pytest.mark.usefixtures("app")
async def test_values_longer_than_their_column(gql: GraphQLClient) -> None:
    """A slug or email longer than any stored one is the caller's input, never a 500."""
    long = "x" * 1000
    article = await gql("query($s: String!) { article(slug: $s) { id } }", {"s": long})
    assert code(article) == "BAD_USER_INPUT"
    login = await gql(
        'mutation($e: String!) { login(email: $e, password: "whatever12345") { token } }',
        {"e": long + "@example.org"},
    )
    assert code(login) in ("BAD_USER_INPUT", "UNAUTHENTICATED")
