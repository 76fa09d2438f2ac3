"""Syndication feeds: JSON Feed 1.1 and RSS 2.0 of the public News Feed, per tag and
per author, with HTTP caching."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

import feedparser
import httpx
import pytest
from strawberry.relay import GlobalID, to_base64

from cms.accounts.models import Role
from cms.accounts.passwords import Passwords
from cms.authors.models import Author
from cms.clock import FixedClock
from cms.content import ContentStatus
from cms.errors import NotFound
from cms.feed.models import FeedItemKind
from cms.feed.syndication import feed_entries
from cms.tags.models import Tag

from conftest import NOW, SECRET, GraphQLClient, SQLCounter
from factories import make_article, make_author, make_feed_item, make_tag, make_video, staff

pytestmark = pytest.mark.usefixtures("app")

PUBLIC_CACHE = "public, max-age=30, s-maxage=60, stale-while-revalidate=30"
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
GRAPHQL_FEED = "{ feed(first: 50) { edges { node { id headline } } } }"


def gid(row_id: int) -> str:
    return to_base64("FeedItem", row_id)


def json_items(response: httpx.Response) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def rss(response: httpx.Response) -> Any:
    assert response.status_code == 200, response.text
    parsed = feedparser.parse(response.content)
    assert not parsed.bozo, parsed.bozo_exception
    return parsed


async def _newsroom() -> dict[str, Any]:
    """An article with bylines and tags, a video and a short update, each in the feed."""
    olena = await make_author(name="Olena Koval", slug="olena-koval")
    desk = await make_author(name="News desk", slug="news-desk")
    war = await make_tag("War")
    energy = await make_tag("Energy")
    article = await make_article(
        title="Grid holds overnight",
        slug="grid-holds",
        dek="Engineers kept the lights on.",
        body_html="<p>The grid <b>held</b>.</p>",
        body_text="The grid held.",
        published_at=NOW - timedelta(hours=3),
        authors=[olena, desk],
        tags=[war, energy],
    )
    video = await make_video(published_at=NOW - timedelta(hours=2))
    article_item = await make_feed_item(
        kind=FeedItemKind.ARTICLE,
        article=article,
        headline="Grid holds overnight",
        summary=None,
        published_at=NOW - timedelta(hours=3),
    )
    video_item = await make_feed_item(
        kind=FeedItemKind.VIDEO,
        video=video,
        headline="Watch: repairs at dawn",
        summary="Crews at work.",
        published_at=NOW - timedelta(hours=2),
    )
    update = await make_feed_item(
        headline="Air raid alert lifted", summary=None, published_at=NOW - timedelta(hours=1)
    )
    return {
        "article": article,
        "video": video,
        "article_item": article_item,
        "video_item": video_item,
        "update": update,
    }


async def test_json_feed_meets_the_spec(client: httpx.AsyncClient) -> None:
    """/feed.json is a JSON Feed 1.1 with the required fields, RFC 3339 dates and the
    content of each kind of item."""
    rows = await _newsroom()
    response = await client.get("/feed.json")
    assert response.headers["content-type"] == "application/feed+json"
    document = response.json()
    assert document["version"] == "https://jsonfeed.org/version/1.1"
    assert document["title"]
    assert document["home_page_url"] == "http://testserver/"
    assert document["feed_url"] == "http://testserver/feed.json"
    items = document["items"]
    assert [i["id"] for i in items] == [
        gid(rows["update"].id),
        gid(rows["video_item"].id),
        gid(rows["article_item"].id),
    ]
    for item in items:
        assert isinstance(item["id"], str) and item["id"]
        assert "content_html" in item or "content_text" in item
        for key in ("date_published", "date_modified"):
            assert RFC3339.match(item[key]), item[key]
            assert datetime.fromisoformat(item[key]).tzinfo is not None
        assert item["date_modified"] >= item["date_published"]
    update, video, article = items
    assert update["title"] == "Air raid alert lifted"
    assert update["content_text"] == "Air raid alert lifted"
    assert update["url"] == f"http://testserver/feed/{quote(gid(rows['update'].id), safe='')}"
    assert datetime.fromisoformat(update["date_published"]) == NOW - timedelta(hours=1)
    assert video["summary"] == "Crews at work."
    assert video["external_url"] == rows["video"].url
    assert video["image"] == rows["video"].thumbnail_url
    assert article["url"] == "http://testserver/articles/grid-holds"
    assert article["content_html"] == "<p>The grid <b>held</b>.</p>"
    assert article["content_text"] == "The grid held."
    assert article["summary"] == "Engineers kept the lights on."
    assert article["authors"] == [{"name": "Olena Koval"}, {"name": "News desk"}]
    assert article["tags"] == ["War", "Energy"]


async def test_feed_ids_are_the_api_global_ids(
    client: httpx.AsyncClient, gql: GraphQLClient
) -> None:
    """Feed item ids are the same global ids the GraphQL `feed` query returns."""
    await _newsroom()
    graphql = await gql(GRAPHQL_FEED)
    api_ids = [e["node"]["id"] for e in graphql["data"]["feed"]["edges"]]
    assert [i["id"] for i in json_items(await client.get("/feed.json"))] == api_ids
    assert [e.id for e in rss(await client.get("/feed.xml")).entries] == api_ids
    assert {GlobalID.from_id(i).type_name for i in api_ids} == {"FeedItem"}


async def test_rss_feed_parses_with_titles_links_guids_and_dates(
    client: httpx.AsyncClient,
) -> None:
    """/feed.xml is RSS 2.0 that feedparser reads cleanly: titles, links, guids and
    pubDates, newest first, with the article's body, bylines and tags."""
    rows = await _newsroom()
    response = await client.get("/feed.xml")
    assert response.headers["content-type"] == "application/rss+xml; charset=utf-8"
    parsed = rss(response)
    assert parsed.version == "rss20"
    assert parsed.feed.title
    assert parsed.feed.link == "http://testserver/"
    entries = parsed.entries
    assert [e.title for e in entries] == [
        "Air raid alert lifted",
        "Watch: repairs at dawn",
        "Grid holds overnight",
    ]
    assert [e.id for e in entries] == [
        gid(rows["update"].id),
        gid(rows["video_item"].id),
        gid(rows["article_item"].id),
    ]
    assert all(not e.guidislink for e in entries)
    assert entries[2].link == "http://testserver/articles/grid-holds"
    assert entries[0].link == f"http://testserver/feed/{quote(gid(rows['update'].id), safe='')}"
    published = [datetime(*e.published_parsed[:6]) for e in entries]
    assert published == sorted(published, reverse=True)
    assert published[0] == (NOW - timedelta(hours=1)).replace(tzinfo=None)
    article = entries[2]
    assert article.summary == "Engineers kept the lights on."
    assert article.content[0].value == "<p>The grid <b>held</b>.</p>"
    assert [a.name for a in article.authors] == ["Olena Koval", "News desk"]
    assert [t.term for t in article.tags] == ["War", "Energy"]
    assert entries[1].summary == "Crews at work."


async def test_empty_feeds_are_valid(client: httpx.AsyncClient) -> None:
    """With nothing published, both feeds are still valid documents with no items."""
    await make_feed_item(headline="Draft", status=ContentStatus.DRAFT)
    assert json_items(await client.get("/feed.json")) == []
    assert rss(await client.get("/feed.xml")).entries == []


async def test_control_characters_do_not_break_the_rss(client: httpx.AsyncClient) -> None:
    """A headline with a character XML cannot carry still gives a valid RSS feed."""
    await make_feed_item(headline="Alert\x0b lifted", published_at=NOW)
    assert [e.title for e in rss(await client.get("/feed.xml")).entries] == ["Alert lifted"]
    assert [i["title"] for i in json_items(await client.get("/feed.json"))] == ["Alert\x0b lifted"]


async def test_feeds_hold_the_fifty_newest_items(client: httpx.AsyncClient) -> None:
    """Both feeds stop at the 50 newest items, newest first."""
    items = [
        await make_feed_item(headline=f"Update {i:02d}", published_at=NOW - timedelta(minutes=i))
        for i in range(55)
    ]
    expected = [gid(item.id) for item in items[:50]]
    assert [i["id"] for i in json_items(await client.get("/feed.json"))] == expected
    assert [e.id for e in rss(await client.get("/feed.xml")).entries] == expected


async def test_hidden_items_stay_out_of_the_feeds(
    client: httpx.AsyncClient, clock: FixedClock
) -> None:
    """Drafts, items scheduled for later, deleted items and items whose article or
    video is not public are absent; a scheduled item shows once its time comes."""
    hour = timedelta(hours=1)
    visible = await make_feed_item(headline="Visible", published_at=NOW - hour)
    due = await make_feed_item(
        headline="Scheduled, due", status=ContentStatus.SCHEDULED, published_at=NOW - hour
    )
    later = await make_feed_item(
        headline="Scheduled, later", status=ContentStatus.SCHEDULED, published_at=NOW + hour
    )
    await make_feed_item(headline="Draft", status=ContentStatus.DRAFT)
    await make_feed_item(headline="Deleted", published_at=NOW - hour, deleted_at=NOW)
    await make_feed_item(
        headline="Archived", status=ContentStatus.ARCHIVED, published_at=NOW - hour
    )
    for headline, article_fields in [
        ("Draft article", {"status": ContentStatus.DRAFT}),
        (
            "Article scheduled later",
            {"status": ContentStatus.SCHEDULED, "published_at": NOW + hour},
        ),
        ("Deleted article", {"published_at": NOW - hour, "deleted_at": NOW}),
    ]:
        article = await make_article(**article_fields)
        await make_feed_item(
            kind=FeedItemKind.ARTICLE, article=article, headline=headline, published_at=NOW - hour
        )
    draft_video = await make_video(status=ContentStatus.DRAFT)
    await make_feed_item(
        kind=FeedItemKind.VIDEO, video=draft_video, headline="Draft video", published_at=NOW - hour
    )

    titles = {i["title"] for i in json_items(await client.get("/feed.json"))}
    assert titles == {"Visible", "Scheduled, due"}
    assert {e.title for e in rss(await client.get("/feed.xml")).entries} == titles
    ids = {i["id"] for i in json_items(await client.get("/feed.json"))}
    assert ids == {gid(visible.id), gid(due.id)}

    clock.set(NOW + 2 * hour)
    titles = {i["title"] for i in json_items(await client.get("/feed.json"))}
    assert titles == {"Visible", "Scheduled, due", "Scheduled, later", "Article scheduled later"}
    assert gid(later.id) in {i["id"] for i in json_items(await client.get("/feed.json"))}


async def test_tag_feed_holds_only_articles_with_that_tag(client: httpx.AsyncClient) -> None:
    """/tags/{slug}/feed.* hold the public article items filed under that tag."""
    war = await make_tag("War")
    energy = await make_tag("Energy")
    both = await make_article(published_at=NOW - timedelta(hours=1), tags=[war, energy])
    war_only = await make_article(published_at=NOW - timedelta(hours=2), tags=[war])
    energy_only = await make_article(published_at=NOW - timedelta(hours=3), tags=[energy])
    hidden = await make_article(status=ContentStatus.DRAFT, tags=[war])
    for i, article in enumerate([both, war_only, energy_only, hidden]):
        await make_feed_item(
            kind=FeedItemKind.ARTICLE,
            article=article,
            headline=article.title,
            published_at=NOW - timedelta(hours=1 + i),
        )
    await make_feed_item(headline="An update", published_at=NOW)

    document = (await client.get("/tags/war/feed.json")).json()
    assert "War" in document["title"]
    assert document["feed_url"] == "http://testserver/tags/war/feed.json"
    assert document["home_page_url"] == "http://testserver/tags/war"
    assert [i["title"] for i in document["items"]] == [both.title, war_only.title]
    parsed = rss(await client.get("/tags/energy/feed.xml"))
    assert "Energy" in parsed.feed.title
    assert [e.title for e in parsed.entries] == [both.title, energy_only.title]
    assert parsed.entries[0].link == f"http://testserver/articles/{both.slug}"


async def test_author_feed_holds_only_that_authors_articles(client: httpx.AsyncClient) -> None:
    """/authors/{slug}/feed.* hold the public article items with that byline."""
    olena = await make_author(name="Olena Koval", slug="olena-koval")
    taras = await make_author(name="Taras Shevchuk", slug="taras-shevchuk")
    joint = await make_article(published_at=NOW - timedelta(hours=1), authors=[taras, olena])
    hers = await make_article(published_at=NOW - timedelta(hours=2), authors=[olena])
    his = await make_article(published_at=NOW - timedelta(hours=3), authors=[taras])
    for i, article in enumerate([joint, hers, his]):
        await make_feed_item(
            kind=FeedItemKind.ARTICLE,
            article=article,
            headline=article.title,
            published_at=NOW - timedelta(hours=1 + i),
        )

    document = (await client.get("/authors/olena-koval/feed.json")).json()
    assert "Olena Koval" in document["title"]
    assert [i["title"] for i in document["items"]] == [joint.title, hers.title]
    assert document["items"][0]["authors"] == [{"name": "Taras Shevchuk"}, {"name": "Olena Koval"}]
    parsed = rss(await client.get("/authors/taras-shevchuk/feed.xml"))
    assert [e.title for e in parsed.entries] == [joint.title, his.title]


async def test_unknown_or_deleted_tag_and_author_feeds_are_404(client: httpx.AsyncClient) -> None:
    """A feed of a tag or author that does not exist, or an author who was deleted, is 404."""
    await make_author(slug="gone", deleted_at=NOW)
    for path in (
        "/tags/nothing/feed.xml",
        "/tags/nothing/feed.json",
        "/authors/nobody/feed.xml",
        "/authors/nobody/feed.json",
        "/authors/gone/feed.xml",
    ):
        response = await client.get(path)
        assert response.status_code == 404, path
        assert response.json()["errors"][0]["extensions"]["code"] == "NOT_FOUND"


async def test_feed_entries_raises_not_found_for_unknown_slugs() -> None:
    """The domain function refuses an unknown tag or author with NotFound."""
    with pytest.raises(NotFound):
        await feed_entries(now=NOW, tag="nothing")
    with pytest.raises(NotFound):
        await feed_entries(now=NOW, author="nobody")


async def test_feed_entries_carry_article_and_video_details() -> None:
    """An Entry holds the article's slug, words, bylines and tags, or the video's URLs."""
    rows = await _newsroom()
    update, video, article = await feed_entries(now=NOW)
    assert update.kind == FeedItemKind.UPDATE
    assert update.article is None and update.video is None
    assert video.video is not None
    assert video.video.embed_url == rows["video"].embed_url
    assert article.article is not None
    assert article.article.slug == "grid-holds"
    assert article.article.body_text == "The grid held."
    assert article.article.authors == ("Olena Koval", "News desk")
    assert article.article.tags == ("War", "Energy")
    assert article.published_at == NOW - timedelta(hours=3)
    assert len(await feed_entries(now=NOW, limit=2)) == 2


@pytest.mark.parametrize("path", ["/feed.json", "/feed.xml"])
async def test_etag_and_304_not_modified(client: httpx.AsyncClient, path: str) -> None:
    """Feeds carry a strong ETag; a matching If-None-Match (in a list, weak, or `*`)
    gets a bodiless 304, and a changed feed a new ETag."""
    await _newsroom()
    first = await client.get(path)
    etag = first.headers["etag"]
    assert re.fullmatch(r'"[0-9a-f]{16,64}"', etag)
    assert first.headers["cache-control"] == PUBLIC_CACHE
    assert (await client.get(path)).headers["etag"] == etag
    for header in (etag, f'"other", {etag}', f"W/{etag}", "*"):
        response = await client.get(path, headers={"If-None-Match": header})
        assert response.status_code == 304, header
        assert response.content == b""
        assert response.headers["etag"] == etag
        assert response.headers["cache-control"] == PUBLIC_CACHE
    assert (await client.get(path, headers={"If-None-Match": '"other"'})).status_code == 200

    await make_feed_item(headline="Newer", published_at=NOW)
    changed = await client.get(path, headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["etag"] != etag


async def test_head_answers_like_get(client: httpx.AsyncClient) -> None:
    """HEAD on a feed answers 200 with the same ETag as GET."""
    await _newsroom()
    get = await client.get("/feed.xml")
    head = await client.head("/feed.xml")
    assert head.status_code == 200
    assert head.headers["etag"] == get.headers["etag"]


@pytest.mark.parametrize("path", ["/feed.json", "/feed.xml", "/tags/war/feed.xml"])
async def test_authorized_requests_get_the_public_feed_uncached(
    client: httpx.AsyncClient, passwords: Passwords, path: str
) -> None:
    """With a valid Authorization header the feed is the public one but `private,
    no-store`; a bad token is 401."""
    await _newsroom()
    await make_feed_item(headline="Draft", status=ContentStatus.DRAFT)
    _, auth = await staff(passwords, Role.EDITOR, NOW, SECRET)
    public = await client.get(path)
    authorized = await client.get(path, headers=auth)
    assert public.headers["cache-control"] == PUBLIC_CACHE
    assert authorized.status_code == 200
    assert authorized.headers["cache-control"] == "private, no-store"
    assert authorized.content == public.content
    assert authorized.headers["etag"] == public.headers["etag"]
    bad = await client.get(path, headers={"Authorization": "Bearer cms_sess_nonsense"})
    assert bad.status_code == 401


async def _seed(start: int, stop: int) -> None:
    """Feed items `start` to `stop` of every kind, each article with two bylines (the
    author `writer` on all) and two tags (the tag `topic` on all)."""
    writer = await Author.get_or_none(slug="writer") or await make_author(slug="writer")
    topic = await Tag.get_or_none(slug="topic") or await make_tag("Topic")
    other = await make_author()
    extra = await make_tag(f"Extra {start}")
    for i in range(start, stop):
        at = NOW - timedelta(minutes=i + 1)
        article = await make_article(published_at=at, authors=[writer, other], tags=[topic, extra])
        if i % 3 == 0:
            await make_feed_item(kind=FeedItemKind.ARTICLE, article=article, published_at=at)
        elif i % 3 == 1:
            video = await make_video(published_at=at)
            await make_feed_item(kind=FeedItemKind.VIDEO, video=video, published_at=at)
        else:
            await make_feed_item(published_at=at)


@pytest.mark.parametrize(
    "path", ["/feed.json", "/feed.xml", "/tags/topic/feed.xml", "/authors/writer/feed.json"]
)
async def test_feed_statement_count_does_not_grow_with_items(
    client: httpx.AsyncClient, sql_counter: SQLCounter, path: str
) -> None:
    """A feed of 50 items costs the same few SQL statements as a feed of 3."""
    counts = []
    for start, stop in ((0, 3), (3, 160)):
        await _seed(start, stop)
        sql_counter.statements.clear()
        response = await client.get(path)
        assert response.status_code == 200, response.text
        counts.append(len(sql_counter.statements))
    assert counts[0] == counts[1], sql_counter.statements
    # tag or author look-up, items, byline ids, authors, tags
    assert counts[1] <= 5, sql_counter.statements
