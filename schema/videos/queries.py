"""Video queries: `video` and `videos`."""

from __future__ import annotations

from typing import Annotated

import strawberry

from cms.pagination import TimeKey
from cms.videos.models import VideoEmbed
from cms.videos.queries import get_video, list_videos
from schema.articles.queries import AFTER, FIRST
from schema.connections import Connection, connection_of, page_args
from schema.context import Context, Info
from schema.ids import decode_id_of
from schema.permissions import PUBLIC, allow
from schema.videos.types import VideoEmbedType


def video_cursor(ctx: Context, row: VideoEmbed) -> str:
    assert row.published_at is not None  # lists hold published videos only
    return ctx.cursors.encode("video", TimeKey(row.published_at, row.id).to_cursor_key())


@strawberry.type
class VideoQuery:
    @strawberry.field(description="One video by ID; null if not visible.", extensions=allow(PUBLIC))
    async def video(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="Global ID.")],
    ) -> VideoEmbedType | None:
        ctx = info.context
        row = await get_video(actor=ctx.actor, now=ctx.now, id=decode_id_of(id, "VideoEmbed"))
        return VideoEmbedType.from_row(row, ctx.now) if row else None

    @strawberry.field(description="Published videos, newest first.", extensions=allow(PUBLIC))
    async def videos(
        self, info: Info, first: FIRST = 20, after: AFTER = None
    ) -> Connection[VideoEmbedType]:
        ctx = info.context
        first, after_key = page_args(ctx.cursors, "video", first, after, TimeKey)
        page = await list_videos(actor=ctx.actor, now=ctx.now, first=first, after=after_key)
        return connection_of(
            page, lambda r: VideoEmbedType.from_row(r, ctx.now), lambda r: video_cursor(ctx, r)
        )
