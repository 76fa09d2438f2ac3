"""GraphQL types of embedded videos."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import strawberry
from strawberry import relay

from cms.content import ContentStatus, effective_status
from cms.videos.models import VideoEmbed, VideoProvider
from schema.context import Info

ContentStatusEnum = strawberry.enum(
    ContentStatus,
    name="ContentStatus",
    description=(
        "Where content is in its life; SCHEDULED content whose time has come reads PUBLISHED."
    ),
)
VideoProviderEnum = strawberry.enum(
    VideoProvider, name="VideoProvider", description="Where an embedded video is hosted."
)


@strawberry.type(name="VideoEmbed", description="A video report embedded from YouTube or Vimeo.")
class VideoEmbedType(relay.Node):
    id: relay.NodeID[int]
    url: str = strawberry.field(description="Canonical watch URL.")
    provider: VideoProviderEnum = strawberry.field(description="The host.")  # type: ignore[valid-type]
    provider_video_id: str = strawberry.field(description="The video's id at its host.")
    embed_url: str = strawberry.field(
        description="Privacy-enhanced player URL (youtube-nocookie.com for YouTube)."
    )
    title: str = strawberry.field(description="Title.")
    description: str | None = strawberry.field(description="What the video shows.")
    thumbnail_url: str | None = strawberry.field(description="Still image, where the host has one.")
    duration_seconds: int | None = strawberry.field(description="Length in seconds.")
    status: ContentStatusEnum = strawberry.field(description="Status as the reader sees it.")  # type: ignore[valid-type]
    published_at: datetime | None = strawberry.field(description="When it is or was published.")
    updated_at: datetime = strawberry.field(description="When it last changed.")
    version: int = strawberry.field(description="Increases with every saved change.")

    @classmethod
    def from_row(cls, row: VideoEmbed, now: datetime) -> VideoEmbedType:
        return cls(
            id=row.id,
            url=row.url,
            provider=row.provider,
            provider_video_id=row.provider_video_id,
            embed_url=row.embed_url,
            title=row.title,
            description=row.description,
            thumbnail_url=row.thumbnail_url,
            duration_seconds=row.duration_seconds,
            status=effective_status(row.status, row.published_at, now),
            published_at=row.published_at,
            updated_at=row.updated_at,
            version=row.version,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[VideoEmbedType | None]:
        rows = await info.context.loaders.video_by_id.load_many([int(i) for i in node_ids])
        return [cls.from_row(r, info.context.now) if r else None for r in rows]
