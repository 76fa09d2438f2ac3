"""Editing bylines, feed items and video embeds."""

from __future__ import annotations

from datetime import timedelta

import pytest
from strawberry.relay import to_base64

from cms.accounts.models import Role
from cms.accounts.passwords import Passwords
from cms.clock import FixedClock
from cms.feed.models import FeedItem

from conftest import NOW, SECRET, GraphQLClient
from factories import make_article, staff

CREATE_AUTHOR = """mutation($input: AuthorInput!) {
  createAuthor(input: $input) { id slug name kind title bio links { label url } version }
}"""
UPDATE_AUTHOR = """mutation($id: ID!, $input: AuthorPatch!, $v: Int) {
  updateAuthor(id: $id, input: $input, version: $v) { slug name bio version }
}"""
CREATE_ITEM = """mutation($input: FeedItemInput!) {
  createFeedItem(input: $input) { id kind headline status version article { slug } }
}"""
UPDATE_ITEM = """mutation($id: ID!, $v: Int!, $input: FeedItemPatch!) {
  updateFeedItem(id: $id, version: $v, input: $input) { headline pinned version }
}"""
PUBLISH_ITEM = (
    "mutation($id: ID!, $at: DateTime) { publishFeedItem(id: $id, publishAt: $at) { status } }"
)
CREATE_VIDEO = """mutation($input: VideoEmbedInput!) {
  createVideoEmbed(input: $input) { id url provider providerVideoId embedUrl thumbnailUrl status version }
}"""
FEED = "{ feed { edges { node { kind headline pinned video { title } } } } }"


@pytest.mark.usefixtures("app")
async def test_author_create_and_patch(gql: GraphQLClient, passwords: Passwords) -> None:
    """Editors create bylines (slug from the name) and patch them with optional locking."""
    _, auth = await staff(passwords, Role.EDITOR, NOW, SECRET)
    created = (
        await gql(
            CREATE_AUTHOR,
            {
                "input": {
                    "name": "Олена Коваль",
                    "kind": "PERSON",
                    "title": "Reporter",
                    "bio": "Covers the east.",
                    "links": [{"label": "Website", "url": "https://example.org/olena"}],
                }
            },
            **auth,
        )
    )["data"]["createAuthor"]
    assert created["slug"] == "olena-koval"
    assert created["links"] == [{"label": "Website", "url": "https://example.org/olena"}]
    patched = await gql(
        UPDATE_AUTHOR, {"id": created["id"], "input": {"bio": None}, "v": 1}, **auth
    )
    assert patched["data"]["updateAuthor"] == {
        "slug": "olena-koval",
        "name": "Олена Коваль",
        "bio": None,
        "version": 2,
    }
    stale = await gql(UPDATE_AUTHOR, {"id": created["id"], "input": {"name": "X"}, "v": 1}, **auth)
    assert stale["errors"][0]["extensions"]["code"] == "CONFLICT"
    bad = await gql(
        CREATE_AUTHOR, {"input": {"name": " ", "links": [{"label": "x", "url": "ftp://x"}]}}, **auth
    )
    assert {f["field"] for f in bad["errors"][0]["extensions"]["fields"]} == {"name", "links.0.url"}


@pytest.mark.usefixtures("app")
async def test_contributors_cannot_edit_bylines(gql: GraphQLClient, passwords: Passwords) -> None:
    """Bylines belong to editors: a contributor is FORBIDDEN."""
    _, auth = await staff(passwords, Role.CONTRIBUTOR, NOW, SECRET)
    result = await gql(CREATE_AUTHOR, {"input": {"name": "Me"}}, **auth)
    assert result["errors"][0]["extensions"]["code"] == "FORBIDDEN"


@pytest.mark.usefixtures("app")
async def test_feed_items_lifecycle(
    gql: GraphQLClient, passwords: Passwords, clock: FixedClock
) -> None:
    """A live update is drafted, edited with its version, scheduled, shown, hidden, deleted."""
    _, auth = await staff(passwords, Role.EDITOR, NOW, SECRET)
    item = (
        await gql(
            CREATE_ITEM, {"input": {"kind": "UPDATE", "headline": "Sirens in Kharkiv"}}, **auth
        )
    )["data"]["createFeedItem"]
    assert (item["status"], item["version"]) == ("DRAFT", 1)
    edited = await gql(UPDATE_ITEM, {"id": item["id"], "v": 1, "input": {"pinned": True}}, **auth)
    assert edited["data"]["updateFeedItem"] == {
        "headline": "Sirens in Kharkiv",
        "pinned": True,
        "version": 2,
    }
    at = NOW + timedelta(minutes=10)
    scheduled = await gql(PUBLISH_ITEM, {"id": item["id"], "at": at.isoformat()}, **auth)
    assert scheduled["data"]["publishFeedItem"]["status"] == "SCHEDULED"
    assert (await gql(FEED))["data"]["feed"]["edges"] == []
    clock.set(at)
    assert [e["node"]["headline"] for e in (await gql(FEED))["data"]["feed"]["edges"]] == [
        "Sirens in Kharkiv"
    ]
    await gql(
        "mutation($id: ID!) { unpublishFeedItem(id: $id) { status } }", {"id": item["id"]}, **auth
    )
    assert (await gql(FEED))["data"]["feed"]["edges"] == []
    assert (
        await gql("mutation($id: ID!) { deleteFeedItem(id: $id) }", {"id": item["id"]}, **auth)
    )["data"]
    again = await gql(PUBLISH_ITEM, {"id": item["id"]}, **auth)
    assert again["errors"][0]["extensions"]["code"] == "NOT_FOUND"


@pytest.mark.usefixtures("app")
async def test_feed_item_kinds_are_checked(gql: GraphQLClient, passwords: Passwords) -> None:
    """An ARTICLE item needs an existing article; an UPDATE points at nothing."""
    _, auth = await staff(passwords, Role.EDITOR, NOW, SECRET)
    article = await make_article(slug="linked", published_at=NOW)
    missing = await gql(CREATE_ITEM, {"input": {"kind": "ARTICLE", "headline": "H"}}, **auth)
    assert missing["errors"][0]["extensions"]["fields"][0]["field"] == "articleId"
    wrong = await gql(
        CREATE_ITEM,
        {
            "input": {
                "kind": "UPDATE",
                "headline": "H",
                "articleId": to_base64("Article", article.id),
            }
        },
        **auth,
    )
    assert wrong["errors"][0]["extensions"]["fields"][0]["field"] == "kind"
    ok = await gql(
        CREATE_ITEM,
        {
            "input": {
                "kind": "ARTICLE",
                "headline": "H",
                "articleId": to_base64("Article", article.id),
            }
        },
        **auth,
    )
    assert ok["data"]["createFeedItem"]["article"] == {"slug": "linked"}


@pytest.mark.usefixtures("app")
async def test_videos_from_urls_and_into_the_feed(gql: GraphQLClient, passwords: Passwords) -> None:
    """A short YouTube URL becomes canonical and privacy-enhanced; publishing adds one
    VIDEO feed entry; a bad URL is BAD_USER_INPUT on `url`."""
    _, auth = await staff(passwords, Role.EDITOR, NOW, SECRET)
    video = (
        await gql(
            CREATE_VIDEO,
            {"input": {"url": "https://youtu.be/dQw4w9WgXcQ?t=42", "title": "With a drone unit"}},
            **auth,
        )
    )["data"]["createVideoEmbed"]
    assert video["url"] == "https://www.youtube.com/watch?v=dQw4w9WgXcQ"
    assert video["embedUrl"] == "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ"
    assert video["thumbnailUrl"] == "https://i.ytimg.com/vi/dQw4w9WgXcQ/hqdefault.jpg"
    assert (video["provider"], video["status"]) == ("YOUTUBE", "DRAFT")
    publish = "mutation($id: ID!) { publishVideoEmbed(id: $id) { status } }"
    for _ in range(2):
        assert (await gql(publish, {"id": video["id"]}, **auth))["data"]["publishVideoEmbed"][
            "status"
        ] == "PUBLISHED"
    assert await FeedItem.all().count() == 1
    feed = (await gql(FEED))["data"]["feed"]["edges"]
    assert feed[0]["node"]["video"] == {"title": "With a drone unit"}
    bad = await gql(
        CREATE_VIDEO,
        {"input": {"url": "https://evil.example/watch?v=dQw4w9WgXcQ", "title": "X"}},
        **auth,
    )
    assert bad["errors"][0]["extensions"]["fields"][0]["field"] == "url"
    update = """mutation($id: ID!, $v: Int!) {
      updateVideoEmbed(id: $id, version: $v, input: {url: "https://vimeo.com/76979871"}) {
        provider embedUrl thumbnailUrl version } }"""
    moved = (await gql(update, {"id": video["id"], "v": 3}, **auth))["data"]["updateVideoEmbed"]
    assert moved == {
        "provider": "VIMEO",
        "embedUrl": "https://player.vimeo.com/video/76979871",
        "thumbnailUrl": None,
        "version": 4,
    }
