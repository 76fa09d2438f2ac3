"""Variables: 64 KiB for the public; values longer than their column."""

from __future__ import annotations

import pytest
from limit_documents import code

from conftest import GraphQLClient


@pytest.mark.usefixtures("app")
async def test_variables_size(gql: GraphQLClient) -> None:
    """Public variables over 64 KiB are refused before any work; smaller ones pass."""
    query = "query($slug: String!) { article(slug: $slug) { id } }"
    response = await gql.http.post(
        "/graphql", json={"query": query, "variables": {"slug": "x" * (65 * 1024)}}
    )
    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"
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
