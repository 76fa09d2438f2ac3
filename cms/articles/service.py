"""Writing, publishing and revising articles.

CONTRIBUTORs create articles and edit their own drafts; AUTHORs also publish and
unpublish their own; EDITORs and ADMINs handle everyone's. "Own" means the
caller's byline is on the article, or the caller created it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from tortoise.expressions import F
from tortoise.transactions import in_transaction

from cms.accounts.actor import Actor, Scope
from cms.accounts.models import Role
from cms.accounts.permissions import require, role_at_least
from cms.articles.body import RenderedBody, render_body
from cms.articles.models import (
    Article,
    ArticleAuthor,
    ArticleRevision,
    ArticleTag,
    ArticleVideo,
    BodyFormat,
    Correction,
    CorrectionKind,
    Source,
)
from cms.articles.preview import MAX_LIFETIME, PreviewTokens
from cms.articles.search import index_article
from cms.assets.models import AssetState, MediaAsset
from cms.authors.models import Author
from cms.content import ContentStatus, is_visible
from cms.delivery.changes import FeedTracker, record_event
from cms.editing import Problems, get_live, save_versioned, with_unique_slug
from cms.errors import BadUserInput, Conflict, Forbidden, NotFound
from cms.feed.models import FeedItem, FeedItemKind
from cms.feed.service import follow_publication
from cms.patch import UNSET, Maybe
from cms.publishing import publish_row, unpublish_row
from cms.tags.models import Tag
from cms.videos.models import VideoEmbed

MAX_TITLE = 300
MAX_DEK = 1000
MAX_BODY_BYTES = 1024 * 1024
MAX_AUTHORS = 10
MAX_TAGS = 20
MAX_VIDEOS = 10
MAX_SOURCES = 30
MAX_TAG = 100
MAX_CORRECTION = 5000


@dataclass(frozen=True, slots=True)
class SourceInput:
    name: str
    url: str | None = None


@dataclass(frozen=True, slots=True)
class ArticleFields:
    """The editable fields of an article; UNSET leaves one as it is (patches)."""

    title: Maybe[str] = UNSET
    slug: Maybe[str | None] = UNSET
    dek: Maybe[str | None] = UNSET
    body: Maybe[str] = UNSET
    body_format: Maybe[BodyFormat] = UNSET
    author_ids: Maybe[list[int] | None] = UNSET
    cover_image_id: Maybe[int | None] = UNSET
    tags: Maybe[list[str] | None] = UNSET
    video_ids: Maybe[list[int] | None] = UNSET
    sources: Maybe[list[SourceInput] | None] = UNSET
    language: Maybe[str] = UNSET
    translation_of_id: Maybe[int | None] = UNSET


@dataclass
class _Checked:
    columns: dict[str, Any]
    rendered: RenderedBody | None
    author_ids: list[int] | None
    tags: list[str] | None
    video_ids: list[int] | None
    sources: list[SourceInput] | None


async def _check(fields: ArticleFields, current: Article | None) -> _Checked:
    """Validates every field at once and renders the body."""
    problems = Problems()
    columns: dict[str, Any] = {}
    if fields.title is not UNSET or current is None:
        title = fields.title if fields.title is not UNSET else None
        columns["title"] = problems.text("title", title, max_length=MAX_TITLE, required=True)
    if fields.dek is not UNSET:
        columns["dek"] = problems.text("dek", fields.dek, max_length=MAX_DEK) or None
    if fields.language is not UNSET:
        columns["language"] = problems.language("language", fields.language or "")
    rendered = None
    body_format = (
        fields.body_format
        if fields.body_format not in (UNSET, None)
        else (current.body_format if current else BodyFormat.MARKDOWN)
    )
    if fields.body is not UNSET or fields.body_format not in (UNSET, None) or current is None:
        body = (
            fields.body if fields.body is not UNSET else (current.body_source if current else None)
        )
        if body is None:
            problems.add("body", "is required")
        elif len(body.encode()) > MAX_BODY_BYTES:
            problems.add("body", "must be at most 1 MB")
        else:
            rendered = render_body(body, BodyFormat(body_format))
            columns.update(
                body_source=body,
                body_format=body_format,
                body_html=rendered.html,
                body_text=rendered.text,
                word_count=rendered.word_count,
            )

    author_ids = _listed(problems, "authorIds", fields.author_ids, MAX_AUTHORS)
    await _check_exist(problems, Author, author_ids, "authorIds", "no such author")
    video_ids = _listed(problems, "videoIds", fields.video_ids, MAX_VIDEOS)
    await _check_exist(problems, VideoEmbed, video_ids, "videoIds", "no such video")
    tags = _listed(problems, "tags", fields.tags, MAX_TAGS)
    if tags:
        tags = [
            problems.text(f"tags.{i}", t, max_length=MAX_TAG, required=True) or ""
            for i, t in enumerate(tags)
        ]
    sources = _listed(problems, "sources", fields.sources, MAX_SOURCES)
    if sources:
        sources = [
            SourceInput(
                name=problems.text(f"sources.{i}.name", s.name, max_length=200, required=True)
                or "",
                url=problems.url(f"sources.{i}.url", s.url),
            )
            for i, s in enumerate(sources)
        ]
    if fields.cover_image_id is not UNSET:
        cover = fields.cover_image_id
        if (
            cover is not None
            and not await MediaAsset.filter(
                id=cover, state=AssetState.READY, content_type__startswith="image/"
            ).exists()
        ):
            problems.add("coverImageId", "no such image")
        columns["cover_image_id"] = cover
    if fields.translation_of_id is not UNSET:
        original = fields.translation_of_id
        if original is not None:
            row = await Article.filter(id=original, deleted_at__isnull=True).first()
            if row is None or (current is not None and original == current.id):
                problems.add("translationOfId", "no such article")
            elif row.translation_of_id is not None:  # type: ignore[attr-defined]
                original = row.translation_of_id  # type: ignore[attr-defined]
        columns["translation_of_id"] = original
    problems.raise_if_any("invalid article")
    return _Checked(columns, rendered, author_ids, tags, video_ids, sources)


async def _check_exist(
    problems: Problems,
    model: type[Author] | type[VideoEmbed],
    ids: list[int] | None,
    field: str,
    message: str,
) -> None:
    """Each id names a live row of `model`; the others are reported by position."""
    if not ids:
        return
    found = set(
        await model.filter(id__in=ids, deleted_at__isnull=True).values_list("id", flat=True)
    )
    for i, row_id in enumerate(ids):
        if row_id not in found:
            problems.add(f"{field}.{i}", message)


def _listed(problems: Problems, field: str, value: Any, limit: int) -> list[Any] | None:
    """A list field: UNSET stays None (unchanged), null clears to []."""
    if value is UNSET:
        return None
    items = list(value or [])
    if len(items) > limit:
        problems.add(field, f"at most {limit} items")
    if len(items) != len(set(map(repr, items))):
        problems.add(field, "has duplicates")
    return items


async def _write_relations(article_id: int, checked: _Checked) -> None:
    if checked.author_ids is not None:
        await ArticleAuthor.filter(article_id=article_id).delete()
        for position, author_id in enumerate(checked.author_ids):
            await ArticleAuthor.create(
                article_id=article_id, author_id=author_id, position=position
            )
    if checked.video_ids is not None:
        await ArticleVideo.filter(article_id=article_id).delete()
        for position, video_id in enumerate(checked.video_ids):
            await ArticleVideo.create(article_id=article_id, video_id=video_id, position=position)
    if checked.sources is not None:
        await Source.filter(article_id=article_id).delete()
        for position, source in enumerate(checked.sources):
            await Source.create(
                article_id=article_id, position=position, name=source.name, url=source.url
            )
    if checked.tags is not None:
        await ArticleTag.filter(article_id=article_id).delete()
        seen: set[int] = set()
        for name in checked.tags:
            tag = await tag_for(name)
            if tag.id not in seen:
                seen.add(tag.id)
                await ArticleTag.create(article_id=article_id, tag_id=tag.id, position=len(seen))


async def tag_for(name: str) -> Tag:
    """The tag of this name, matched case-insensitively; created on first use."""
    key = name.strip().casefold()
    existing = await Tag.filter(name_key=key).first()
    if existing is not None:
        return existing

    async def create(slug: str) -> Tag:
        return await Tag.create(slug=slug, name=name.strip(), name_key=key)

    try:
        return await with_unique_slug(Tag, explicit=None, source=name, create=create)
    except Conflict:
        # a concurrent writer created the same tag first (its name_key is unique)
        found = await Tag.filter(name_key=key).first()
        if found is None:
            raise
        return found


async def _add_revision(article_id: int, actor: Actor, now: datetime) -> None:
    article = await Article.get(id=article_id)
    last = await ArticleRevision.filter(article_id=article_id).order_by("-number").first()
    await ArticleRevision.create(
        article_id=article_id,
        number=(last.number + 1) if last else 1,
        title=article.title,
        dek=article.dek,
        body_format=article.body_format,
        body_source=article.body_source,
        body_html=article.body_html,
        body_text=article.body_text,
        user_id=actor.user_id,
        created_at=now,
    )


# --- permissions ----------------------------------------------------------------


async def _author_profile_id(actor: Actor) -> int | None:
    if actor.user_id is None:
        return None
    profile = await Author.filter(user_id=actor.user_id, deleted_at__isnull=True).first()
    return profile.id if profile is not None else None


async def is_own(actor: Actor, article: Article) -> bool:
    """The caller's byline is on the article, or the caller created it."""
    if actor.user_id is not None and article.created_by_id == actor.user_id:  # type: ignore[attr-defined]
        return True
    profile = await _author_profile_id(actor)
    return (
        profile is not None
        and await ArticleAuthor.filter(article_id=article.id, author_id=profile).exists()
    )


async def _require_edit(actor: Actor, article: Article) -> None:
    if role_at_least(actor, Role.EDITOR):
        return
    if not await is_own(actor, article):
        raise Forbidden("you may edit only your own articles")
    if not role_at_least(actor, Role.AUTHOR) and article.status != ContentStatus.DRAFT:
        raise Forbidden("contributors may edit only drafts")


async def _require_publish(actor: Actor, article: Article) -> None:
    if not role_at_least(actor, Role.EDITOR) and not await is_own(actor, article):
        raise Forbidden("authors may publish only their own articles")


# --- announcing ------------------------------------------------------------------


def _public(article: Article, now: datetime) -> bool:
    return is_visible(article.status, article.published_at, article.deleted_at, now)


def _summary(article: Article) -> dict[str, object]:
    return {
        "slug": article.slug,
        "title": article.title,
        "publishedAt": article.published_at.isoformat() if article.published_at else None,
    }


async def _track(article_id: int, now: datetime) -> FeedTracker:
    return await FeedTracker.start(now, lambda: FeedItem.filter(article_id=article_id))


async def _announce_update(article_id: int, tracker: FeedTracker, now: datetime) -> None:
    """A change of a public article: its feed entries changed, and so did it."""
    await tracker.finish(changed=True)
    article = await Article.get(id=article_id)
    if _public(article, now):
        await record_event("article.updated", "Article", article.id, now, **_summary(article))


# --- writing --------------------------------------------------------------------


async def create_article(*, actor: Actor, fields: ArticleFields, now: datetime) -> Article:
    """A new DRAFT, revision 1. Without bylines, the caller's own byline is used."""
    require(actor, scope=Scope.CONTENT_WRITE)
    checked = await _check(fields, None)
    if not checked.author_ids:
        profile = await _author_profile_id(actor)
        checked.author_ids = [profile] if profile is not None else []
    explicit = fields.slug if fields.slug is not UNSET else None

    async def create(slug: str) -> Article:
        article = await Article.create(
            slug=slug, status=ContentStatus.DRAFT, created_by_id=actor.user_id, **checked.columns
        )
        await _write_relations(article.id, checked)
        await _add_revision(article.id, actor, now)
        await index_article(article.id)
        return article

    async with in_transaction():
        article = await with_unique_slug(
            Article,
            explicit=explicit,
            source=str(checked.columns["title"]),
            create=create,
            max_length=120,
        )
    return await Article.get(id=article.id)


async def update_article(
    *, actor: Actor, article_id: int, version: int, fields: ArticleFields, now: datetime
) -> Article:
    """Applies a patch if `version` is still current; a change of title, dek or body
    keeps a revision."""
    require(actor, scope=Scope.CONTENT_WRITE)
    async with in_transaction():
        article = await get_live(Article, article_id, "article", lock=True)
        await _require_edit(actor, article)
        tracker = await _track(article.id, now)
        checked = await _check(fields, article)
        words_changed = any(
            name in checked.columns and checked.columns[name] != getattr(article, name)
            for name in ("title", "dek", "body_source", "body_format")
        )
        if fields.slug is not UNSET and fields.slug is not None and fields.slug != article.slug:

            async def rename(slug: str) -> None:
                await Article.filter(id=article.id).update(slug=slug)

            await with_unique_slug(
                Article, explicit=fields.slug, source=article.title, create=rename
            )
        await save_versioned(Article, article.id, version, **checked.columns)
        await _write_relations(article.id, checked)
        if words_changed:
            await _add_revision(article.id, actor, now)
            await index_article(article.id)
        await _announce_update(article.id, tracker, now)
    return await Article.get(id=article_id)


async def publish_article(
    *,
    actor: Actor,
    article_id: int,
    publish_at: datetime | None,
    add_to_feed: bool,
    now: datetime,
) -> Article:
    require(actor, scope=Scope.CONTENT_PUBLISH, role=Role.AUTHOR)
    async with in_transaction():
        article = await get_live(Article, article_id, "article", lock=True)
        await _require_publish(actor, article)
        was_public = _public(article, now)
        tracker = await _track(article.id, now)
        await publish_row(Article, article, publish_at=publish_at, now=now)
        article = await Article.get(id=article_id)
        if add_to_feed:
            await follow_publication(
                kind=FeedItemKind.ARTICLE,
                article=article,
                headline=article.title,
                summary=article.dek,
                language=article.language,
                actor=actor,
            )
        await tracker.finish(changed=True)
        if _public(article, now):
            kind = "article.updated" if was_public else "article.published"
            await record_event(kind, "Article", article.id, now, **_summary(article))
    return article


async def unpublish_article(*, actor: Actor, article_id: int, now: datetime) -> Article:
    require(actor, scope=Scope.CONTENT_PUBLISH, role=Role.AUTHOR)
    async with in_transaction():
        article = await get_live(Article, article_id, "article", lock=True)
        await _require_publish(actor, article)
        was_public = _public(article, now)
        tracker = await _track(article.id, now)
        await unpublish_row(Article, article)
        await tracker.finish(changed=False)
        if was_public:
            await record_event("article.unpublished", "Article", article.id, now)
    return await Article.get(id=article_id)


async def add_correction(
    *, actor: Actor, article_id: int, kind: CorrectionKind, text: str, now: datetime
) -> Article:
    """Appends a public, dated note; counts as an update of the article."""
    require(actor, scope=Scope.CONTENT_WRITE)
    problems = Problems()
    text = problems.text("text", text, max_length=MAX_CORRECTION, required=True) or ""
    problems.raise_if_any("invalid correction")
    async with in_transaction():
        article = await get_live(Article, article_id, "article", lock=True)
        await _require_edit(actor, article)
        tracker = await _track(article.id, now)
        await Correction.create(
            article_id=article.id, kind=kind, text=text, created_by_id=actor.user_id, created_at=now
        )
        await Article.filter(id=article.id).update(version=F("version") + 1)
        await _announce_update(article.id, tracker, now)
    return await Article.get(id=article_id)


async def restore_revision(
    *, actor: Actor, article_id: int, number: int, version: int, now: datetime
) -> Article:
    """Brings back an old revision's words, as a new revision (history stays)."""
    require(actor, scope=Scope.CONTENT_WRITE)
    async with in_transaction():
        article = await get_live(Article, article_id, "article", lock=True)
        await _require_edit(actor, article)
        revision = await ArticleRevision.filter(article_id=article.id, number=number).first()
        if revision is None:
            raise NotFound(f"no revision {number} of this article")
        tracker = await _track(article.id, now)
        await save_versioned(
            Article,
            article.id,
            version,
            title=revision.title,
            dek=revision.dek,
            body_format=revision.body_format,
            body_source=revision.body_source,
            body_html=revision.body_html,
            body_text=revision.body_text,
            word_count=render_body(revision.body_source, revision.body_format).word_count,
        )
        await _add_revision(article.id, actor, now)
        await index_article(article.id)
        await _announce_update(article.id, tracker, now)
    return await Article.get(id=article_id)


async def delete_article(*, actor: Actor, article_id: int, now: datetime) -> bool:
    """Soft delete: gone everywhere, but remembered for delta sync."""
    require(actor, scope=Scope.CONTENT_WRITE)
    async with in_transaction():
        article = await get_live(Article, article_id, "article", lock=True)
        await _require_edit(actor, article)
        if not role_at_least(actor, Role.EDITOR) and article.status != ContentStatus.DRAFT:
            raise Forbidden("only editors delete published articles")
        was_public = _public(article, now)
        tracker = await _track(article.id, now)
        await Article.filter(id=article.id).update(deleted_at=now, version=F("version") + 1)
        # its feed entries go with it
        await FeedItem.filter(article_id=article.id, deleted_at__isnull=True).update(deleted_at=now)
        await tracker.finish(changed=False)
        if was_public:
            await record_event("article.deleted", "Article", article.id, now)
    return True


async def revisions(*, actor: Actor, article_id: int) -> list[ArticleRevision]:
    """An article's revisions, newest first."""
    require(actor, scope=Scope.CONTENT_READ)
    article = await get_live(Article, article_id, "article")
    return await ArticleRevision.filter(article_id=article.id).order_by("-number").limit(500)


async def create_preview_token(
    *, actor: Actor, article_id: int, expires_in_seconds: int, now: datetime, tokens: PreviewTokens
) -> str:
    require(actor, scope=Scope.CONTENT_READ)
    if not 1 <= expires_in_seconds <= MAX_LIFETIME.total_seconds():
        raise BadUserInput.for_field(
            "expiresInSeconds", f"must be 1 to {int(MAX_LIFETIME.total_seconds())}"
        )
    article = await get_live(Article, article_id, "article")
    return tokens.make(article.id, now + timedelta(seconds=expires_in_seconds))
