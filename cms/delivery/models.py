"""What delivery keeps: a change sequence for delta sync, an outbox of events
written in the same transaction as each change, webhooks and their deliveries."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Any

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from cms.accounts.models import User
    from cms.feed.models import FeedItem


class Counter(Model):
    """A named counter. `changes` numbers every change of public output. Taking the
    next value locks its row until commit, so numbers follow commit order."""

    name = fields.CharField(max_length=50, primary_key=True)
    value = fields.BigIntField(default=0)

    class Meta:
        table = "counter"


class FeedSync(Model):
    """The last change number of each feed item (a compacted change log). Delta
    sync reads the items whose number is above the client's."""

    id = fields.BigIntField(primary_key=True)
    feed_item: fields.OneToOneRelation[FeedItem] = fields.OneToOneField(
        "models.FeedItem", related_name="sync", on_delete=fields.CASCADE
    )
    seq = fields.BigIntField(db_index=True)

    class Meta:
        table = "feed_sync"


class OutboxEvent(Model):
    """An event ("article.published", …) written with the change it reports,
    dispatched (to live subscribers and webhooks) once, by one instance."""

    id = fields.BigIntField(primary_key=True)
    type = fields.CharField(max_length=50)
    object_id = fields.CharField(max_length=100)  # the global ID
    payload: fields.Field[dict[str, Any]] = fields.JSONField()
    created_at = fields.DatetimeField()
    dispatched_at = fields.DatetimeField(null=True)

    class Meta:
        table = "event_outbox"
        indexes = (("dispatched_at", "id"),)


class Webhook(Model):
    id = fields.IntField(primary_key=True)
    url = fields.CharField(max_length=2000)
    events: fields.Field[list[str]] = fields.JSONField(default=list)
    description = fields.CharField(max_length=500, null=True)
    secret = fields.CharField(max_length=100)  # "whsec_…", needed to sign
    created_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="webhooks", null=True, on_delete=fields.SET_NULL
    )
    created_at = fields.DatetimeField()
    last_delivery_at = fields.DatetimeField(null=True)
    last_status = fields.IntField(null=True)
    failure_count = fields.IntField(default=0)

    class Meta:
        table = "webhook"


class DeliveryState(StrEnum):
    PENDING = "PENDING"
    DELIVERED = "DELIVERED"
    FAILED = "FAILED"  # gave up after a day of retries


class WebhookDelivery(Model):
    id = fields.BigIntField(primary_key=True)
    webhook: fields.ForeignKeyRelation[Webhook] = fields.ForeignKeyField(
        "models.Webhook", related_name="deliveries", on_delete=fields.CASCADE
    )
    event: fields.ForeignKeyRelation[OutboxEvent] = fields.ForeignKeyField(
        "models.OutboxEvent", related_name="deliveries", on_delete=fields.CASCADE
    )
    object_id = fields.CharField(max_length=100)  # deliveries of one object go in order
    state = fields.CharEnumField(DeliveryState, max_length=16, default=DeliveryState.PENDING)
    attempts = fields.IntField(default=0)
    next_attempt_at = fields.DatetimeField()
    last_status = fields.IntField(null=True)
    last_error = fields.CharField(max_length=500, null=True)
    created_at = fields.DatetimeField()
    delivered_at = fields.DatetimeField(null=True)

    class Meta:
        table = "webhook_delivery"
        indexes = (
            ("state", "next_attempt_at"),
            ("webhook_id", "object_id", "id"),
            ("event_id",),
        )
