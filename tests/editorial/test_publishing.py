"""Publishing: now or scheduled to the second, unpublishing at once, the feed entry
made once, firstPublishedAt set once, corrections, revisions and previews."""

from __future__ import annotations

from datetime import timedelta

import pytest
from strawberry.relay import to_base64

from cms.accounts.models import Role
from cms.accounts.passwords import Passwords
from cms.clock import FixedClock
from cms.feed.models import FeedItem

from conftest import NOW, SECRET, GraphQLClient
from factories import make_article, make_author, staff

PUBLISH = """mutation($id: ID!, $at: DateTime, $feed: Boolean) {
  publishArticle(id: $id, publishAt: $at, addToFeed: $feed) {
    status publishedAt firstPublishedAt version
  }
}"""
UNPUBLISH = "mutation($id: ID!) { unpublishArticle(id: $id) { status version } }"
PUBLIC = "query($slug: String!) { article(slug: $slug) { slug status corrections { kind text createdAt } } }"
FEED = "{ feed { edges { node { kind headline article { slug } } } } }"


def gid(row_id: int) -> str:
    return to_base64("Article", row_id)


@pytest.mark.usefixtures("app")
async def test_publish_now_shows_it_and_its_feed_entry(
    gql: GraphQLClient, passwords: Passwords
) -> None:
    """Publishing with no time publishes now and adds one ARTICLE feed entry."""
    _, auth = await staff(passwords, Role.EDITOR, NOW, SECRET)
    article = await make_article(slug="story", status="DRAFT", title="The story")
    result = await gql(PUBLISH, {"id": gid(article.id)}, **auth)
    published = result["data"]["publishArticle"]
    assert published["status"] == "PUBLISHED"
    assert published["publishedAt"] == published["firstPublishedAt"] == NOW.isoformat()
    assert published["version"] == 2
    assert (await gql(PUBLIC, {"slug": "story"}))["data"]["article"]["status"] == "PUBLISHED"
    feed = (await gql(FEED))["data"]["feed"]["edges"]
    assert feed == [
        {"node": {"kind": "ARTICLE", "headline": "The story", "article": {"slug": "story"}}}
    ]


@pytest.mark.usefixtures("app")
async def test_schedule_edge_to_the_second(
    gql: GraphQLClient, passwords: Passwords, clock: FixedClock
) -> None:
    """Scheduled for T: hidden at T-1s, public (and PUBLISHED) at T, feed entry too."""
    _, auth = await staff(passwords, Role.EDITOR, NOW, SECRET)
    article = await make_article(slug="later", status="DRAFT")
    at = NOW + timedelta(hours=2)
    result = await gql(PUBLISH, {"id": gid(article.id), "at": at.isoformat()}, **auth)
    assert result["data"]["publishArticle"]["status"] == "SCHEDULED"
    clock.set(at - timedelta(seconds=1))
    assert (await gql(PUBLIC, {"slug": "later"}))["data"]["article"] is None
    assert (await gql(FEED))["data"]["feed"]["edges"] == []
    clock.set(at)
    assert (await gql(PUBLIC, {"slug": "later"}))["data"]["article"]["status"] == "PUBLISHED"
    assert len((await gql(FEED))["data"]["feed"]["edges"]) == 1


@pytest.mark.usefixtures("app")
async def test_unpublish_hides_at_once_and_republish_reuses_the_entry(
    gql: GraphQLClient, passwords: Passwords, clock: FixedClock
) -> None:
    """Unpublishing hides the article and its feed entry; publishing again shows the
    same entry (never a duplicate) and keeps firstPublishedAt."""
    _, auth = await staff(passwords, Role.EDITOR, NOW, SECRET)
    article = await make_article(slug="again", status="DRAFT")
    await gql(PUBLISH, {"id": gid(article.id)}, **auth)
    result = await gql(UNPUBLISH, {"id": gid(article.id)}, **auth)
    assert result["data"]["unpublishArticle"]["status"] == "DRAFT"
    assert (await gql(PUBLIC, {"slug": "again"}))["data"]["article"] is None
    assert (await gql(FEED))["data"]["feed"]["edges"] == []
    clock.advance(hours=1)
    again = (await gql(PUBLISH, {"id": gid(article.id)}, **auth))["data"]["publishArticle"]
    assert again["firstPublishedAt"] == NOW.isoformat()
    assert again["publishedAt"] == (NOW + timedelta(hours=1)).isoformat()
    assert again["version"] == 4
    assert await FeedItem.filter(article_id=article.id).count() == 1
    assert len((await gql(FEED))["data"]["feed"]["edges"]) == 1


@pytest.mark.usefixtures("app")
async def test_publish_without_feed_entry(gql: GraphQLClient, passwords: Passwords) -> None:
    """addToFeed: false publishes without a feed entry."""
    _, auth = await staff(passwords, Role.EDITOR, NOW, SECRET)
    article = await make_article(status="DRAFT")
    await gql(PUBLISH, {"id": gid(article.id), "feed": False}, **auth)
    assert await FeedItem.all().count() == 0


@pytest.mark.usefixtures("app")
async def test_a_publish_time_needs_its_offset(gql: GraphQLClient, passwords: Passwords) -> None:
    """A publishAt without a UTC offset is BAD_USER_INPUT and changes nothing, never an
    internal error from comparing it with the clock (found by the GraphQL fuzzer)."""
    _, auth = await staff(passwords, Role.EDITOR, NOW, SECRET)
    article = await make_article(slug="naive", status="DRAFT")
    naive = (NOW + timedelta(hours=1)).replace(tzinfo=None).isoformat()
    result = await gql(PUBLISH, {"id": gid(article.id), "at": naive}, **auth)
    error = result["errors"][0]
    assert error["extensions"]["code"] == "BAD_USER_INPUT", result
    assert [f["field"] for f in error["extensions"]["fields"]] == ["publishAt"]
    await article.refresh_from_db()
    assert (article.status, article.version) == ("DRAFT", 1)


@pytest.mark.usefixtures("app")
async def test_corrections_are_public_dated_and_count_as_updates(
    gql: GraphQLClient, passwords: Passwords
) -> None:
    """addCorrection appends a dated note the public sees and moves the version on."""
    _, auth = await staff(passwords, Role.EDITOR, NOW, SECRET)
    article = await make_article(slug="fixed", published_at=NOW - timedelta(hours=1))
    result = await gql(
        """mutation($id: ID!) { addCorrection(articleId: $id,
           input: {kind: CORRECTION, text: "An earlier version misstated the date."}) { version } }""",
        {"id": gid(article.id)},
        **auth,
    )
    assert result["data"]["addCorrection"]["version"] == 2
    public = (await gql(PUBLIC, {"slug": "fixed"}))["data"]["article"]
    assert public["corrections"] == [
        {
            "kind": "CORRECTION",
            "text": "An earlier version misstated the date.",
            "createdAt": NOW.isoformat(),
        }
    ]
    empty = await gql(
        'mutation($id: ID!) { addCorrection(articleId: $id, input: {kind: UPDATE, text: " "}) { id } }',
        {"id": gid(article.id)},
        **auth,
    )
    assert empty["errors"][0]["extensions"]["fields"][0]["field"] == "text"


REVISIONS = (
    "query($id: ID!) { articleRevisions(id: $id) { number title body { text } user { email } } }"
)
UPDATE = """mutation($id: ID!, $v: Int!, $input: ArticlePatch!) {
  updateArticle(id: $id, version: $v, input: $input) { version } }"""
RESTORE = """mutation($id: ID!, $r: Int!, $v: Int!) {
  restoreArticleRevision(id: $id, revision: $r, version: $v) { title version body { text } } }"""


@pytest.mark.usefixtures("app")
async def test_revisions_and_restore(gql: GraphQLClient, passwords: Passwords) -> None:
    """Revisions list newest first, with who saved them; a restore is a new revision
    and history is never rewritten."""
    user, auth = await staff(passwords, Role.EDITOR, NOW, SECRET)
    created = (
        await gql(
            'mutation { createArticle(input: {title: "One", body: "first body"}) { id } }', **auth
        )
    )["data"]["createArticle"]
    article_id = created["id"]
    await gql(
        UPDATE, {"id": article_id, "v": 1, "input": {"title": "Two", "body": "second body"}}, **auth
    )
    restored = (await gql(RESTORE, {"id": article_id, "r": 1, "v": 2}, **auth))["data"][
        "restoreArticleRevision"
    ]
    assert restored == {"title": "One", "version": 3, "body": {"text": "first body"}}
    revisions = (await gql(REVISIONS, {"id": article_id}, **auth))["data"]["articleRevisions"]
    assert [(r["number"], r["title"]) for r in revisions] == [(3, "One"), (2, "Two"), (1, "One")]
    assert revisions[0]["user"] == {"email": user.email}
    missing = await gql(RESTORE, {"id": article_id, "r": 9, "v": 3}, **auth)
    assert missing["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    stale = await gql(RESTORE, {"id": article_id, "r": 1, "v": 1}, **auth)
    assert stale["errors"][0]["extensions"]["code"] == "CONFLICT"
    public = await gql(REVISIONS, {"id": article_id})
    assert public["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


PREVIEW = "mutation($id: ID!, $s: Int) { createPreviewToken(articleId: $id, expiresInSeconds: $s) }"
BY_TOKEN = "query($t: String!) { article(previewToken: $t) { slug status } }"


@pytest.mark.usefixtures("app")
async def test_preview_tokens_open_one_draft_until_they_expire(
    gql: GraphQLClient, passwords: Passwords, clock: FixedClock
) -> None:
    """A preview token shows its draft to anyone; tampered or expired ones are refused."""
    _, auth = await staff(passwords, Role.EDITOR, NOW, SECRET)
    draft = await make_article(slug="draft", status="DRAFT")
    token = (await gql(PREVIEW, {"id": gid(draft.id), "s": 1}, **auth))["data"][
        "createPreviewToken"
    ]
    assert (await gql(BY_TOKEN, {"t": token}))["data"]["article"] == {
        "slug": "draft",
        "status": "DRAFT",
    }
    tampered = token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1]
    for bad in (tampered, "garbage", ""):
        result = await gql(BY_TOKEN, {"t": bad})
        assert result["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    clock.advance(seconds=1)
    expired = await gql(BY_TOKEN, {"t": token})
    assert expired["errors"][0]["extensions"]["fields"][0]["field"] == "previewToken"
    too_long = await gql(PREVIEW, {"id": gid(draft.id), "s": 0}, **auth)
    assert too_long["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


@pytest.mark.usefixtures("app")
async def test_deleted_articles_vanish_and_credited_authors_stay(
    gql: GraphQLClient, passwords: Passwords
) -> None:
    """A deleted article is gone everywhere; an author still credited cannot be deleted,
    and can once the article is gone."""
    _, auth = await staff(passwords, Role.EDITOR, NOW, SECRET)
    author = await make_author(slug="reporter")
    article = await make_article(
        slug="gone", published_at=NOW - timedelta(hours=1), authors=[author]
    )
    refused = await gql(
        "mutation($id: ID!) { deleteAuthor(id: $id) }",
        {"id": to_base64("Author", author.id)},
        **auth,
    )
    assert refused["errors"][0]["extensions"]["code"] == "CONFLICT"
    assert "credited" in refused["errors"][0]["message"]
    assert (
        await gql("mutation($id: ID!) { deleteArticle(id: $id) }", {"id": gid(article.id)}, **auth)
    )["data"] == {"deleteArticle": True}
    assert (await gql(PUBLIC, {"slug": "gone"}))["data"]["article"] is None
    assert (await gql(PUBLIC, {"slug": "gone"}, **auth))["data"]["article"] is None
    ok = await gql(
        "mutation($id: ID!) { deleteAuthor(id: $id) }",
        {"id": to_base64("Author", author.id)},
        **auth,
    )
    assert ok["data"] == {"deleteAuthor": True}
    assert (await gql('{ author(slug: "reporter") { slug } }'))["data"]["author"] is None
