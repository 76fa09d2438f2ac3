"""No N+1: a page of the feed with every relation selected costs the same small
number of SQL statements whether it holds 5 items or 50."""

from __future__ import annotations

from datetime import timedelta

import pytest

from cms.articles.models import ArticleVideo, Correction, CorrectionKind
from cms.assets.models import MediaAsset
from cms.feed.models import FeedItemKind

from conftest import NOW, GraphQLClient, SQLCounter
from factories import make_article, make_author, make_feed_item, make_tag, make_video

FEED = """query($first: Int!) {
  feed(first: $first) {
    edges { node {
      id headline
      article {
        title body { html }
        authors { name email links { url } avatar { url renditions { url } focalPoint { x } }
                  articles(first: 3) { edges { cursor } } }
        coverImage { url }
        tags { slug }
        videos { embedUrl }
        sources { name }
        corrections { text }
        translations { title authors { name } }
      }
      video { embedUrl }
    } }
    pageInfo { hasNextPage endCursor }
  }
}"""


async def _seed(n: int) -> None:
    tags = [await make_tag(f"Tag {i}") for i in range(4)]
    authors = []
    for i in range(6):
        avatar = await MediaAsset.create(
            key=f"avatars/{i}.jpg",
            filename="a.jpg",
            content_type="image/jpeg",
            byte_size=10,
            checksum="0" * 64,
            width=100,
            height=100,
        )
        authors.append(await make_author(avatar=avatar, email=f"a{i}@example.org"))
    for i in range(n):
        at = NOW - timedelta(minutes=i)
        cover = await MediaAsset.create(
            key=f"covers/{i}.jpg",
            filename="c.jpg",
            content_type="image/jpeg",
            byte_size=10,
            checksum="0" * 64,
            width=1200,
            height=800,
        )
        article = await make_article(
            published_at=at,
            cover_image=cover,
            authors=[authors[i % 6], authors[(i + 1) % 6]],
            tags=tags[: 1 + i % 3],
            sources=[("Wire", "https://example.org/wire")],
        )
        await make_article(published_at=at, language="uk", translation_of=article)
        video = await make_video(published_at=at)
        await ArticleVideo.create(article=article, video=video, position=0)
        await Correction.create(
            article=article, kind=CorrectionKind.UPDATE, text="Updated.", created_at=at
        )
        kind = i % 3
        if kind == 0:
            await make_feed_item(kind=FeedItemKind.ARTICLE, article=article, published_at=at)
        elif kind == 1:
            await make_feed_item(kind=FeedItemKind.VIDEO, video=video, published_at=at)
        else:
            await make_feed_item(published_at=at)


@pytest.mark.usefixtures("app")
async def test_feed_query_count_does_not_grow_with_page_size(
    gql: GraphQLClient, sql_counter: SQLCounter
) -> None:
    """feed(first: 5) and feed(first: 50), all nested fields selected, cost the same few
    statements."""
    await _seed(60)
    counts = {}
    for first in (5, 50):
        sql_counter.statements.clear()
        result = await gql(FEED, {"first": first})
        assert "errors" not in result, result
        edges = result["data"]["feed"]["edges"]
        assert len(edges) == first
        assert any(e["node"]["article"] for e in edges)
        assert any(e["node"]["video"] for e in edges)
        counts[first] = len(sql_counter.statements)
    assert counts[5] == counts[50], counts
    # one per level: feed, articles, videos, authors, assets, tags, sources,
    # corrections, translations (+ their authors), videos of articles, author pages
    assert counts[50] <= 16, sql_counter.statements
