"""Feed queries: `feed`."""

from __future__ import annotations

from typing import Annotated

import strawberry

from cms.feed.models import FeedItemKind
from cms.feed.queries import FeedFilter, list_feed
from cms.pagination import TimeKey
from schema.articles.queries import AFTER, FIRST
from schema.connections import Connection, connection_of, page_args
from schema.context import Info
from schema.feed.types import FeedItemKindEnum, FeedItemType, feed_cursor
from schema.permissions import PUBLIC, allow


@strawberry.input(name="FeedFilter", description="Narrows the feed; all given filters apply.")
class FeedFilterInput:
    kinds: list[FeedItemKindEnum] | None = strawberry.field(  # type: ignore[valid-type]
        default=None, description="Only these kinds."
    )
    pinned: bool | None = strawberry.field(default=None, description="Only (un)pinned items.")
    breaking: bool | None = strawberry.field(default=None, description="Only (non-)breaking items.")
    language: str | None = strawberry.field(default=None, description='BCP 47 tag, e.g. "uk".')

    def to_domain(self) -> FeedFilter:
        return FeedFilter(
            kinds=tuple(FeedItemKind(k) for k in self.kinds) if self.kinds is not None else None,
            pinned=self.pinned,
            breaking=self.breaking,
            language=self.language,
        )


@strawberry.type
class FeedQuery:
    @strawberry.field(
        description="The News Feed: published items, newest publishedAt first.",
        extensions=allow(PUBLIC),
    )
    async def feed(
        self,
        info: Info,
        first: FIRST = 20,
        after: AFTER = None,
        filter: Annotated[
            FeedFilterInput | None, strawberry.argument(description="Narrows the feed.")
        ] = None,
    ) -> Connection[FeedItemType]:
        ctx = info.context
        first, after_key = page_args(ctx.cursors, "feed", first, after, TimeKey)
        page = await list_feed(
            actor=ctx.actor,
            now=ctx.now,
            first=first,
            after=after_key,
            filter=(filter or FeedFilterInput()).to_domain(),
        )
        return connection_of(
            page, lambda r: FeedItemType.from_row(r, ctx.now), lambda r: feed_cursor(ctx, r)
        )
