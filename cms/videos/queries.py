"""Reading video embeds under the visibility rule."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from cms.accounts.actor import Actor
from cms.content import visible_q
from cms.pagination import Page, TimeKey, page_of
from cms.videos.models import VideoEmbed


async def list_videos(
    *, actor: Actor, now: datetime, first: int, after: TimeKey | None
) -> Page[VideoEmbed]:
    query = VideoEmbed.filter(visible_q(now))
    if after is not None:
        query = query.filter(after.after_q())
    rows = await query.order_by("-published_at", "-id").limit(first + 1)
    return page_of(rows, first, has_previous=after is not None)


async def get_video(*, actor: Actor, now: datetime, id: int) -> VideoEmbed | None:
    query = VideoEmbed.filter(id=id, deleted_at__isnull=True)
    if not actor.can_read_drafts:
        query = query.filter(visible_q(now))
    return await query.first()


async def videos_by_ids(
    ids: Sequence[int], *, now: datetime, include_hidden: bool
) -> dict[int, VideoEmbed]:
    query = VideoEmbed.filter(id__in=ids, deleted_at__isnull=True)
    if not include_hidden:
        query = query.filter(visible_q(now))
    return {v.id: v for v in await query}
