"""Webhooks: the newsroom's other systems hear of every publication.

Deliveries come from the outbox (see `dispatch`), so an event is delivered at
least once, in order per object, and exactly once while the receiver answers 2xx.
Each POST carries the Standard Webhooks headers (`webhook-id`, `webhook-timestamp`,
`webhook-signature`: "v1," + base64 HMAC-SHA256 of "id.timestamp.body"). Failures
are retried with exponential backoff for a day.

A webhook URL may not point at loopback, link-local or private addresses (SSRF),
checked when the webhook is made and again at every delivery, unless
CMS_WEBHOOK_ALLOW_PRIVATE=1.
"""

from __future__ import annotations

import base64
import ipaddress
import json
import logging
import secrets
import socket
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import anyio.to_thread
import httpx
from standardwebhooks.webhooks import Webhook as Signer
from tortoise.expressions import F
from tortoise.transactions import in_transaction

from cms.accounts.actor import Actor, Scope
from cms.accounts.models import Role
from cms.accounts.permissions import require
from cms.delivery.models import DeliveryState, OutboxEvent, Webhook, WebhookDelivery
from cms.editing import Problems
from cms.errors import NotFound

log = logging.getLogger("cms.webhooks")

EVENTS = frozenset(
    f"{kind}.{action}"
    for kind in ("article", "feed_item", "video")
    for action in ("published", "unpublished", "updated", "deleted")
) | {"media.created", "media.updated", "media.deleted"}
RETRY_FOR = timedelta(days=1)
FIRST_RETRY = timedelta(seconds=10)
MAX_BACKOFF = timedelta(hours=1)
LEASE = timedelta(minutes=2)  # a delivery being sent is invisible to other instances
TIMEOUT = httpx.Timeout(10.0, connect=5.0)
BATCH = 50


class AddressNotAllowed(Exception):
    pass


async def check_destination(url: str, *, allow_private: bool) -> None:
    """Refuses URLs that are not http(s) or that resolve to a non-public address."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise AddressNotAllowed("must be an http:// or https:// URL")
    if allow_private:
        return
    try:
        infos = await anyio.to_thread.run_sync(
            socket.getaddrinfo, parts.hostname, parts.port or 443, 0, socket.SOCK_STREAM
        )
    except OSError as exc:
        raise AddressNotAllowed("the host name does not resolve") from exc
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if not address.is_global or address.is_multicast:
            raise AddressNotAllowed(
                "points at a loopback, link-local or private address"
                " (set CMS_WEBHOOK_ALLOW_PRIVATE=1 to allow)"
            )


async def create_webhook(
    *,
    actor: Actor,
    url: str,
    events: list[str],
    description: str | None,
    now: datetime,
    allow_private: bool,
) -> tuple[str, Webhook]:
    """A webhook and its signing secret, shown this once."""
    require(actor, scope=Scope.USERS_ADMIN, role=Role.ADMIN)
    problems = Problems()
    url = problems.url("url", url) or ""
    description = problems.text("description", description, max_length=500) or None
    unknown = sorted(set(events) - EVENTS)
    if not events:
        problems.add("events", "name at least one event")
    elif unknown:
        problems.add("events", "unknown events: " + ", ".join(unknown))
    if not problems.fields:
        try:
            await check_destination(url, allow_private=allow_private)
        except AddressNotAllowed as exc:
            problems.add("url", str(exc))
    problems.raise_if_any("invalid webhook")
    secret = "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()
    webhook = await Webhook.create(
        url=url,
        events=sorted(set(events)),
        description=description,
        secret=secret,
        created_by_id=actor.user_id,
        created_at=now,
    )
    return secret, webhook


async def delete_webhook(*, actor: Actor, webhook_id: int) -> bool:
    require(actor, scope=Scope.USERS_ADMIN, role=Role.ADMIN)
    if not await Webhook.filter(id=webhook_id).delete():
        raise NotFound("no such webhook")
    return True


async def list_webhooks(*, actor: Actor) -> list[Webhook]:
    require(actor, scope=Scope.USERS_ADMIN, role=Role.ADMIN)
    return await Webhook.all().order_by("id").limit(200)


def backoff(attempts: int) -> timedelta:
    """10 s, 20 s, 40 s… capped at an hour."""
    return min(FIRST_RETRY * (2 ** max(attempts - 1, 0)), MAX_BACKOFF)


async def deliver_due(*, now: datetime, client: httpx.AsyncClient, allow_private: bool) -> int:
    """Sends the deliveries that are due, the oldest pending one of each (webhook,
    object) only, so an object's events arrive in order. Returns how many were sent."""
    due = (
        await WebhookDelivery.filter(state=DeliveryState.PENDING, next_attempt_at__lte=now)
        .order_by("id")
        .limit(BATCH)
    )
    sent = 0
    for delivery in due:
        blocked = await WebhookDelivery.filter(
            state=DeliveryState.PENDING,
            webhook_id=delivery.webhook_id,  # type: ignore[attr-defined]
            object_id=delivery.object_id,
            id__lt=delivery.id,
        ).exists()
        if blocked:
            continue
        # claim it: only the instance whose conditional UPDATE wins sends it
        claimed = await WebhookDelivery.filter(
            id=delivery.id, next_attempt_at=delivery.next_attempt_at, state=DeliveryState.PENDING
        ).update(next_attempt_at=now + LEASE)
        if not claimed:
            continue
        await _send(delivery.id, now=now, client=client, allow_private=allow_private)
        sent += 1
    return sent


async def _send(
    delivery_id: int, *, now: datetime, client: httpx.AsyncClient, allow_private: bool
) -> None:
    delivery = await WebhookDelivery.get(id=delivery_id).prefetch_related("webhook", "event")
    webhook: Webhook = delivery.webhook  # type: ignore[assignment]
    event: OutboxEvent = delivery.event  # type: ignore[assignment]
    body = json.dumps(
        {"type": event.type, "timestamp": event.created_at.isoformat(), "data": event.payload},
        separators=(",", ":"),
    )
    msg_id = f"msg_{delivery.id}"
    status: int | None = None
    error: str | None = None
    try:
        await check_destination(webhook.url, allow_private=allow_private)
        signature = Signer(webhook.secret).sign(msg_id, now, body)
        response = await client.post(
            webhook.url,
            content=body,
            headers={
                "content-type": "application/json",
                "webhook-id": msg_id,
                "webhook-timestamp": str(int(now.timestamp())),
                "webhook-signature": signature,
            },
        )
        status = response.status_code
    except AddressNotAllowed as exc:
        error = str(exc)
    except httpx.HTTPError as exc:
        error = f"{type(exc).__name__}: could not reach the receiver"
    ok = status is not None and 200 <= status < 300
    attempts = delivery.attempts + 1
    async with in_transaction():
        if ok:
            await WebhookDelivery.filter(id=delivery.id).update(
                state=DeliveryState.DELIVERED,
                attempts=attempts,
                last_status=status,
                last_error=None,
                delivered_at=now,
            )
            await Webhook.filter(id=webhook.id).update(
                last_delivery_at=now, last_status=status, failure_count=0
            )
        else:
            gave_up = now + backoff(attempts) > delivery.created_at + RETRY_FOR
            await WebhookDelivery.filter(id=delivery.id).update(
                state=DeliveryState.FAILED if gave_up else DeliveryState.PENDING,
                attempts=attempts,
                last_status=status,
                last_error=(error or f"answered {status}")[:500],
                next_attempt_at=now + backoff(attempts),
            )
            await Webhook.filter(id=webhook.id).update(
                last_delivery_at=now, last_status=status, failure_count=F("failure_count") + 1
            )
    if not ok:
        log.warning("webhook %s delivery %s failed: %s", webhook.id, delivery.id, error or status)
