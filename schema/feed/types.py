"""GraphQL types of the News Feed."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import strawberry
from strawberry import relay

from cms.content import effective_status
from cms.feed.models import FeedItem, FeedItemKind
from cms.pagination import TimeKey
from schema.articles.types import ArticleType
from schema.context import Context, Info
from schema.videos.types import ContentStatusEnum, VideoEmbedType

FeedItemKindEnum = strawberry.enum(
    FeedItemKind,
    name="FeedItemKind",
    description="A short update, or an entry for an article or video.",
)


def feed_cursor(ctx: Context, row: FeedItem) -> str:
    assert row.published_at is not None  # the feed holds published items only
    return ctx.cursors.encode("feed", TimeKey(row.published_at, row.id).to_cursor_key())


@strawberry.type(name="FeedItem", description="An entry of the live News Feed.")
class FeedItemType(relay.Node):
    id: relay.NodeID[int]
    kind: FeedItemKindEnum = strawberry.field(description="Update, article or video.")  # type: ignore[valid-type]
    headline: str = strawberry.field(description="One line.")
    summary: str | None = strawberry.field(description="A sentence or two.")
    pinned: bool = strawberry.field(description="Kept at the top by the editors.")
    breaking: bool = strawberry.field(description="Breaking news.")
    status: ContentStatusEnum = strawberry.field(description="Status as the reader sees it.")  # type: ignore[valid-type]
    published_at: datetime | None = strawberry.field(description="When it is or was published.")
    updated_at: datetime = strawberry.field(description="When it last changed.")
    version: int = strawberry.field(description="Increases with every saved change.")
    _row: strawberry.Private[FeedItem]

    @classmethod
    def from_row(cls, row: FeedItem, now: datetime) -> FeedItemType:
        return cls(
            id=row.id,
            kind=row.kind,
            headline=row.headline,
            summary=row.summary,
            pinned=row.pinned,
            breaking=row.breaking,
            status=effective_status(row.status, row.published_at, now),
            published_at=row.published_at,
            updated_at=row.updated_at,
            version=row.version,
            _row=row,
        )

    @strawberry.field(description="The article (kind ARTICLE).")
    async def article(self, info: Info) -> ArticleType | None:
        article_id = self._row.article_id  # type: ignore[attr-defined]
        if article_id is None:
            return None
        row = await info.context.loaders.article_by_id.load(article_id)
        return ArticleType.from_row(row, info.context.now) if row else None

    @strawberry.field(description="The video (kind VIDEO).")
    async def video(self, info: Info) -> VideoEmbedType | None:
        video_id = self._row.video_id  # type: ignore[attr-defined]
        if video_id is None:
            return None
        row = await info.context.loaders.video_by_id.load(video_id)
        return VideoEmbedType.from_row(row, info.context.now) if row else None

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[FeedItemType | None]:
        rows = await info.context.loaders.feed_item_by_id.load_many([int(i) for i in node_ids])
        return [cls.from_row(r, info.context.now) if r else None for r in rows]
