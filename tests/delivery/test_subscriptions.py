"""Live subscriptions on one instance: every subscriber hears an event, its item is
read once for all of them, and an instance takes at most CMS_MAX_SUBSCRIBERS."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import uvicorn
import websockets

from cms.accounts.models import Role
from cms.accounts.passwords import Passwords
from cms.app import create_app
from cms.clock import FixedClock
from cms.content import ContentStatus
from cms.ids import global_id
from schema.feed.delivery import shared_item_lookup

from conftest import NOW, SECRET, SQLCounter, _free_port, settings_for
from factories import make_feed_item, staff

WAIT = 20.0  # seconds before failing; never waited out when things work
SUBSCRIBE = "subscription { feedEvents { type item { headline } } }"


@pytest.mark.usefixtures("app")
async def test_an_events_item_is_read_once_for_every_subscriber(sql_counter: SQLCounter) -> None:
    item = await make_feed_item(headline="Once", published_at=NOW)
    event: dict[str, Any] = {"type": "PUBLISHED", "id": global_id("FeedItem", item.id)}
    before = len(sql_counter.statements)
    first, second = shared_item_lookup(event, NOW), shared_item_lookup(event, NOW)
    assert first is second
    rows = await asyncio.gather(first, second)
    assert [r.headline for r in rows] == ["Once", "Once"]
    assert len(sql_counter.statements) - before == 1


@pytest.fixture
async def served(
    settings_for_db: Any, clock: FixedClock, passwords: Passwords
) -> AsyncIterator[str]:
    """The app under uvicorn in this process (background work on), its base URL."""
    port = _free_port()
    app = create_app(settings_for_db, clock=clock, passwords=passwords, background=True)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    serving = asyncio.create_task(server.serve())
    try:
        async with asyncio.timeout(WAIT):
            while not server.started:  # noqa: ASYNC110 -- uvicorn offers no event
                await asyncio.sleep(0.01)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await serving


@pytest.fixture
def settings_for_db(db: str) -> Any:
    return settings_for(db, max_subscribers=2)


async def _subscribe(base: str) -> Any:
    ws = await websockets.connect(
        base.replace("http://", "ws://") + "/graphql",
        subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
    )
    await ws.send(json.dumps({"type": "connection_init"}))
    assert json.loads(await asyncio.wait_for(ws.recv(), WAIT))["type"] == "connection_ack"
    await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": SUBSCRIBE}}))
    return ws


async def _subscribers(base: str) -> str:
    async with httpx.AsyncClient() as client:
        text = (await client.get(base + "/metrics")).text
    return next(line for line in text.splitlines() if line.startswith("cms_live_subscribers "))


async def test_every_subscriber_hears_and_the_instance_has_a_limit(
    served: str, passwords: Passwords
) -> None:
    _, auth = await staff(passwords, Role.EDITOR, NOW, SECRET)
    listeners = [await _subscribe(served), await _subscribe(served)]
    try:
        async with asyncio.timeout(WAIT):
            # polling the instance's own count until both subscriptions have started
            while await _subscribers(served) != "cms_live_subscribers 2.0":  # noqa: ASYNC110
                await asyncio.sleep(0.01)
        refused = await _subscribe(served)
        message = json.loads(await asyncio.wait_for(refused.recv(), WAIT))
        # an execution error, then the end of that subscription
        assert message["type"] == "next", message
        assert message["payload"]["data"] is None
        assert message["payload"]["errors"][0]["extensions"]["code"] == "SERVICE_UNAVAILABLE"
        assert json.loads(await asyncio.wait_for(refused.recv(), WAIT))["type"] == "complete"
        await refused.close()

        item = await make_feed_item(status=ContentStatus.DRAFT, headline="For both")
        async with httpx.AsyncClient() as client:
            published = await client.post(
                served + "/graphql",
                json={
                    "query": "mutation($id: ID!) { publishFeedItem(id: $id) { status } }",
                    "variables": {"id": global_id("FeedItem", item.id)},
                },
                headers=auth,
            )
        assert published.json() == {"data": {"publishFeedItem": {"status": "PUBLISHED"}}}
        for ws in listeners:
            message = json.loads(await asyncio.wait_for(ws.recv(), WAIT))
            assert message["type"] == "next", message
            assert message["payload"]["data"]["feedEvents"] == {
                "type": "PUBLISHED",
                "item": {"headline": "For both"},
            }
    finally:
        for ws in listeners:
            await ws.close()
