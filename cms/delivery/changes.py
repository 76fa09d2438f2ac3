"""Recording changes, in the transaction of the write that makes them.

Every write that can alter public output records an event in the outbox. Writes
that make a feed item appear, change or disappear for the public also give it the
next number of the `changes` counter (delta sync reads those numbers), and record
`feed_item.*` events, which live subscribers hear. Visibility is compared before
and after the write, so the events say what the public saw happen.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from tortoise import connections
from tortoise.queryset import QuerySet

from cms.delivery.models import OutboxEvent
from cms.feed.models import FeedItem
from cms.feed.queries import feed_visible_q
from cms.ids import global_id
from cms.sql import Params, fetch_all


async def next_change_number() -> int:
    """The next number of the `changes` counter. Its row stays locked until the
    caller's transaction ends, so numbers are handed out in commit order."""
    p = Params()
    rows = await fetch_all(
        f"UPDATE counter SET value = value + 1 WHERE name = {p('changes')} RETURNING value", p
    )
    return int(rows[0]["value"])


async def current_change_number() -> int:
    p = Params()
    rows = await fetch_all(f"SELECT value FROM counter WHERE name = {p('changes')}", p)
    return int(rows[0]["value"]) if rows else 0


async def _number_feed_items(ids: Iterable[int], number: int) -> None:
    """One upsert per 500 items (an author's rename can touch thousands)."""
    conn = connections.get("default")
    pending = sorted(ids)
    for start in range(0, len(pending), 500):
        p = Params()
        rows = ", ".join(f"({p(i)}, {p(number)})" for i in pending[start : start + 500])
        await conn.execute_query(
            f"INSERT INTO feed_sync (feed_item_id, seq) VALUES {rows}"
            " ON CONFLICT (feed_item_id) DO UPDATE SET seq = excluded.seq",
            p.values,
        )


async def record_event(
    event_type: str, object_type: str, object_id: int, now: datetime, **data: Any
) -> None:
    """An outbox event, e.g. ("article.published", "Article", 7)."""
    gid = global_id(object_type, object_id)
    await OutboxEvent.create(
        type=event_type,
        object_id=gid,
        payload={"id": gid, **data},
        created_at=now,
    )


class FeedTracker:
    """Compares which of some feed items the public sees before and after a write.

    tracker = await FeedTracker.start(now, lambda: FeedItem.filter(article_id=7))
    ... the write ...
    await tracker.finish(changed=True)
    """

    def __init__(self, now: datetime, items: Callable[[], QuerySet[FeedItem]]) -> None:
        self._now = now
        self._items = items
        self._before: set[int] = set()

    @classmethod
    async def start(cls, now: datetime, items: Callable[[], QuerySet[FeedItem]]) -> FeedTracker:
        tracker = cls(now, items)
        tracker._before = await tracker._visible()
        return tracker

    async def _visible(self) -> set[int]:
        ids = await self._items().filter(feed_visible_q(self._now)).values_list("id", flat=True)
        return set(ids)  # type: ignore[arg-type]

    async def finish(self, *, changed: bool) -> None:
        """Record what the public saw: items that appeared (published), stayed and
        `changed` (updated), or went (unpublished, or deleted)."""
        after = await self._visible()
        events: list[tuple[int, str]] = [(i, "published") for i in after - self._before]
        events += [(i, "updated") for i in after & self._before if changed]
        gone = self._before - after
        if gone:
            deleted = set(
                await FeedItem.filter(id__in=gone, deleted_at__isnull=False).values_list(
                    "id", flat=True
                )
            )
            events += [(i, "deleted" if i in deleted else "unpublished") for i in gone]
        await announce_feed_items(sorted(events), self._now)


async def announce_feed_items(events: list[tuple[int, str]], now: datetime) -> None:
    """Numbers the items for delta sync and records their `feed_item.*` events."""
    if not events:
        return
    number = await next_change_number()
    await _number_feed_items({item_id for item_id, _ in events}, number)
    rows = {i.id: i for i in await FeedItem.filter(id__in=[item_id for item_id, _ in events])}
    for item_id, kind in events:
        item = rows[item_id]
        await record_event(
            f"feed_item.{kind}",
            "FeedItem",
            item_id,
            now,
            kind=item.kind,
            pinned=item.pinned,
            breaking=item.breaking,
            language=item.language,
            seq=number,
        )
