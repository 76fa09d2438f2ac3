"""Webhooks: signed deliveries a receiver can verify, retries after failures, order
per object, and refusal of private addresses (SSRF)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from standardwebhooks.webhooks import Webhook as Verifier
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from cms.accounts.actor import SYSTEM
from cms.accounts.models import Role
from cms.accounts.passwords import Passwords
from cms.clock import FixedClock
from cms.delivery.bus import LocalBus
from cms.delivery.epoch import LocalEpoch
from cms.delivery.models import DeliveryState, WebhookDelivery
from cms.delivery.webhooks import create_webhook, deliver_due
from cms.delivery.worker import work_once
from cms.feed import service
from cms.feed.models import FeedItemKind
from cms.feed.service import FeedItemFields
from cms.ids import global_id

from conftest import NOW, SECRET, GraphQLClient
from factories import staff

CREATE = """mutation($input: WebhookInput!) {
  createWebhook(input: $input) { secret webhook { id url events } }
}"""


class Receiver:
    """A webhook receiver: answers with the statuses it is given, records what came."""

    def __init__(self, statuses: list[int]) -> None:
        self.statuses = statuses
        self.received: list[tuple[dict[str, str], bytes]] = []

    async def endpoint(self, request: Request) -> Response:
        self.received.append((dict(request.headers), await request.body()))
        return Response(status_code=self.statuses.pop(0) if self.statuses else 200)

    def client(self) -> httpx.AsyncClient:
        app = Starlette(routes=[Route("/hook", self.endpoint, methods=["POST"])])
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=app))


async def publish_update(headline: str, now: Any) -> int:
    item = await service.create_feed_item(
        actor=SYSTEM, fields=FeedItemFields(kind=FeedItemKind.UPDATE, headline=headline)
    )
    await service.publish_feed_item(actor=SYSTEM, item_id=item.id, publish_at=None, now=now)
    return item.id


async def hook(*events: str, url: str = "http://hooks.example/hook") -> str:
    """A webhook for `events` (private addresses allowed, as the receiver is a
    stand-in); its signing secret."""
    secret, _ = await create_webhook(
        actor=SYSTEM,
        url=url,
        events=list(events),
        description=None,
        now=NOW,
        allow_private=True,
    )
    return secret


@pytest.mark.usefixtures("app")
async def test_signed_delivery_verified_by_the_receiver(clock: FixedClock) -> None:
    """A publication reaches the receiver once, signed so that the receiver's
    Standard Webhooks library verifies it with the secret shown at creation."""
    secret = await hook("feed_item.published")
    item_id = await publish_update("Sirens", NOW)
    await work_once(clock=clock, bus=LocalBus(), epoch=LocalEpoch())
    receiver = Receiver([200])
    # the receiver checks the signed timestamp against its own clock: send "now"
    sent_at = datetime.now(UTC)
    async with receiver.client() as client:
        assert await deliver_due(now=sent_at, client=client, allow_private=True) == 1
        later = sent_at + timedelta(hours=1)
        assert await deliver_due(now=later, client=client, allow_private=True) == 0
    [(headers, body)] = receiver.received
    payload = Verifier(secret).verify(body, headers)
    assert payload["type"] == "feed_item.published"
    assert payload["data"]["id"] == global_id("FeedItem", item_id)
    assert headers["webhook-signature"].startswith("v1,")
    tampered = body.replace(b"published", b"deleted!!")
    with pytest.raises(Exception):  # noqa: B017 -- the library's own verification error
        Verifier(secret).verify(tampered, headers)


@pytest.mark.usefixtures("app")
async def test_failures_are_retried_with_backoff(clock: FixedClock) -> None:
    """A 500 and a timeout-like failure are retried later; the third try succeeds."""
    await hook("feed_item.published")
    await publish_update("Retry me", NOW)
    await work_once(clock=clock, bus=LocalBus(), epoch=LocalEpoch())
    receiver = Receiver([500, 503, 204])
    async with receiver.client() as client:
        await deliver_due(now=NOW, client=client, allow_private=True)
        # not due again before its backoff
        assert (
            await deliver_due(now=NOW + timedelta(seconds=5), client=client, allow_private=True)
            == 0
        )
        await deliver_due(now=NOW + timedelta(seconds=11), client=client, allow_private=True)
        await deliver_due(now=NOW + timedelta(seconds=40), client=client, allow_private=True)
    delivery = await WebhookDelivery.get()
    assert (delivery.state, delivery.attempts, delivery.last_status) == (
        DeliveryState.DELIVERED,
        3,
        204,
    )
    assert len(receiver.received) == 3
    assert len({h["webhook-id"] for h, _ in receiver.received}) == 1  # same message, retried


@pytest.mark.usefixtures("app")
async def test_gives_up_after_a_day(clock: FixedClock) -> None:
    """A receiver that never answers 2xx is given up on after a day."""
    await hook("feed_item.published")
    await publish_update("Nobody home", NOW)
    await work_once(clock=clock, bus=LocalBus(), epoch=LocalEpoch())
    receiver = Receiver([500] * 100)
    at = NOW
    async with receiver.client() as client:
        while (await WebhookDelivery.get()).state == DeliveryState.PENDING:
            at = (await WebhookDelivery.get()).next_attempt_at
            await deliver_due(now=at, client=client, allow_private=True)
    assert (await WebhookDelivery.get()).state == DeliveryState.FAILED
    assert at - NOW <= timedelta(days=1)
    assert 10 < len(receiver.received) < 40


@pytest.mark.usefixtures("app")
@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/hook",
        "http://localhost/hook",
        "http://169.254.169.254/latest",
        "http://10.0.0.5/x",
        "http://[::1]/x",
        "ftp://example.org/x",
        "http://192.168.1.1/x",
    ],
)
async def test_private_addresses_are_refused(
    gql: GraphQLClient, passwords: Passwords, url: str
) -> None:
    """Loopback, link-local and private targets (and non-http URLs) are BAD_USER_INPUT."""
    _, auth = await staff(passwords, Role.ADMIN, NOW, SECRET)
    result = await gql(CREATE, {"input": {"url": url, "events": ["article.published"]}}, **auth)
    assert result["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert result["errors"][0]["extensions"]["fields"][0]["field"] == "url"


@pytest.mark.usefixtures("app")
async def test_private_address_refused_again_at_delivery(clock: FixedClock) -> None:
    """A webhook allowed when made is still refused at delivery if private addresses
    are no longer allowed (or its name now resolves to one)."""
    await hook("feed_item.published", url="http://127.0.0.1:9/hook")
    await publish_update("Blocked", NOW)
    await work_once(clock=clock, bus=LocalBus(), epoch=LocalEpoch())
    receiver = Receiver([200])
    async with receiver.client() as client:
        await deliver_due(now=NOW, client=client, allow_private=False)
    delivery = await WebhookDelivery.get()
    assert receiver.received == []
    assert delivery.state == DeliveryState.PENDING and "private" in (delivery.last_error or "")


@pytest.mark.usefixtures("app")
async def test_events_of_one_object_arrive_in_order(
    clock: FixedClock, passwords: Passwords
) -> None:
    """While an object's earlier event is still pending, its later events wait."""
    await hook("feed_item.published", "feed_item.unpublished")
    item_id = await publish_update("First", NOW)
    await service.unpublish_feed_item(actor=SYSTEM, item_id=item_id, now=NOW)
    await work_once(clock=clock, bus=LocalBus(), epoch=LocalEpoch())
    receiver = Receiver([500, 200, 200])
    async with receiver.client() as client:
        await deliver_due(now=NOW, client=client, allow_private=True)
        assert len(receiver.received) == 1  # the unpublish waits behind the failed publish
        await deliver_due(now=NOW + timedelta(seconds=11), client=client, allow_private=True)
        await deliver_due(now=NOW + timedelta(seconds=12), client=client, allow_private=True)
    types = [json.loads(b)["type"] for _, b in receiver.received]
    assert types == ["feed_item.published", "feed_item.published", "feed_item.unpublished"]


@pytest.mark.usefixtures("app")
async def test_webhooks_listing(gql: GraphQLClient, passwords: Passwords) -> None:
    """ADMINs list webhooks with their deliveries; the secret is never shown again."""
    _, auth = await staff(passwords, Role.ADMIN, NOW, SECRET)
    created = await create_webhook(
        actor=SYSTEM,
        url="http://hooks.example/hook",
        events=["article.published"],
        description="Search index",
        now=NOW,
        allow_private=True,
    )
    result = await gql(
        "{ webhooks { url events description failureCount deliveries { state } } }", **auth
    )
    assert result["data"]["webhooks"] == [
        {
            "url": "http://hooks.example/hook",
            "events": ["article.published"],
            "description": "Search index",
            "failureCount": 0,
            "deliveries": [],
        }
    ]
    assert created[0] not in str(result)
