"""The Redis event bus: instances on one Redis database hear each other; a
deployment on another database of the same server does not."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from redis.asyncio import Redis

from cms.delivery.bus import RedisBus

from conftest import REDIS_URL

pytestmark = pytest.mark.skipif(REDIS_URL is None, reason="CMS_TEST_REDIS_URL is not set")


@pytest.fixture
async def buses() -> AsyncIterator[tuple[RedisBus, RedisBus, RedisBus]]:
    """Two instances of one deployment (database 12) and one of another (13)."""
    assert REDIS_URL is not None
    base = REDIS_URL.rsplit("/", 1)[0]
    clients = [Redis.from_url(f"{base}/{n}") for n in (12, 12, 13)]
    made = [RedisBus(c) for c in clients]
    tasks = []
    for bus in made:
        ready = asyncio.Event()
        tasks.append(asyncio.create_task(bus.listen(ready)))
        await ready.wait()
    try:
        yield made[0], made[1], made[2]
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for client in clients:
            await client.aclose()


async def test_deployments_on_other_databases_do_not_hear_each_other(
    buses: tuple[RedisBus, RedisBus, RedisBus],
) -> None:
    here, there, elsewhere = buses
    async with there.subscribe() as same, elsewhere.subscribe() as other:
        await here.publish({"type": "PUBLISHED", "id": "1"})
        await elsewhere.publish({"type": "PUBLISHED", "id": "from-13"})
        heard: Any = await asyncio.wait_for(anext(aiter(same)), 10)
        assert heard == {"type": "PUBLISHED", "id": "1"}
        own: Any = await asyncio.wait_for(anext(aiter(other)), 10)
        assert own == {"type": "PUBLISHED", "id": "from-13"}  # and not id 1 first
