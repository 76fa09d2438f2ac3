"""Delivery of the feed to apps: delta sync (`feedChanges`) and live events
(`feedEvents`, over graphql-transport-ws)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

import strawberry

from cms.delivery.sync import SyncPoint, changes_since
from cms.errors import BadUserInput, ServiceUnavailable
from cms.feed.queries import feed_items_by_ids
from cms.ids import global_id
from cms.pagination import check_first
from schema.context import Info
from schema.feed.queries import FeedFilterInput
from schema.feed.types import FeedItemType
from schema.ids import decode_id_of
from schema.inputs import arg
from schema.permissions import PUBLIC, allow


@strawberry.type(description="What changed in the public feed since a sync token.")
class FeedChangeSet:
    items: list[FeedItemType] = strawberry.field(
        description="Items that became visible or changed, in change order."
    )
    deleted_ids: list[strawberry.ID] = strawberry.field(
        description="Items that stopped being visible (unpublished or deleted)."
    )
    next_since: str = strawberry.field(description="Pass as `since` next time.")
    has_more: bool = strawberry.field(description="More changes wait: sync again at once.")


class FeedEventTypeEnum(StrEnum):
    PUBLISHED = "PUBLISHED"
    UPDATED = "UPDATED"
    UNPUBLISHED = "UNPUBLISHED"
    DELETED = "DELETED"


FeedEventType = strawberry.enum(
    FeedEventTypeEnum, name="FeedEventType", description="What happened."
)


@strawberry.type(description="Something happened to a feed item, as the public sees it.")
class FeedEvent:
    type: FeedEventType = strawberry.field(description="What happened.")  # type: ignore[valid-type]
    id: strawberry.ID = strawberry.field(description="The feed item's ID.")
    item: FeedItemType | None = strawberry.field(
        description="The item now (null once unpublished or deleted)."
    )
    at: datetime = strawberry.field(description="When it happened.")


def _since(info: Info, since: str | None) -> SyncPoint | None:
    if since is None:
        return None
    key = info.context.cursors.decode("since", since, field="since")
    if len(key) != 2 or not all(isinstance(k, int) for k in key):
        raise BadUserInput.for_field("since", "invalid sync token")
    return SyncPoint(int(key[0]), int(key[1]))


@strawberry.type
class FeedChangesQuery:
    @strawberry.field(
        description="Delta sync: everything that changed for the public after `since`.",
        extensions=allow(PUBLIC),
    )
    async def feed_changes(
        self,
        info: Info,
        since: Annotated[str | None, arg("The last nextSince; none for a first sync.")] = None,
        first: Annotated[int | None, arg("At most this many changes, 1 to 100.")] = 100,
    ) -> FeedChangeSet:
        ctx = info.context
        changes = await changes_since(
            since=_since(info, since), first=check_first(first), now=ctx.now
        )
        return FeedChangeSet(
            items=[FeedItemType.from_row(r, ctx.now) for r in changes.items],
            deleted_ids=[strawberry.ID(global_id("FeedItem", i)) for i in changes.deleted_ids],
            next_since=ctx.cursors.encode("since", [changes.next.seq, changes.next.item_id]),
            has_more=changes.has_more,
        )


def _matches(event: dict[str, Any], wanted: FeedFilterInput | None) -> bool:
    if wanted is None:
        return True
    if wanted.kinds is not None and event.get("kind") not in {str(k) for k in wanted.kinds}:
        return False
    for name in ("pinned", "breaking", "language"):
        value = getattr(wanted, name)
        if value is not None and event.get(name) != value:
            return False
    return True


# The key, in an event's dict, of the shared look-up of its item: every subscriber
# on this instance gets the same dict from the bus, so the item is read once per
# event, not once per subscriber (10 000 listeners, one statement)
_LOOKUP = "_item_lookup"


def shared_item_lookup(event: dict[str, Any], now: datetime) -> asyncio.Future[Any]:
    """The event's feed item as the public sees it now (None if it no longer
    does), read by the first subscriber to ask and shared with the rest."""
    lookup: asyncio.Future[Any] | None = event.get(_LOOKUP)
    if lookup is None:

        async def read() -> Any:
            row_id = decode_id_of(event["id"], "FeedItem")
            found = await feed_items_by_ids([row_id], now=now, include_hidden=False)
            return found.get(row_id)

        lookup = event[_LOOKUP] = asyncio.ensure_future(read())
    return lookup


@strawberry.type
class FeedSubscription:
    @strawberry.subscription(
        description="Live feed events, heard on every instance.", extensions=allow(PUBLIC)
    )
    async def feed_events(
        self,
        info: Info,
        filter: Annotated[FeedFilterInput | None, arg("Only matching items.")] = None,
    ) -> AsyncGenerator[FeedEvent, None]:
        ctx = info.context
        clock = ctx.request.state.clock
        bus = ctx.request.state.bus
        limit = ctx.settings.max_subscribers
        if limit and bus.subscribers >= limit:
            raise ServiceUnavailable(
                "this instance has as many live subscribers as it takes; try again later"
            )
        async with bus.subscribe() as events:
            async for event in events:
                if not _matches(event, filter):
                    continue
                item = None
                if event["type"] in ("PUBLISHED", "UPDATED"):
                    now = clock.now()
                    # shielded: one subscriber leaving must not cancel the others' read
                    row = await asyncio.shield(shared_item_lookup(event, now))
                    if row is None:
                        continue  # no longer public by the time we heard of it
                    item = FeedItemType.from_row(row, now)
                yield FeedEvent(
                    type=FeedEventTypeEnum(event["type"]),
                    id=strawberry.ID(event["id"]),
                    item=item,
                    at=datetime.fromisoformat(event["at"]),
                )
