"""Editing embedded videos (EDITOR and above)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tortoise.transactions import in_transaction

from cms.accounts.actor import Actor, Scope
from cms.accounts.models import Role
from cms.accounts.permissions import require
from cms.content import is_visible
from cms.delivery.changes import FeedTracker, record_event
from cms.editing import Problems, get_live, save_versioned
from cms.errors import BadUserInput
from cms.feed.models import FeedItem, FeedItemKind
from cms.feed.service import follow_publication
from cms.patch import UNSET, Maybe
from cms.publishing import publish_row, unpublish_row
from cms.videos.models import VideoEmbed
from cms.videos.urls import parse_video_url

MAX_TITLE = 300
MAX_DESCRIPTION = 5000
MAX_DURATION = 24 * 3600


@dataclass(frozen=True, slots=True)
class VideoFields:
    url: Maybe[str] = UNSET
    title: Maybe[str] = UNSET
    description: Maybe[str | None] = UNSET
    duration_seconds: Maybe[int | None] = UNSET


def _checked(fields: VideoFields, creating: bool) -> dict[str, Any]:
    problems = Problems()
    values: dict[str, Any] = {}
    if fields.url is not UNSET or creating:
        url = fields.url if fields.url is not UNSET else None
        if not url:
            problems.add("url", "is required")
        else:
            try:
                parsed = parse_video_url(url)
            except BadUserInput as exc:
                problems.fields.extend(exc.fields)
            else:
                values.update(
                    url=parsed.url,
                    provider=parsed.provider,
                    provider_video_id=parsed.video_id,
                    embed_url=parsed.embed_url,
                    thumbnail_url=parsed.thumbnail_url,
                )
    if fields.title is not UNSET or creating:
        title = fields.title if fields.title is not UNSET else None
        values["title"] = problems.text("title", title, max_length=MAX_TITLE, required=True)
    if fields.description is not UNSET:
        values["description"] = (
            problems.text("description", fields.description, max_length=MAX_DESCRIPTION) or None
        )
    if fields.duration_seconds is not UNSET:
        duration = fields.duration_seconds
        if duration is not None and not 0 < duration <= MAX_DURATION:
            problems.add("durationSeconds", f"must be 1 to {MAX_DURATION}")
        values["duration_seconds"] = duration
    problems.raise_if_any("invalid video")
    return values


async def create_video_embed(*, actor: Actor, fields: VideoFields) -> VideoEmbed:
    require(actor, scope=Scope.CONTENT_WRITE, role=Role.EDITOR)
    return await VideoEmbed.create(created_by_id=actor.user_id, **_checked(fields, creating=True))


async def update_video_embed(
    *, actor: Actor, video_id: int, version: int, fields: VideoFields, now: datetime
) -> VideoEmbed:
    require(actor, scope=Scope.CONTENT_WRITE, role=Role.EDITOR)
    values = _checked(fields, creating=False)
    async with in_transaction():
        video = await get_live(VideoEmbed, video_id, "video", lock=True)
        tracker = await _track(video.id, now)
        await save_versioned(VideoEmbed, video.id, version, **values)
        await tracker.finish(changed=True)
        await _announce(video.id, "video.updated", now)
    return await VideoEmbed.get(id=video_id)


async def publish_video_embed(
    *, actor: Actor, video_id: int, publish_at: datetime | None, add_to_feed: bool, now: datetime
) -> VideoEmbed:
    require(actor, scope=Scope.CONTENT_PUBLISH, role=Role.EDITOR)
    async with in_transaction():
        video = await get_live(VideoEmbed, video_id, "video", lock=True)
        was_public = _public(video, now)
        tracker = await _track(video.id, now)
        await publish_row(VideoEmbed, video, publish_at=publish_at, now=now)
        video = await VideoEmbed.get(id=video_id)
        if add_to_feed:
            await follow_publication(
                kind=FeedItemKind.VIDEO,
                video=video,
                headline=video.title,
                summary=video.description,
                language="en",
                actor=actor,
            )
        await tracker.finish(changed=True)
        await _announce(video.id, "video.updated" if was_public else "video.published", now)
    return video


async def unpublish_video_embed(*, actor: Actor, video_id: int, now: datetime) -> VideoEmbed:
    require(actor, scope=Scope.CONTENT_PUBLISH, role=Role.EDITOR)
    async with in_transaction():
        video = await get_live(VideoEmbed, video_id, "video", lock=True)
        was_public = _public(video, now)
        tracker = await _track(video.id, now)
        await unpublish_row(VideoEmbed, video)
        await tracker.finish(changed=False)
        if was_public:
            await record_event("video.unpublished", "VideoEmbed", video.id, now)
    return await VideoEmbed.get(id=video_id)


async def delete_video_embed(*, actor: Actor, video_id: int, now: datetime) -> bool:
    require(actor, scope=Scope.CONTENT_WRITE, role=Role.EDITOR)
    async with in_transaction():
        video = await get_live(VideoEmbed, video_id, "video", lock=True)
        was_public = _public(video, now)
        tracker = await _track(video.id, now)
        await VideoEmbed.filter(id=video.id).update(deleted_at=now)
        await FeedItem.filter(video_id=video.id, deleted_at__isnull=True).update(deleted_at=now)
        await tracker.finish(changed=False)
        if was_public:
            await record_event("video.deleted", "VideoEmbed", video.id, now)
    return True


def _public(video: VideoEmbed, now: datetime) -> bool:
    return is_visible(video.status, video.published_at, video.deleted_at, now)


async def _track(video_id: int, now: datetime) -> FeedTracker:
    return await FeedTracker.start(now, lambda: FeedItem.filter(video_id=video_id))


async def _announce(video_id: int, event: str, now: datetime) -> None:
    video = await VideoEmbed.get(id=video_id)
    if _public(video, now):
        await record_event(event, "VideoEmbed", video.id, now, title=video.title, url=video.url)
