"""The outbox dispatcher: every instance runs it; each event is handled by one.

It claims undispatched events in order (FOR UPDATE SKIP LOCKED on PostgreSQL,
so instances share the work without waiting on each other), queues a delivery
for every webhook that wants the event, marks the events dispatched, and after
the commit publishes the feed events to live subscribers and moves the content
epoch (so caches retire what the change made stale).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tortoise.transactions import in_transaction

from cms.delivery.bus import EventBus
from cms.delivery.epoch import Epoch
from cms.delivery.models import OutboxEvent, Webhook, WebhookDelivery

BATCH = 200
LIVE_TYPES = {
    "feed_item.published": "PUBLISHED",
    "feed_item.updated": "UPDATED",
    "feed_item.unpublished": "UNPUBLISHED",
    "feed_item.deleted": "DELETED",
}


async def dispatch_once(*, bus: EventBus, epoch: Epoch, now: datetime) -> int:
    """Handles one batch of events; returns how many."""
    async with in_transaction():
        events = (
            await OutboxEvent.filter(dispatched_at__isnull=True)
            .order_by("id")
            .limit(BATCH)
            .select_for_update(skip_locked=True)
        )
        if not events:
            return 0
        webhooks = await Webhook.all()
        for event in events:
            for webhook in webhooks:
                if event.type in webhook.events:
                    await WebhookDelivery.create(
                        webhook=webhook,
                        event=event,
                        object_id=event.object_id,
                        next_attempt_at=now,
                        created_at=now,
                    )
        await OutboxEvent.filter(id__in=[e.id for e in events]).update(dispatched_at=now)
    await epoch.bump()
    for event in events:
        live = LIVE_TYPES.get(event.type)
        if live is not None:
            await bus.publish(_live_event(event, live))
    return len(events)


def _live_event(event: OutboxEvent, live_type: str) -> dict[str, Any]:
    payload = event.payload
    return {
        "type": live_type,
        "id": event.object_id,
        "at": event.created_at.isoformat(),
        "kind": payload.get("kind"),
        "pinned": payload.get("pinned"),
        "breaking": payload.get("breaking"),
        "language": payload.get("language"),
    }
