"""Webhook queries and mutations (ADMIN)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry
from strawberry import relay

from cms.delivery import webhooks as service
from cms.delivery.models import Webhook, WebhookDelivery
from schema.context import Info
from schema.inputs import arg, id_of
from schema.permissions import USERS_ADMIN, allow


@strawberry.type(description="One attempt history of one event for one webhook.")
class WebhookDeliveryType:
    event_type: str = strawberry.field(description='e.g. "article.published".')
    object_id: strawberry.ID = strawberry.field(description="The object it is about.")
    state: str = strawberry.field(description="PENDING, DELIVERED or FAILED (gave up).")
    attempts: int = strawberry.field(description="POSTs made so far.")
    last_status: int | None = strawberry.field(description="The receiver's last HTTP status.")
    last_error: str | None = strawberry.field(description="Why the last attempt failed.")
    created_at: datetime = strawberry.field(description="When the event happened.")
    delivered_at: datetime | None = strawberry.field(description="When a 2xx came back.")


@strawberry.type(name="Webhook", description="An HTTP endpoint that hears of events.")
class WebhookType(relay.Node):
    id: relay.NodeID[int]
    url: str = strawberry.field(description="Where events are POSTed.")
    events: list[str] = strawberry.field(description="The event types it wants.")
    description: str | None = strawberry.field(description="What it is for.")
    created_at: datetime = strawberry.field(description="When it was made.")
    last_delivery_at: datetime | None = strawberry.field(description="Last attempt.")
    last_status: int | None = strawberry.field(description="Last HTTP status.")
    failure_count: int = strawberry.field(description="Failed attempts since the last success.")

    @classmethod
    def from_row(cls, row: Webhook) -> WebhookType:
        return cls(
            id=row.id,
            url=row.url,
            events=list(row.events),
            description=row.description,
            created_at=row.created_at,
            last_delivery_at=row.last_delivery_at,
            last_status=row.last_status,
            failure_count=row.failure_count,
        )

    @strawberry.field(description="Its most recent deliveries, newest first.")
    async def deliveries(
        self, last: Annotated[int, arg("How many, 1 to 100.")] = 20
    ) -> list[WebhookDeliveryType]:
        rows = (
            await WebhookDelivery.filter(webhook_id=self.id)
            .order_by("-id")
            .limit(max(1, min(last, 100)))
            .prefetch_related("event")
        )
        return [
            WebhookDeliveryType(
                event_type=r.event.type,  # type: ignore[attr-defined]
                object_id=strawberry.ID(r.object_id),
                state=r.state,
                attempts=r.attempts,
                last_status=r.last_status,
                last_error=r.last_error,
                created_at=r.created_at,
                delivered_at=r.delivered_at,
            )
            for r in rows
        ]

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: object, required: bool = False
    ) -> list[WebhookType | None]:
        return [None for _ in node_ids]  # type: ignore[attr-defined]  # listed via `webhooks`


@strawberry.input(description="A new webhook.")
class WebhookInput:
    url: str = strawberry.field(description="An http(s) URL on a public address.")
    events: list[str] = strawberry.field(description='Event types, e.g. "article.published".')
    description: str | None = strawberry.field(default=None, description="What it is for.")


@strawberry.type(description="A new webhook: the only time its secret is shown.")
class NewWebhook:
    secret: str = strawberry.field(description='"whsec_" + base64: verifies signatures.')
    webhook: WebhookType = strawberry.field(description="The webhook.")


@strawberry.type
class WebhookQuery:
    @strawberry.field(
        description="Every webhook, with its last deliveries (ADMIN).",
        extensions=allow(USERS_ADMIN),
    )
    async def webhooks(self, info: Info) -> list[WebhookType]:
        return [
            WebhookType.from_row(w) for w in await service.list_webhooks(actor=info.context.actor)
        ]


@strawberry.type
class WebhookMutation:
    @strawberry.mutation(description="Adds a webhook (ADMIN).", extensions=allow(USERS_ADMIN))
    async def create_webhook(
        self, info: Info, input: Annotated[WebhookInput, arg("The webhook.")]
    ) -> NewWebhook:
        ctx = info.context
        secret, row = await service.create_webhook(
            actor=ctx.actor,
            url=input.url,
            events=input.events,
            description=input.description,
            now=ctx.now,
            allow_private=ctx.settings.webhook_allow_private,
        )
        return NewWebhook(secret=secret, webhook=WebhookType.from_row(row))

    @strawberry.mutation(description="Removes a webhook (ADMIN).", extensions=allow(USERS_ADMIN))
    async def delete_webhook(
        self, info: Info, id: Annotated[strawberry.ID, arg("The webhook's ID.")]
    ) -> bool:
        return await service.delete_webhook(
            actor=info.context.actor, webhook_id=id_of("Webhook", "id")(id)
        )
