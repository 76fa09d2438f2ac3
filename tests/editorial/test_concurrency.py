"""Two saves of the same version race on PostgreSQL: exactly one wins."""

from __future__ import annotations

import asyncio

import pytest
from strawberry.relay import to_base64

from cms.accounts.models import Role
from cms.accounts.passwords import Passwords
from cms.articles.models import Article

from conftest import NOW, POSTGRES_URL, SECRET, GraphQLClient
from factories import make_article, staff

UPDATE = """mutation($id: ID!, $title: String!) {
  updateArticle(id: $id, version: 1, input: {title: $title}) { title version }
}"""


@pytest.mark.skipif(POSTGRES_URL is None, reason="CMS_TEST_POSTGRES_URL is not set")
@pytest.mark.usefixtures("app")
async def test_concurrent_saves_of_one_version(
    db: str, gql: GraphQLClient, passwords: Passwords
) -> None:
    """Eight concurrent updates all naming version 1: one succeeds, seven get CONFLICT,
    and the stored title is the winner's (the conditional UPDATE decides, on real
    concurrent connections)."""
    if not db.startswith("postgres"):
        pytest.skip("the race needs concurrent connections (PostgreSQL)")
    _, auth = await staff(passwords, Role.EDITOR, NOW, SECRET)
    article = await make_article(status="DRAFT")
    results = await asyncio.gather(
        *(
            gql(UPDATE, {"id": to_base64("Article", article.id), "title": f"Title {i}"}, **auth)
            for i in range(8)
        )
    )
    winners = [r["data"]["updateArticle"] for r in results if r.get("data")]
    codes = [r["errors"][0]["extensions"]["code"] for r in results if r.get("errors")]
    assert len(winners) == 1 and winners[0]["version"] == 2
    assert codes == ["CONFLICT"] * 7
    stored = await Article.get(id=article.id)
    assert (stored.title, stored.version) == (winners[0]["title"], 2)
