"""Feed item mutations (EDITOR and above)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from cms.accounts.actor import Scope
from cms.accounts.models import Role
from cms.feed import service
from cms.feed.models import FeedItemKind
from cms.feed.service import FeedItemFields
from schema.context import Info
from schema.feed.types import FeedItemKindEnum, FeedItemType
from schema.inputs import arg, given, id_of
from schema.permissions import Requires, allow

WRITE = Requires(scope=Scope.CONTENT_WRITE, role=Role.EDITOR)
PUBLISH = Requires(scope=Scope.CONTENT_PUBLISH, role=Role.EDITOR)


@strawberry.input(description="A new feed item (a DRAFT until published).")
class FeedItemInput:
    kind: FeedItemKindEnum = strawberry.field(description="Update, article or video.")  # type: ignore[valid-type]
    headline: str = strawberry.field(description="One line, at most 300 characters.")
    summary: str | None = strawberry.field(default=None, description="A sentence or two.")
    article_id: strawberry.ID | None = strawberry.field(default=None, description="For ARTICLE.")
    video_id: strawberry.ID | None = strawberry.field(default=None, description="For VIDEO.")
    pinned: bool = strawberry.field(default=False, description="Keep at the top.")
    breaking: bool = strawberry.field(default=False, description="Breaking news.")
    language: str = strawberry.field(default="en", description="BCP 47 tag.")


@strawberry.input(description="Changes to a feed item: fields left out stay, null clears.")
class FeedItemPatch:
    kind: FeedItemKindEnum | None = strawberry.field(  # type: ignore[valid-type]
        default=strawberry.UNSET, description="Update, article or video."
    )
    headline: str | None = strawberry.field(default=strawberry.UNSET, description="One line.")
    summary: str | None = strawberry.field(default=strawberry.UNSET, description="Summary.")
    article_id: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET, description="For ARTICLE."
    )
    video_id: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET, description="For VIDEO."
    )
    pinned: bool | None = strawberry.field(default=strawberry.UNSET, description="Pinned.")
    breaking: bool | None = strawberry.field(default=strawberry.UNSET, description="Breaking.")
    language: str | None = strawberry.field(default=strawberry.UNSET, description="BCP 47 tag.")


def _fields(data: FeedItemInput | FeedItemPatch) -> FeedItemFields:
    return FeedItemFields(
        kind=given(data.kind, FeedItemKind),
        headline=given(data.headline),
        summary=given(data.summary),
        article_id=given(data.article_id, id_of("Article", "articleId")),
        video_id=given(data.video_id, id_of("VideoEmbed", "videoId")),
        pinned=given(data.pinned),
        breaking=given(data.breaking),
        language=given(data.language),
    )


ITEM_ID = Annotated[strawberry.ID, arg("The feed item's ID.")]


def _item_id(value: str) -> int:
    return id_of("FeedItem", "id")(value)


@strawberry.type
class FeedMutation:
    @strawberry.mutation(description="Creates a feed item (EDITOR).", extensions=allow(WRITE))
    async def create_feed_item(
        self, info: Info, input: Annotated[FeedItemInput, arg("The item.")]
    ) -> FeedItemType:
        ctx = info.context
        row = await service.create_feed_item(actor=ctx.actor, fields=_fields(input))
        return FeedItemType.from_row(row, ctx.now)

    @strawberry.mutation(description="Changes a feed item (EDITOR).", extensions=allow(WRITE))
    async def update_feed_item(
        self,
        info: Info,
        id: ITEM_ID,
        version: Annotated[int, arg("The version you read.")],
        input: Annotated[FeedItemPatch, arg("The changes.")],
    ) -> FeedItemType:
        ctx = info.context
        row = await service.update_feed_item(
            actor=ctx.actor,
            item_id=_item_id(id),
            version=version,
            fields=_fields(input),
            now=ctx.now,
        )
        return FeedItemType.from_row(row, ctx.now)

    @strawberry.mutation(
        description="Publishes now, or schedules for a future publishAt (EDITOR).",
        extensions=allow(PUBLISH),
    )
    async def publish_feed_item(
        self,
        info: Info,
        id: ITEM_ID,
        publish_at: Annotated[datetime | None, arg("When; in the future schedules.")] = None,
    ) -> FeedItemType:
        ctx = info.context
        row = await service.publish_feed_item(
            actor=ctx.actor, item_id=_item_id(id), publish_at=publish_at, now=ctx.now
        )
        return FeedItemType.from_row(row, ctx.now)

    @strawberry.mutation(description="Back to DRAFT (EDITOR).", extensions=allow(PUBLISH))
    async def unpublish_feed_item(self, info: Info, id: ITEM_ID) -> FeedItemType:
        ctx = info.context
        row = await service.unpublish_feed_item(actor=ctx.actor, item_id=_item_id(id), now=ctx.now)
        return FeedItemType.from_row(row, ctx.now)

    @strawberry.mutation(description="Deletes a feed item (EDITOR).", extensions=allow(WRITE))
    async def delete_feed_item(self, info: Info, id: ITEM_ID) -> bool:
        ctx = info.context
        return await service.delete_feed_item(actor=ctx.actor, item_id=_item_id(id), now=ctx.now)
