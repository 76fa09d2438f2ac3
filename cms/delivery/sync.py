"""Delta sync for mobile apps: what changed for the public since a client's last
sync, in change-number order, paged."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tortoise.expressions import Q

from cms.delivery.models import FeedSync
from cms.feed.models import FeedItem
from cms.feed.queries import feed_items_by_ids


@dataclass(frozen=True, slots=True)
class SyncPoint:
    """Where a client is: the (change number, feed item id) of the last row it read."""

    seq: int
    item_id: int


@dataclass(frozen=True, slots=True)
class ChangeSet:
    items: list[FeedItem]
    deleted_ids: list[int]
    next: SyncPoint
    has_more: bool


async def changes_since(*, since: SyncPoint | None, first: int, now: datetime) -> ChangeSet:
    """Items that became visible or changed, and the ids of those that stopped being
    visible, after `since`; a first sync (no `since`) reports no deletions."""
    query = FeedSync.all()
    if since is not None:
        query = query.filter(
            Q(seq__gt=since.seq) | Q(seq=since.seq, feed_item_id__gt=since.item_id)
        )
    rows = await query.order_by("seq", "feed_item_id").limit(first + 1)
    page, has_more = rows[:first], len(rows) > first
    ids = [row.feed_item_id for row in page]  # type: ignore[attr-defined]
    visible = await feed_items_by_ids(ids, now=now, include_hidden=False)
    items = [visible[i] for i in ids if i in visible]
    deleted = [] if since is None else [i for i in ids if i not in visible]
    last = page[-1] if page else None
    next_point = (
        SyncPoint(last.seq, last.feed_item_id)  # type: ignore[attr-defined]
        if last is not None
        else (since or SyncPoint(0, 0))
    )
    return ChangeSet(items=items, deleted_ids=deleted, next=next_point, has_more=has_more)
