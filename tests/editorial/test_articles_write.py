"""Writing articles: drafts, validation of every field at once, slugs, tags,
optimistic locking, and who may edit what."""

from __future__ import annotations

import pytest
from strawberry.relay import to_base64

from cms.accounts.models import Role
from cms.accounts.passwords import Passwords
from cms.articles.models import Article, ArticleRevision
from cms.authors.models import Author
from cms.tags.models import Tag

from conftest import NOW, SECRET, GraphQLClient
from factories import make_article, make_author, staff

CREATE = """mutation($input: ArticleInput!) {
  createArticle(input: $input) {
    id slug title dek status version language wordCount readingTimeMinutes
    body { html text } authors { slug } tags { name slug } sources { name url }
  }
}"""
UPDATE = """mutation($id: ID!, $version: Int!, $input: ArticlePatch!) {
  updateArticle(id: $id, version: $version, input: $input) {
    id slug title dek version tags { name } authors { slug } sources { name }
  }
}"""
PUBLISH = "mutation($id: ID!) { publishArticle(id: $id) { status version } }"


def gid(kind: str, row_id: int) -> str:
    return to_base64(kind, row_id)


@pytest.mark.usefixtures("app")
async def test_create_makes_a_draft_with_revision_one(
    gql: GraphQLClient, passwords: Passwords
) -> None:
    """A new article is a DRAFT at version 1, rendered, slugged, credited to the
    caller's byline by default, with revision 1 kept."""
    user, auth = await staff(passwords, Role.CONTRIBUTOR, NOW, SECRET)
    await Author.create(slug="me", name="Me", user=user)
    result = await gql(
        CREATE,
        {
            "input": {
                "title": "Grain corridor reopens",
                "dek": "Ships leave Odesa.",
                "body": "First **bold** paragraph.\n\nSecond one.",
                "tags": ["Grain", "Black Sea"],
                "sources": [{"name": "Port authority", "url": "https://example.org/port"}],
            }
        },
        **auth,
    )
    article = result["data"]["createArticle"]
    assert article["status"] == "DRAFT"
    assert article["version"] == 1
    assert article["slug"] == "grain-corridor-reopens"
    assert (
        article["body"]["html"]
        == "<p>First <strong>bold</strong> paragraph.</p>\n<p>Second one.</p>"
    )
    assert article["wordCount"] == 5 and article["readingTimeMinutes"] == 1
    assert article["authors"] == [{"slug": "me"}]
    assert [t["name"] for t in article["tags"]] == ["Grain", "Black Sea"]
    assert article["sources"] == [{"name": "Port authority", "url": "https://example.org/port"}]
    revisions = await ArticleRevision.all()
    assert [(r.number, r.title) for r in revisions] == [(1, "Grain corridor reopens")]


@pytest.mark.usefixtures("app")
async def test_every_bad_field_is_reported_at_once(
    gql: GraphQLClient, passwords: Passwords
) -> None:
    """Lengths, language, URLs, and ids of the wrong type or of nothing: all in one error."""
    _, auth = await staff(passwords, Role.EDITOR, NOW, SECRET)
    result = await gql(
        CREATE,
        {
            "input": {
                "title": "x" * 301,
                "dek": "d" * 1001,
                "body": "b" * (1024 * 1024 + 1),
                "language": "english please",
                "sources": [{"name": "Bad", "url": "javascript:alert(1)"}],
                "authorIds": [gid("Author", 999)],
                "videoIds": [gid("VideoEmbed", 999)],
                "translationOfId": gid("Article", 999),
            }
        },
        **auth,
    )
    error = result["errors"][0]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    fields = {f["field"] for f in error["extensions"]["fields"]}
    assert fields == {
        "title",
        "dek",
        "body",
        "language",
        "sources.0.url",
        "authorIds.0",
        "videoIds.0",
        "translationOfId",
    }
    assert await Article.all().count() == 0


@pytest.mark.usefixtures("app")
async def test_an_id_of_another_type_is_refused(gql: GraphQLClient, passwords: Passwords) -> None:
    """An author id given where a cover image belongs is BAD_USER_INPUT on that field."""
    _, auth = await staff(passwords, Role.EDITOR, NOW, SECRET)
    result = await gql(
        CREATE, {"input": {"title": "T", "body": "B", "coverImageId": gid("Author", 1)}}, **auth
    )
    assert result["errors"][0]["extensions"]["fields"][0]["field"] == "coverImageId"


@pytest.mark.usefixtures("app")
async def test_slugs_are_unique_and_transliterated(
    gql: GraphQLClient, passwords: Passwords
) -> None:
    """Generated slugs get a suffix when taken; Ukrainian titles read well; an explicit
    slug that is taken is a CONFLICT."""
    _, auth = await staff(passwords, Role.EDITOR, NOW, SECRET)
    slugs = []
    for _ in range(3):
        result = await gql(CREATE, {"input": {"title": "Air raid alert", "body": "B"}}, **auth)
        slugs.append(result["data"]["createArticle"]["slug"])
    assert slugs == ["air-raid-alert", "air-raid-alert-2", "air-raid-alert-3"]
    ukrainian = await gql(
        CREATE, {"input": {"title": "Київ отримає нові ЗРК", "body": "Б", "language": "uk"}}, **auth
    )
    assert ukrainian["data"]["createArticle"]["slug"] == "kyiv-otrymaie-novi-zrk"
    taken = await gql(
        CREATE, {"input": {"title": "T", "body": "B", "slug": "air-raid-alert"}}, **auth
    )
    assert taken["errors"][0]["extensions"]["code"] == "CONFLICT"
    bad = await gql(CREATE, {"input": {"title": "T", "body": "B", "slug": "Not A Slug"}}, **auth)
    assert bad["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


@pytest.mark.usefixtures("app")
async def test_tags_are_created_once_and_matched_case_insensitively(
    gql: GraphQLClient, passwords: Passwords
) -> None:
    """ "Energy" and "ENERGY" are one tag, created on first use."""
    _, auth = await staff(passwords, Role.EDITOR, NOW, SECRET)
    await gql(CREATE, {"input": {"title": "A", "body": "B", "tags": ["Energy"]}}, **auth)
    second = await gql(
        CREATE, {"input": {"title": "C", "body": "D", "tags": ["ENERGY", "Grid"]}}, **auth
    )
    assert [t["name"] for t in second["data"]["createArticle"]["tags"]] == ["Energy", "Grid"]
    assert sorted(await Tag.all().values_list("slug", flat=True)) == ["energy", "grid"]


@pytest.mark.usefixtures("app")
async def test_update_needs_the_current_version(gql: GraphQLClient, passwords: Passwords) -> None:
    """A save with the current version applies and moves it on; a stale one is a
    CONFLICT that changes nothing."""
    _, auth = await staff(passwords, Role.EDITOR, NOW, SECRET)
    created = (await gql(CREATE, {"input": {"title": "First", "body": "B"}}, **auth))["data"][
        "createArticle"
    ]
    ok = await gql(
        UPDATE, {"id": created["id"], "version": 1, "input": {"title": "Second"}}, **auth
    )
    assert ok["data"]["updateArticle"]["version"] == 2
    stale = await gql(
        UPDATE, {"id": created["id"], "version": 1, "input": {"title": "Third"}}, **auth
    )
    assert stale["errors"][0]["extensions"]["code"] == "CONFLICT"
    assert (await Article.get()).title == "Second"


@pytest.mark.usefixtures("app")
async def test_patch_leaves_out_and_clears(gql: GraphQLClient, passwords: Passwords) -> None:
    """Fields left out stay; null clears dek, tags and sources."""
    _, auth = await staff(passwords, Role.EDITOR, NOW, SECRET)
    created = (
        await gql(
            CREATE,
            {
                "input": {
                    "title": "T",
                    "dek": "D",
                    "body": "B",
                    "tags": ["X"],
                    "sources": [{"name": "S"}],
                }
            },
            **auth,
        )
    )["data"]["createArticle"]
    result = await gql(
        UPDATE,
        {"id": created["id"], "version": 1, "input": {"dek": None, "tags": None, "sources": None}},
        **auth,
    )
    article = result["data"]["updateArticle"]
    assert (article["title"], article["dek"], article["tags"], article["sources"]) == (
        "T",
        None,
        [],
        [],
    )


@pytest.mark.usefixtures("app")
async def test_revisions_only_for_changed_words(gql: GraphQLClient, passwords: Passwords) -> None:
    """Changing tags adds no revision; changing the body adds one."""
    _, auth = await staff(passwords, Role.EDITOR, NOW, SECRET)
    created = (await gql(CREATE, {"input": {"title": "T", "body": "B"}}, **auth))["data"][
        "createArticle"
    ]
    await gql(UPDATE, {"id": created["id"], "version": 1, "input": {"tags": ["X"]}}, **auth)
    assert await ArticleRevision.all().count() == 1
    await gql(UPDATE, {"id": created["id"], "version": 2, "input": {"body": "New body"}}, **auth)
    assert await ArticleRevision.all().count() == 2


@pytest.mark.usefixtures("app")
async def test_contributors_edit_only_their_own_drafts(
    gql: GraphQLClient, passwords: Passwords
) -> None:
    """A contributor edits their own draft, not someone else's, and not once published."""
    user, auth = await staff(passwords, Role.CONTRIBUTOR, NOW, SECRET)
    mine = await make_article(status="DRAFT", created_by=user)
    theirs = await make_article(status="DRAFT")
    ok = await gql(
        UPDATE, {"id": gid("Article", mine.id), "version": 1, "input": {"title": "Mine"}}, **auth
    )
    assert "errors" not in ok
    denied = await gql(
        UPDATE, {"id": gid("Article", theirs.id), "version": 1, "input": {"title": "X"}}, **auth
    )
    assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    published = await make_article(published_at=NOW, created_by=user)
    late = await gql(
        UPDATE, {"id": gid("Article", published.id), "version": 1, "input": {"title": "X"}}, **auth
    )
    assert late["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    never = await gql(PUBLISH, {"id": gid("Article", mine.id)}, **auth)
    assert never["errors"][0]["extensions"]["code"] == "FORBIDDEN"


@pytest.mark.usefixtures("app")
async def test_authors_publish_only_their_own(gql: GraphQLClient, passwords: Passwords) -> None:
    """An AUTHOR publishes an article with their byline, not another's; an EDITOR any."""
    user, auth = await staff(passwords, Role.AUTHOR, NOW, SECRET)
    byline = await make_author(user=user)
    mine = await make_article(status="DRAFT", authors=[byline])
    theirs = await make_article(status="DRAFT")
    assert (await gql(PUBLISH, {"id": gid("Article", mine.id)}, **auth))["data"]["publishArticle"][
        "status"
    ] == "PUBLISHED"
    denied = await gql(PUBLISH, {"id": gid("Article", theirs.id)}, **auth)
    assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    _, editor = await staff(passwords, Role.EDITOR, NOW, SECRET)
    assert "errors" not in await gql(PUBLISH, {"id": gid("Article", theirs.id)}, **editor)


@pytest.mark.usefixtures("app")
async def test_missing_articles_are_not_found(gql: GraphQLClient, passwords: Passwords) -> None:
    """Updating an article that does not exist (or was deleted) is NOT_FOUND."""
    _, auth = await staff(passwords, Role.EDITOR, NOW, SECRET)
    deleted = await make_article(status="DRAFT", deleted_at=NOW)
    for row_id in (999, deleted.id):
        result = await gql(
            UPDATE, {"id": gid("Article", row_id), "version": 1, "input": {"title": "X"}}, **auth
        )
        assert result["errors"][0]["extensions"]["code"] == "NOT_FOUND"
