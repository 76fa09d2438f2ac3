"""Redis goes away under a running app and comes back. Without it the API keeps
serving: the response cache is bypassed rather than trusted, rate limits are
counted per instance, sign-in (whose throttle cannot count) answers
SERVICE_UNAVAILABLE, /readyz stays 200 and says `redis: down`. Once Redis is
back, nothing cached before the outage is served, and live events flow again.

The app reaches Redis through a `TCPProxy` (database 11 of the test server)."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from proxy import TCPProxy, proxy_to
from redis.asyncio import Redis

from cms.accounts.passwords import Passwords
from cms.app import create_app
from cms.clock import FixedClock
from cms.tags.models import Tag

from conftest import REDIS_URL, settings_for
from factories import make_tag, make_user

pytestmark = pytest.mark.skipif(REDIS_URL is None, reason="CMS_TEST_REDIS_URL is not set")

FAST = 10.0  # seconds: anything near this is a hang
TAGS = {"query": "query Tags { tags { name } }"}
LOGIN = {
    "query": 'mutation { login(email: "desk@example.org", password: "correct horse battery'
    ' staple") { token } }'
}


@pytest.fixture
async def redis_proxy() -> AsyncIterator[TCPProxy]:
    assert REDIS_URL is not None
    async with proxy_to(REDIS_URL, 6379) as proxy:
        yield proxy


@pytest.fixture
async def app(
    sqlite_template: Path,
    tmp_path: Path,
    redis_proxy: TCPProxy,
    clock: FixedClock,
    passwords: Passwords,
) -> AsyncIterator[tuple[httpx.AsyncClient, dict[str, Any]]]:
    """The real app on SQLite, with Redis behind the proxy, the response cache and
    a public rate limit of 5 a minute on; its client and its lifespan state."""
    path = tmp_path / "cms.sqlite3"
    shutil.copyfile(sqlite_template, path)
    assert REDIS_URL is not None
    direct = Redis.from_url(REDIS_URL.rsplit("/", 1)[0] + "/11")
    await direct.flushdb()  # the rate counts of an earlier run (the clock is fixed)
    await direct.aclose()
    settings = settings_for(
        f"sqlite://{path}",
        redis_url=f"redis://127.0.0.1:{redis_proxy.port}/11",
        response_cache=True,
        rate_limit_public=5,
    )
    application = create_app(settings, clock=clock, passwords=passwords, background=False)
    async with (
        LifespanManager(application) as manager,
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=manager.app), base_url="http://testserver"
        ) as client,
    ):
        yield client, manager._state


def expire_epoch_reuse(state: dict[str, Any]) -> None:
    """As if the epoch's 0.1 s reuse window (or its 1 s retry wait) had passed:
    the next request asks Redis. (`time.monotonic` is not injectable.)"""
    state["epoch"]._read_at = float("-inf")


async def _get(http: httpx.AsyncClient, **headers: str) -> httpx.Response:
    async with asyncio.timeout(FAST):
        return await http.post("/graphql", json=TAGS, headers=headers)


async def test_the_api_outlives_redis(
    app: tuple[httpx.AsyncClient, dict[str, Any]],
    redis_proxy: TCPProxy,
    passwords: Passwords,
) -> None:
    http, state = app
    await make_user(passwords, email="desk@example.org")
    await make_tag("Kharkiv")
    cache = state["response_cache"]
    first = await _get(http, **{"X-Forwarded-For": "198.51.100.1"})
    assert first.json() == {"data": {"tags": [{"name": "Kharkiv"}]}}
    hits = cache.hits
    await _get(http)
    assert cache.hits == hits + 1  # cached while Redis is up
    assert (await http.get("/readyz")).json()["redis"] == "up"

    redis_proxy.cut()
    # another instance renames the tag: its epoch bump cannot reach anyone
    await Tag.filter(name="Kharkiv").update(name="Kharkiv region")
    expire_epoch_reuse(state)
    during = await _get(http)
    assert during.status_code == 200
    assert during.json() == {"data": {"tags": [{"name": "Kharkiv region"}]}}  # not the cache
    async with asyncio.timeout(FAST):
        ready = await http.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ok", "database": "up", "storage": "up", "redis": "down"}
    async with asyncio.timeout(FAST):
        login = (await http.post("/graphql", json=LOGIN)).json()
    assert login["errors"][0]["extensions"]["code"] == "SERVICE_UNAVAILABLE"
    # rate limits still hold, counted by this instance (six different documents:
    # answers from the cache are not counted)
    statuses = []
    for i in range(6):
        async with asyncio.timeout(FAST):
            statuses.append(
                (
                    await http.post(
                        "/graphql",
                        json={"query": f"{{ t{i}: tags {{ slug }} }}"},
                        headers={"X-Forwarded-For": "203.0.113.9"},
                    )
                ).status_code
            )
    assert statuses[-1] == 429, statuses

    await redis_proxy.restore()
    # the first contact retires what was cached before the outage
    expire_epoch_reuse(state)  # and the retry second
    after = await _get(http)
    assert after.json() == {"data": {"tags": [{"name": "Kharkiv region"}]}}
    assert (await http.get("/readyz")).json()["redis"] == "up"
    async with asyncio.timeout(FAST):
        login = (await http.post("/graphql", json=LOGIN)).json()
    assert "token" in login["data"]["login"], login

    # live events flow again: the listener subscribed anew (within its 1 s retry)
    bus = state["bus"]
    direct = Redis.from_url(REDIS_URL.rsplit("/", 1)[0] + "/11")  # type: ignore[union-attr]
    try:
        async with asyncio.timeout(FAST):
            # polling a condition of another process (Redis), not waiting out a time
            while not (await direct.pubsub_numsub(bus._channel))[0][1]:  # noqa: ASYNC110
                await asyncio.sleep(0.05)
    finally:
        await direct.aclose()
    async with bus.subscribe() as events:
        await bus.publish({"type": "PUBLISHED", "id": "probe"})
        async with asyncio.timeout(FAST):
            event = await anext(aiter(events))
    assert event == {"type": "PUBLISHED", "id": "probe"}
