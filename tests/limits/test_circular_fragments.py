"""Circular fragments are refused without a crash (CVE-2026-47706: strawberry's
depth limiter recursed through them until the stack overflowed)."""

from __future__ import annotations

import pytest
from limit_documents import code

from conftest import GraphQLClient


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
