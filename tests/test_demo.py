"""The demo newsroom, loaded through the editing services into a real database,
reads like a newsroom through the public API."""

from __future__ import annotations

import pytest

from cms.articles.models import ArticleRevision
from cms.demo import seed_demo

from conftest import NOW, GraphQLClient

FRONT_PAGE = """{
  feed(first: 3) { edges { node { headline pinned breaking } } }
  articles(first: 100) { edges { node { slug language readingTimeMinutes
    authors { name kind } sources { name } tags { name } } } }
  videos { edges { node { embedUrl provider } } }
}"""


@pytest.mark.usefixtures("app")
async def test_demo_reads_like_a_newsroom(gql: GraphQLClient) -> None:
    """Three headlines with the pinned breaking update on top; a dozen bylined,
    sourced articles plus a translation; a YouTube report; drafts hidden; loads once."""
    assert await seed_demo(now=NOW) is True
    assert await seed_demo(now=NOW) is False
    result = await gql(FRONT_PAGE)
    assert "errors" not in result, result
    feed = [e["node"] for e in result["data"]["feed"]["edges"]]
    assert len(feed) == 3
    assert feed[0]["pinned"] and feed[0]["breaking"]
    articles = [e["node"] for e in result["data"]["articles"]["edges"]]
    english = [a for a in articles if a["language"] == "en"]
    assert len(english) == 12
    assert any(a["language"] == "uk" for a in articles)
    assert all(a["authors"] and a["sources"] and a["tags"] for a in english)
    assert any(author["kind"] == "DESK" for a in english for author in a["authors"])
    videos = [e["node"] for e in result["data"]["videos"]["edges"]]
    assert videos and videos[0]["embedUrl"].startswith("https://www.youtube-nocookie.com/embed/")
    # created through the services: every article has its revision 1
    assert await ArticleRevision.filter(number=1).count() == len(articles) + 2  # + draft, scheduled
    search = await gql('{ articles(filter: {search: "drones"}) { edges { node { slug } } } }')
    assert search["data"]["articles"]["edges"]
