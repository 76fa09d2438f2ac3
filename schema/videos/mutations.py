"""Video embed mutations (EDITOR and above)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from cms.accounts.actor import Scope
from cms.accounts.models import Role
from cms.videos import service
from cms.videos.service import VideoFields
from schema.context import Info
from schema.inputs import arg, given, id_of
from schema.permissions import Requires, allow
from schema.videos.types import VideoEmbedType

WRITE = Requires(scope=Scope.CONTENT_WRITE, role=Role.EDITOR)
PUBLISH = Requires(scope=Scope.CONTENT_PUBLISH, role=Role.EDITOR)


@strawberry.input(description="A video to embed; provider and id are read from the URL.")
class VideoEmbedInput:
    url: str = strawberry.field(description="A YouTube or Vimeo URL.")
    title: str = strawberry.field(description="Title.")
    description: str | None = strawberry.field(default=None, description="What it shows.")
    duration_seconds: int | None = strawberry.field(default=None, description="Length.")


@strawberry.input(description="Changes to a video: fields left out stay, null clears.")
class VideoEmbedPatch:
    url: str | None = strawberry.field(default=strawberry.UNSET, description="New URL.")
    title: str | None = strawberry.field(default=strawberry.UNSET, description="Title.")
    description: str | None = strawberry.field(default=strawberry.UNSET, description="About.")
    duration_seconds: int | None = strawberry.field(default=strawberry.UNSET, description="Length.")


def _fields(data: VideoEmbedInput | VideoEmbedPatch) -> VideoFields:
    return VideoFields(
        url=given(data.url),
        title=given(data.title),
        description=given(data.description),
        duration_seconds=given(data.duration_seconds),
    )


VIDEO_ID = Annotated[strawberry.ID, arg("The video's ID.")]


def _video_id(value: str) -> int:
    return id_of("VideoEmbed", "id")(value)


@strawberry.type
class VideoMutation:
    @strawberry.mutation(description="Adds a video embed (EDITOR).", extensions=allow(WRITE))
    async def create_video_embed(
        self, info: Info, input: Annotated[VideoEmbedInput, arg("The video.")]
    ) -> VideoEmbedType:
        ctx = info.context
        row = await service.create_video_embed(actor=ctx.actor, fields=_fields(input))
        return VideoEmbedType.from_row(row, ctx.now)

    @strawberry.mutation(description="Changes a video embed (EDITOR).", extensions=allow(WRITE))
    async def update_video_embed(
        self,
        info: Info,
        id: VIDEO_ID,
        version: Annotated[int, arg("The version you read.")],
        input: Annotated[VideoEmbedPatch, arg("The changes.")],
    ) -> VideoEmbedType:
        ctx = info.context
        row = await service.update_video_embed(
            actor=ctx.actor,
            video_id=_video_id(id),
            version=version,
            fields=_fields(input),
            now=ctx.now,
        )
        return VideoEmbedType.from_row(row, ctx.now)

    @strawberry.mutation(
        description="Publishes now or at a future publishAt (EDITOR).", extensions=allow(PUBLISH)
    )
    async def publish_video_embed(
        self,
        info: Info,
        id: VIDEO_ID,
        publish_at: Annotated[datetime | None, arg("When; in the future schedules.")] = None,
        add_to_feed: Annotated[bool, arg("Also show it in the News Feed (once).")] = True,
    ) -> VideoEmbedType:
        ctx = info.context
        row = await service.publish_video_embed(
            actor=ctx.actor,
            video_id=_video_id(id),
            publish_at=publish_at,
            add_to_feed=add_to_feed,
            now=ctx.now,
        )
        return VideoEmbedType.from_row(row, ctx.now)

    @strawberry.mutation(description="Back to DRAFT (EDITOR).", extensions=allow(PUBLISH))
    async def unpublish_video_embed(self, info: Info, id: VIDEO_ID) -> VideoEmbedType:
        ctx = info.context
        row = await service.unpublish_video_embed(
            actor=ctx.actor, video_id=_video_id(id), now=ctx.now
        )
        return VideoEmbedType.from_row(row, ctx.now)

    @strawberry.mutation(description="Deletes a video embed (EDITOR).", extensions=allow(WRITE))
    async def delete_video_embed(self, info: Info, id: VIDEO_ID) -> bool:
        ctx = info.context
        return await service.delete_video_embed(
            actor=ctx.actor, video_id=_video_id(id), now=ctx.now
        )
