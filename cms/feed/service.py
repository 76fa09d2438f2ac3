"""Editing the News Feed (EDITOR and above), and the entries that publishing an
article or a video adds to it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tortoise.expressions import F
from tortoise.transactions import in_transaction

from cms.accounts.actor import Actor, Scope
from cms.accounts.models import Role
from cms.accounts.permissions import require
from cms.articles.models import Article
from cms.content import ContentStatus
from cms.delivery.changes import FeedTracker
from cms.editing import Problems, get_live, save_versioned
from cms.feed.models import FeedItem, FeedItemKind
from cms.patch import UNSET, Maybe
from cms.publishing import publish_row, unpublish_row
from cms.videos.models import VideoEmbed

MAX_HEADLINE = 300
MAX_SUMMARY = 1000


@dataclass(frozen=True, slots=True)
class FeedItemFields:
    kind: Maybe[FeedItemKind] = UNSET
    headline: Maybe[str] = UNSET
    summary: Maybe[str | None] = UNSET
    article_id: Maybe[int | None] = UNSET
    video_id: Maybe[int | None] = UNSET
    pinned: Maybe[bool] = UNSET
    breaking: Maybe[bool] = UNSET
    language: Maybe[str] = UNSET


async def _checked(fields: FeedItemFields, current: FeedItem | None) -> dict[str, Any]:
    problems = Problems()
    values: dict[str, Any] = {}
    if fields.headline is not UNSET or current is None:
        headline = fields.headline if fields.headline is not UNSET else None
        values["headline"] = problems.text(
            "headline", headline, max_length=MAX_HEADLINE, required=True
        )
    if fields.summary is not UNSET:
        values["summary"] = problems.text("summary", fields.summary, max_length=MAX_SUMMARY) or None
    for name in ("pinned", "breaking"):
        value = getattr(fields, name)
        if value is not UNSET:
            if value is None:
                problems.add(name, "must be true or false")
            values[name] = value
    if fields.language is not UNSET:
        values["language"] = problems.language("language", fields.language or "")
    if fields.kind is not UNSET:
        values["kind"] = fields.kind
    if fields.article_id is not UNSET:
        values["article_id"] = fields.article_id
    if fields.video_id is not UNSET:
        values["video_id"] = fields.video_id

    kind = values.get("kind", current.kind if current else None)
    article_id = values.get("article_id", current.article_id if current else None)  # type: ignore[attr-defined]
    video_id = values.get("video_id", current.video_id if current else None)  # type: ignore[attr-defined]
    if kind == FeedItemKind.ARTICLE:
        if article_id is None:
            problems.add("articleId", "an ARTICLE item needs an article")
        elif not await Article.filter(id=article_id, deleted_at__isnull=True).exists():
            problems.add("articleId", "no such article")
        if video_id is not None:
            problems.add("videoId", "an ARTICLE item has no video")
    elif kind == FeedItemKind.VIDEO:
        if video_id is None:
            problems.add("videoId", "a VIDEO item needs a video")
        elif not await VideoEmbed.filter(id=video_id, deleted_at__isnull=True).exists():
            problems.add("videoId", "no such video")
        if article_id is not None:
            problems.add("articleId", "a VIDEO item has no article")
    elif article_id is not None or video_id is not None:
        problems.add("kind", "an UPDATE points at no article or video")
    problems.raise_if_any("invalid feed item")
    return values


async def create_feed_item(*, actor: Actor, fields: FeedItemFields) -> FeedItem:
    """A new item, always a DRAFT until published."""
    require(actor, scope=Scope.CONTENT_WRITE, role=Role.EDITOR)
    values = await _checked(fields, None)
    return await FeedItem.create(created_by_id=actor.user_id, status=ContentStatus.DRAFT, **values)


async def update_feed_item(
    *, actor: Actor, item_id: int, version: int, fields: FeedItemFields, now: datetime
) -> FeedItem:
    require(actor, scope=Scope.CONTENT_WRITE, role=Role.EDITOR)
    async with in_transaction():
        item = await get_live(FeedItem, item_id, "feed item", lock=True)
        tracker = await FeedTracker.start(now, lambda: FeedItem.filter(id=item_id))
        values = await _checked(fields, item)
        await save_versioned(FeedItem, item.id, version, **values)
        await tracker.finish(changed=True)
    return await FeedItem.get(id=item_id)


async def publish_feed_item(
    *, actor: Actor, item_id: int, publish_at: datetime | None, now: datetime
) -> FeedItem:
    require(actor, scope=Scope.CONTENT_PUBLISH, role=Role.EDITOR)
    async with in_transaction():
        item = await get_live(FeedItem, item_id, "feed item", lock=True)
        tracker = await FeedTracker.start(now, lambda: FeedItem.filter(id=item_id))
        await publish_row(FeedItem, item, publish_at=publish_at, now=now)
        await tracker.finish(changed=True)
    return await FeedItem.get(id=item_id)


async def unpublish_feed_item(*, actor: Actor, item_id: int, now: datetime) -> FeedItem:
    require(actor, scope=Scope.CONTENT_PUBLISH, role=Role.EDITOR)
    async with in_transaction():
        item = await get_live(FeedItem, item_id, "feed item", lock=True)
        tracker = await FeedTracker.start(now, lambda: FeedItem.filter(id=item_id))
        await unpublish_row(FeedItem, item)
        await tracker.finish(changed=False)
    return await FeedItem.get(id=item_id)


async def delete_feed_item(*, actor: Actor, item_id: int, now: datetime) -> bool:
    require(actor, scope=Scope.CONTENT_WRITE, role=Role.EDITOR)
    async with in_transaction():
        item = await get_live(FeedItem, item_id, "feed item", lock=True)
        tracker = await FeedTracker.start(now, lambda: FeedItem.filter(id=item_id))
        await FeedItem.filter(id=item.id).update(deleted_at=now)
        await tracker.finish(changed=False)
    return True


async def follow_publication(
    *,
    kind: FeedItemKind,
    article: Article | None = None,
    video: VideoEmbed | None = None,
    headline: str,
    summary: str | None,
    language: str,
    actor: Actor,
) -> FeedItem:
    """The feed entry of a published article or video, made once: publishing again
    reuses (and re-times) the same entry, never a duplicate. The entry itself is
    public while its article or video is (see `cms.feed.queries`)."""
    source: Article | VideoEmbed = article if article is not None else video  # type: ignore[assignment]
    existing = await FeedItem.filter(
        kind=kind,
        deleted_at__isnull=True,
        **({"article_id": article.id} if article is not None else {"video_id": video.id}),  # type: ignore[union-attr]
    ).first()
    values: dict[str, Any] = {"status": source.status, "published_at": source.published_at}
    if existing is not None:
        await FeedItem.filter(id=existing.id).update(version=F("version") + 1, **values)
        return existing
    return await FeedItem.create(
        kind=kind,
        article=article,
        video=video,
        headline=headline[:MAX_HEADLINE],
        summary=summary[:MAX_SUMMARY] if summary else None,
        language=language,
        first_published_at=source.published_at,
        created_by_id=actor.user_id,
        **values,
    )
