"""Editing bylines (EDITOR and above)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tortoise.expressions import Subquery
from tortoise.transactions import in_transaction

from cms.accounts.actor import Actor, Scope
from cms.accounts.models import Role
from cms.accounts.permissions import require
from cms.articles.models import ArticleAuthor
from cms.assets.models import AssetState, MediaAsset
from cms.authors.models import Author, AuthorKind
from cms.delivery.changes import FeedTracker, record_event
from cms.editing import Problems, get_live, save_versioned, with_unique_slug
from cms.errors import Conflict
from cms.feed.models import FeedItem
from cms.patch import UNSET, Maybe

MAX_NAME = 200
MAX_TITLE = 200
MAX_BIO = 5000
MAX_LINKS = 20


@dataclass(frozen=True, slots=True)
class Link:
    label: str
    url: str


@dataclass(frozen=True, slots=True)
class AuthorFields:
    """The editable fields of an author; UNSET leaves one as it is (patches)."""

    name: Maybe[str] = UNSET
    slug: Maybe[str | None] = UNSET
    kind: Maybe[AuthorKind] = UNSET
    title: Maybe[str | None] = UNSET
    bio: Maybe[str | None] = UNSET
    avatar_id: Maybe[int | None] = UNSET
    email: Maybe[str | None] = UNSET
    links: Maybe[list[Link] | None] = UNSET


async def _checked(fields: AuthorFields, *, creating: bool) -> dict[str, Any]:
    """The validated column values of `fields`; every problem reported at once."""
    problems = Problems()
    values: dict[str, Any] = {}
    if fields.name is not UNSET or creating:
        name = fields.name if fields.name is not UNSET else None
        values["name"] = problems.text("name", name, max_length=MAX_NAME, required=True)
    if fields.kind is not UNSET:
        if fields.kind is None:
            problems.add("kind", "must not be null")
        values["kind"] = fields.kind
    if fields.title is not UNSET:
        values["title"] = problems.text("title", fields.title, max_length=MAX_TITLE) or None
    if fields.bio is not UNSET:
        values["bio"] = problems.text("bio", fields.bio, max_length=MAX_BIO) or None
    if fields.email is not UNSET:
        email = problems.text("email", fields.email, max_length=254) or None
        if email is not None and "@" not in email:
            problems.add("email", "not a valid email address")
        values["email"] = email
    if fields.links is not UNSET:
        links = fields.links or []
        if len(links) > MAX_LINKS:
            problems.add("links", f"at most {MAX_LINKS} links")
        checked = []
        for i, link in enumerate(links):
            label = problems.text(f"links.{i}.label", link.label, max_length=100, required=True)
            url = problems.url(f"links.{i}.url", link.url)
            checked.append({"label": label, "url": url})
        values["links"] = checked
    if fields.avatar_id is not UNSET:
        if (
            fields.avatar_id is not None
            and not await MediaAsset.filter(
                id=fields.avatar_id, state=AssetState.READY, content_type__startswith="image/"
            ).exists()
        ):
            problems.add("avatarId", "no such image")
        values["avatar_id"] = fields.avatar_id
    problems.raise_if_any("invalid author")
    return values


async def create_author(*, actor: Actor, fields: AuthorFields) -> Author:
    require(actor, scope=Scope.CONTENT_WRITE, role=Role.EDITOR)
    values = await _checked(fields, creating=True)
    explicit = fields.slug if fields.slug is not UNSET else None

    async def create(slug: str) -> Author:
        return await Author.create(slug=slug, **values)

    return await with_unique_slug(
        Author, explicit=explicit, source=str(values["name"]), create=create
    )


async def update_author(
    *, actor: Actor, author_id: int, version: int | None, fields: AuthorFields, now: datetime
) -> Author:
    """Applies a patch; with `version`, only if it is still the current one."""
    require(actor, scope=Scope.CONTENT_WRITE, role=Role.EDITOR)
    values = await _checked(fields, creating=False)
    async with in_transaction():
        author = await get_live(Author, author_id, "author", lock=True)
        # the feed items of the articles they wrote show the byline: delta sync
        # must hand them out again
        articles = ArticleAuthor.filter(author_id=author.id).values("article_id")
        tracker = await FeedTracker.start(
            now, lambda: FeedItem.filter(article_id__in=Subquery(articles))
        )
        if fields.slug is not UNSET and fields.slug is not None and fields.slug != author.slug:

            async def rename(slug: str) -> None:
                await Author.filter(id=author.id).update(slug=slug)

            await with_unique_slug(Author, explicit=fields.slug, source=author.name, create=rename)
        await save_versioned(
            Author, author.id, version if version is not None else author.version, **values
        )
        # bylines show in public output: caches must forget it
        await record_event("author.updated", "Author", author.id, now)
        await tracker.finish(changed=True)
    return await Author.get(id=author_id)


async def delete_author(*, actor: Actor, author_id: int, now: datetime) -> bool:
    """Soft-deletes an author; refused while any article still credits them."""
    require(actor, scope=Scope.CONTENT_WRITE, role=Role.EDITOR)
    async with in_transaction():
        author = await get_live(Author, author_id, "author", lock=True)
        credited = await ArticleAuthor.filter(
            author_id=author.id, article__deleted_at__isnull=True
        ).count()
        if credited:
            raise Conflict(
                f"{author.name} is credited on {credited} article(s); remove the byline first"
            )
        await Author.filter(id=author.id).update(deleted_at=now, user_id=None)
        await record_event("author.deleted", "Author", author.id, now)
    return True
