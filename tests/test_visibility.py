"""The public sees content that is PUBLISHED (or SCHEDULED and due) with
`publishedAt` <= now, evaluated at query time, and nothing else."""

from __future__ import annotations

from datetime import timedelta

import pytest

from cms.clock import FixedClock
from cms.content import ContentStatus
from cms.feed.models import FeedItemKind

from conftest import NOW, GraphQLClient
from factories import make_article, make_author, make_feed_item, make_video

ARTICLES = "{ articles(first: 50) { edges { node { slug status } } } }"
ARTICLE = "query($slug: String!) { article(slug: $slug) { slug status } }"
FEED = "{ feed(first: 50) { edges { node { headline status article { slug } } } } }"
VIDEOS = "{ videos(first: 50) { edges { node { title status } } } }"
NODE = "query($id: ID!) { node(id: $id) { id } }"

HOUR = timedelta(hours=1)


async def _slugs(gql: GraphQLClient) -> list[str]:
    result = await gql(ARTICLES)
    return [e["node"]["slug"] for e in result["data"]["articles"]["edges"]]


@pytest.mark.usefixtures("app")
async def test_only_due_published_articles_are_listed(gql: GraphQLClient) -> None:
    """Drafts, future schedules, archived and deleted articles stay out of the list."""
    await make_article(slug="published", published_at=NOW - HOUR)
    await make_article(
        slug="scheduled-past", status=ContentStatus.SCHEDULED, published_at=NOW - HOUR
    )
    await make_article(slug="draft", status=ContentStatus.DRAFT)
    await make_article(slug="draft-dated", status=ContentStatus.DRAFT, published_at=NOW - HOUR)
    await make_article(
        slug="scheduled-future", status=ContentStatus.SCHEDULED, published_at=NOW + HOUR
    )
    await make_article(slug="published-future", published_at=NOW + HOUR)
    await make_article(slug="archived", status=ContentStatus.ARCHIVED, published_at=NOW - HOUR)
    await make_article(slug="deleted", published_at=NOW - HOUR, deleted_at=NOW)
    assert sorted(await _slugs(gql)) == ["published", "scheduled-past"]


@pytest.mark.usefixtures("app")
async def test_scheduled_article_reads_published_once_due(gql: GraphQLClient) -> None:
    """A SCHEDULED article whose time has passed reads as PUBLISHED."""
    await make_article(slug="due", status=ContentStatus.SCHEDULED, published_at=NOW - HOUR)
    result = await gql(ARTICLE, {"slug": "due"})
    assert result["data"]["article"] == {"slug": "due", "status": "PUBLISHED"}


@pytest.mark.usefixtures("app")
async def test_scheduled_article_appears_at_its_second(
    gql: GraphQLClient, clock: FixedClock
) -> None:
    """Invisible one second before `publishedAt`, visible at it, with no job running."""
    await make_article(slug="at-noon", status=ContentStatus.SCHEDULED, published_at=NOW + HOUR)
    clock.set(NOW + HOUR - timedelta(seconds=1))
    assert (await gql(ARTICLE, {"slug": "at-noon"}))["data"]["article"] is None
    assert await _slugs(gql) == []
    clock.set(NOW + HOUR)
    assert (await gql(ARTICLE, {"slug": "at-noon"}))["data"]["article"]["status"] == "PUBLISHED"
    assert await _slugs(gql) == ["at-noon"]


@pytest.mark.usefixtures("app")
async def test_hidden_article_looks_like_nothing(gql: GraphQLClient) -> None:
    """A draft is null by slug and by node id, exactly like an id that never existed."""
    draft = await make_article(slug="secret", status=ContentStatus.DRAFT)
    assert (await gql(ARTICLE, {"slug": "secret"}))["data"]["article"] is None
    from strawberry.relay import to_base64

    for row_id in (draft.id, 99999):
        result = await gql(NODE, {"id": to_base64("Article", row_id)})
        assert result == {"data": {"node": None}}


@pytest.mark.usefixtures("app")
async def test_feed_item_follows_its_article(gql: GraphQLClient) -> None:
    """An ARTICLE feed item is visible only while its article is."""
    draft = await make_article(slug="not-yet", status=ContentStatus.DRAFT)
    live = await make_article(slug="live", published_at=NOW - HOUR)
    await make_feed_item(
        kind=FeedItemKind.ARTICLE, article=draft, headline="hidden", published_at=NOW - HOUR
    )
    await make_feed_item(
        kind=FeedItemKind.ARTICLE, article=live, headline="shown", published_at=NOW - HOUR
    )
    await make_feed_item(headline="update", published_at=NOW - 2 * HOUR)
    await make_feed_item(headline="draft update", status=ContentStatus.DRAFT)
    await make_feed_item(headline="future update", published_at=NOW + HOUR)
    result = await gql(FEED)
    nodes = [e["node"] for e in result["data"]["feed"]["edges"]]
    assert [n["headline"] for n in nodes] == ["shown", "update"]
    assert nodes[0]["article"] == {"slug": "live"}


@pytest.mark.usefixtures("app")
async def test_feed_item_follows_its_video(gql: GraphQLClient) -> None:
    """A VIDEO feed item is hidden while its video is unpublished."""
    hidden = await make_video(status=ContentStatus.DRAFT)
    shown = await make_video(published_at=NOW - HOUR)
    await make_feed_item(
        kind=FeedItemKind.VIDEO, video=hidden, headline="hidden", published_at=NOW - HOUR
    )
    await make_feed_item(
        kind=FeedItemKind.VIDEO, video=shown, headline="shown", published_at=NOW - HOUR
    )
    result = await gql(FEED)
    assert [e["node"]["headline"] for e in result["data"]["feed"]["edges"]] == ["shown"]
    videos = await gql(VIDEOS)
    assert [e["node"]["title"] for e in videos["data"]["videos"]["edges"]] == [shown.title]


@pytest.mark.usefixtures("app")
async def test_nested_lists_hide_unpublished_things(gql: GraphQLClient) -> None:
    """An author's articles and an article's translations list only visible articles."""
    author = await make_author(slug="reporter")
    original = await make_article(slug="en", published_at=NOW - HOUR, authors=[author])
    await make_article(slug="uk", language="uk", translation_of=original, published_at=NOW - HOUR)
    await make_article(
        slug="de-draft", language="de", translation_of=original, status=ContentStatus.DRAFT
    )
    await make_article(slug="draft-by-author", status=ContentStatus.DRAFT, authors=[author])
    result = await gql(
        '{ article(slug: "en") { translations { slug }'
        " authors { articles { edges { node { slug } } } } } }"
    )
    article = result["data"]["article"]
    assert article["translations"] == [{"slug": "uk"}]
    assert article["authors"][0]["articles"]["edges"] == [{"node": {"slug": "en"}}]
    uk = await gql('{ article(slug: "uk") { translations { slug } } }')
    assert uk["data"]["article"]["translations"] == [{"slug": "en"}]


@pytest.mark.usefixtures("app")
async def test_author_email_is_hidden_from_the_public(gql: GraphQLClient) -> None:
    """`Author.email` is null for the public reader."""
    await make_author(slug="with-mail", email="reporter@example.org")
    result = await gql('{ author(slug: "with-mail") { slug email } }')
    assert result["data"]["author"] == {"slug": "with-mail", "email": None}


@pytest.mark.usefixtures("app")
async def test_unpublished_status_filter_is_forbidden_to_the_public(gql: GraphQLClient) -> None:
    """Asking for drafts without the CONTENT_READ scope is FORBIDDEN, not an empty list."""
    result = await gql("{ articles(filter: {status: DRAFT}) { edges { node { slug } } } }")
    assert result["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    ok = await gql("{ articles(filter: {status: PUBLISHED}) { edges { node { slug } } } }")
    assert "errors" not in ok
