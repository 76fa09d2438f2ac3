"""Directives: 50 a document."""

from __future__ import annotations

import pytest
from limit_documents import code

from conftest import GraphQLClient


@pytest.mark.usefixtures("app")
async def test_directives(gql: GraphQLClient) -> None:
    """50 directives pass; 51 do not."""

    # repeated plain fields: aliases would trip the alias limit first
    fifty = "{ tags { " + " ".join("id @include(if: true)" for _ in range(50)) + " } }"
    assert code(await gql(fifty)) is None
    fifty_one = "{ tags { " + " ".join("id @include(if: true)" for _ in range(51)) + " } }"
    assert code(await gql(fifty_one)) == "QUERY_TOO_COMPLEX"
