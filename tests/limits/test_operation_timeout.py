"""The per-operation timeout: a runaway operation is cancelled, answers TIMEOUT,
leaves nothing half-written, and the instance goes on serving."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import anyio
import httpx
import pytest
from asgi_lifespan import LifespanManager
from strawberry.relay import to_base64

import cms.feed.service
from cms.accounts.models import Role
from cms.accounts.passwords import Passwords
from cms.app import create_app
from cms.clock import FixedClock
from cms.content import ContentStatus
from cms.feed.models import FeedItem

from conftest import NOW, SECRET, settings_for
from factories import make_feed_item, staff

TIMEOUT = 0.5  # seconds: the test waits this long once, for the timeout itself

PUBLISH = "mutation($id: ID!) { publishFeedItem(id: $id) { status } }"


@pytest.fixture
async def client(db: str, clock: FixedClock, passwords: Passwords) -> AsyncIterator[Any]:
    settings = settings_for(db, operation_timeout=TIMEOUT)
    app = create_app(settings, clock=clock, passwords=passwords, background=False)
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            yield http


async def test_a_stuck_write_is_cancelled_and_rolled_back(
    client: httpx.AsyncClient, passwords: Passwords, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The publication hangs after its UPDATE, inside its transaction: the answer
    is TIMEOUT, the row is still a draft, and the same row (whose lock the
    cancelled transaction held) can be published at once afterwards."""
    _, auth = await staff(passwords, Role.EDITOR, NOW, SECRET)
    item = await make_feed_item(status=ContentStatus.DRAFT, published_at=None)
    original = cms.feed.service.publish_row
    wrote = anyio.Event()

    async def publish_then_hang(*args: Any, **kwargs: Any) -> None:
        await original(*args, **kwargs)
        wrote.set()
        await anyio.Event().wait()  # never set: only the timeout ends this

    monkeypatch.setattr(cms.feed.service, "publish_row", publish_then_hang)
    variables = {"id": to_base64("FeedItem", item.id)}
    answer = (
        await client.post("/graphql", json={"query": PUBLISH, "variables": variables}, headers=auth)
    ).json()
    assert wrote.is_set()
    assert answer["data"] is None
    (error,) = answer["errors"]
    assert error["extensions"] == {"code": "TIMEOUT"}
    assert "within 0.5 s" in error["message"]
    assert (await FeedItem.get(id=item.id)).status == ContentStatus.DRAFT

    monkeypatch.setattr(cms.feed.service, "publish_row", original)
    again = (
        await client.post("/graphql", json={"query": PUBLISH, "variables": variables}, headers=auth)
    ).json()
    assert again == {"data": {"publishFeedItem": {"status": "PUBLISHED"}}}
    metrics = (await client.get("/metrics")).text
    assert 'cms_graphql_errors_total{code="TIMEOUT"} 1.0' in metrics


async def test_operations_within_the_timeout_are_untouched(client: httpx.AsyncClient) -> None:
    answer = (await client.post("/graphql", json={"query": "{ tags { id } }"})).json()
    assert answer == {"data": {"tags": []}}
