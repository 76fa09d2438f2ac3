"""Lists page by keyset: walking a list visits every item once, in order, and bad
`first` or cursor input is BAD_USER_INPUT, never a server error."""

from __future__ import annotations

import base64
from datetime import timedelta
from typing import Any

import pytest

from cms.feed.models import FeedItemKind

from conftest import NOW, GraphQLClient
from factories import make_article, make_author, make_feed_item, make_video

ARTICLES = """query($first: Int!, $after: String) {
  articles(first: $first, after: $after) {
    edges { cursor node { slug } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}"""
FEED = """query($first: Int!, $after: String) {
  feed(first: $first, after: $after) {
    edges { cursor node { headline } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}"""
AUTHORS = """query($first: Int!, $after: String) {
  authors(first: $first, after: $after) {
    edges { cursor node { slug } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}"""
VIDEOS = """query($first: Int!, $after: String) {
  videos(first: $first, after: $after) {
    edges { cursor node { title } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}"""
AUTHOR_ARTICLES = """query($first: Int!, $after: String) {
  author(slug: "prolific") {
    articles(first: $first, after: $after) {
      edges { cursor node { slug } }
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    }
  }
}"""


async def walk(gql: GraphQLClient, query: str, path: list[str], first: int, key: str) -> list[str]:
    """Follow `endCursor` from the first page to the last, collecting `key` of each node."""
    seen: list[str] = []
    after = None
    pages = 0
    while True:
        result = await gql(query, {"first": first, "after": after})
        assert "errors" not in result, result
        conn: Any = result["data"]
        for step in path:
            conn = conn[step]
        info = conn["pageInfo"]
        assert info["hasPreviousPage"] is (after is not None)
        if conn["edges"]:
            assert info["startCursor"] == conn["edges"][0]["cursor"]
            assert info["endCursor"] == conn["edges"][-1]["cursor"]
        seen.extend(e["node"][key] for e in conn["edges"])
        pages += 1
        assert pages < 100
        if not info["hasNextPage"]:
            return seen
        after = info["endCursor"]


def _times(n: int) -> list[Any]:
    # Groups of three share a timestamp, so the id tie-breaker is exercised.
    return [NOW - timedelta(minutes=i // 3) for i in range(n)]


@pytest.mark.usefixtures("app")
async def test_walking_45_articles_has_no_duplicates_or_gaps(gql: GraphQLClient) -> None:
    """Pages of 10 over 45 articles (with equal timestamps) give each article once, newest first."""
    for i, at in enumerate(_times(45)):
        await make_article(slug=f"a{i:02d}", published_at=at)
    seen = await walk(gql, ARTICLES, ["articles"], 10, "slug")
    assert len(seen) == 45
    assert len(set(seen)) == 45
    full = await gql(ARTICLES, {"first": 100, "after": None})
    assert seen == [e["node"]["slug"] for e in full["data"]["articles"]["edges"]]


@pytest.mark.usefixtures("app")
async def test_walking_45_feed_items_has_no_duplicates_or_gaps(gql: GraphQLClient) -> None:
    """The feed pages the same way, and page sizes that do not divide 45 work too."""
    for i, at in enumerate(_times(45)):
        await make_feed_item(kind=FeedItemKind.UPDATE, headline=f"u{i:02d}", published_at=at)
    seen = await walk(gql, FEED, ["feed"], 7, "headline")
    assert len(seen) == len(set(seen)) == 45
    full = await gql(FEED, {"first": 100, "after": None})
    assert seen == [e["node"]["headline"] for e in full["data"]["feed"]["edges"]]


@pytest.mark.usefixtures("app")
async def test_walking_authors_and_videos(gql: GraphQLClient) -> None:
    """Authors (by name, with equal names) and videos page without duplicates or gaps."""
    for i in range(45):
        await make_author(slug=f"p{i:02d}", name=f"Name {i % 20:02d}")
    seen = await walk(gql, AUTHORS, ["authors"], 10, "slug")
    assert len(seen) == len(set(seen)) == 45
    for at in _times(23):
        await make_video(published_at=at)
    titles = await walk(gql, VIDEOS, ["videos"], 5, "title")
    assert len(titles) == len(set(titles)) == 23


@pytest.mark.usefixtures("app")
async def test_walking_an_authors_articles(gql: GraphQLClient) -> None:
    """`Author.articles` pages by keyset too."""
    author = await make_author(slug="prolific")
    for i, at in enumerate(_times(45)):
        await make_article(slug=f"by{i:02d}", published_at=at, authors=[author])
    await make_article(slug="someone-else", published_at=NOW)
    seen = await walk(gql, AUTHOR_ARTICLES, ["author", "articles"], 10, "slug")
    assert sorted(seen) == [f"by{i:02d}" for i in range(45)]


@pytest.mark.usefixtures("app")
@pytest.mark.parametrize("first", [0, -1, 101, 100000])
async def test_first_out_of_bounds_is_bad_user_input(gql: GraphQLClient, first: int) -> None:
    """`first` outside 1..100 is BAD_USER_INPUT naming the field."""
    for query in (ARTICLES, FEED, AUTHORS, VIDEOS, AUTHOR_ARTICLES):
        if query is AUTHOR_ARTICLES:
            await make_author(slug="prolific")
        result = await gql(query, {"first": first, "after": None})
        error = result["errors"][0]
        assert error["extensions"]["code"] == "BAD_USER_INPUT", result
        assert error["extensions"]["fields"][0]["field"] == "first"


def _tamper(cursor: str) -> str:
    raw = bytearray(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    raw[5] ^= 1
    return base64.urlsafe_b64encode(bytes(raw)).decode().rstrip("=")


@pytest.mark.usefixtures("app")
async def test_malformed_cursors_are_bad_user_input(gql: GraphQLClient) -> None:
    """Garbage, tampered, truncated, and other lists' cursors are refused cleanly."""
    await make_article(slug="one", published_at=NOW)
    await make_feed_item(published_at=NOW)
    article_cursor = (await gql(ARTICLES, {"first": 1}))["data"]["articles"]["edges"][0]["cursor"]
    feed_cursor = (await gql(FEED, {"first": 1}))["data"]["feed"]["edges"][0]["cursor"]
    forged = base64.urlsafe_b64encode(b'["article","2026-01-01T00:00:00+00:00",1]').decode()
    for query, cursor in [
        (ARTICLES, "garbage"),
        (ARTICLES, ""),
        (ARTICLES, "%%%"),
        (ARTICLES, "x" * 5000),
        (ARTICLES, _tamper(article_cursor)),
        (ARTICLES, article_cursor[:-4]),
        (ARTICLES, forged),
        (ARTICLES, feed_cursor),
        (FEED, article_cursor),
        (AUTHORS, article_cursor),
    ]:
        result = await gql(query, {"first": 5, "after": cursor})
        assert result["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", (cursor, result)
        assert result["errors"][0]["extensions"]["fields"] == [
            {"field": "after", "message": "invalid cursor"}
        ]


@pytest.mark.usefixtures("app")
async def test_bad_ids_are_bad_user_input(gql: GraphQLClient) -> None:
    """An ID that is not a global ID, or names another type, is BAD_USER_INPUT."""
    for query in (
        '{ article(id: "nope") { slug } }',
        '{ node(id: "bm9wZQ==") { id } }',
        '{ video(id: "QXJ0aWNsZTox") { title } }',
        '{ article(slug: "a", id: "QXJ0aWNsZTox") { slug } }',
        "{ article { slug } }",
    ):
        result = await gql(query)
        assert result["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", (query, result)
