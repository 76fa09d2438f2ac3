"""Live events between instances: Redis pub/sub when configured, else in process.

Each instance fans events out to its own subscribers (websocket connections)
through bounded queues; a subscriber too slow to keep up is dropped rather than
allowed to hold memory without limit.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Protocol

from redis.asyncio import Redis
from redis.exceptions import RedisError

log = logging.getLogger("cms.bus")
CHANNEL = "cms:feed-events"
QUEUE_SIZE = 256
RETRY_SECONDS = 1.0  # between attempts to listen again once Redis went away


class EventBus(Protocol):
    async def publish(self, event: dict[str, Any]) -> None: ...

    @property
    def subscribers(self) -> int:
        """Live subscriptions on this instance."""
        ...

    def subscribe(self) -> Any:
        """`async with bus.subscribe() as events: async for event in events: ...`"""
        ...


class _Flag(Protocol):
    """An asyncio or anyio event: `listen` sets it once subscribed."""

    def set(self) -> None: ...


class _Closed(Exception):
    pass


class LocalBus:
    """Fan-out to this process's subscribers."""

    def __init__(self) -> None:
        self._queues: set[asyncio.Queue[dict[str, Any] | None]] = set()

    async def publish(self, event: dict[str, Any]) -> None:
        self.fan_out(event)

    def fan_out(self, event: dict[str, Any]) -> None:
        for queue in list(self._queues):
            try:
                queue.put_nowait(event)
            except asyncio.QueueFull:
                log.warning("dropping a live subscriber that fell behind")
                self._queues.discard(queue)
                queue.put_nowait(None) if queue.empty() else None

    @asynccontextmanager
    async def subscribe(self) -> AsyncIterator[AsyncIterator[dict[str, Any]]]:
        queue: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue(QUEUE_SIZE)
        self._queues.add(queue)

        async def events() -> AsyncIterator[dict[str, Any]]:
            while (event := await queue.get()) is not None:
                yield event

        try:
            yield events()
        finally:
            self._queues.discard(queue)

    @property
    def subscribers(self) -> int:
        return len(self._queues)


def channel_for(redis: Redis) -> str:
    """The channel of the deployment using this Redis database. Pub/sub channels
    are server-wide (they ignore the database number), so two deployments sharing
    a server on different databases (staging beside production, a test run) would
    otherwise hear each other's events."""
    database = redis.connection_pool.connection_kwargs.get("db", 0)
    return f"{CHANNEL}:{database}"


class RedisBus:
    """Publishes to a Redis channel; one listener per instance feeds a LocalBus."""

    def __init__(self, redis: Redis, channel: str | None = None) -> None:
        self._redis = redis
        self._channel = channel or channel_for(redis)
        self._local = LocalBus()

    async def publish(self, event: dict[str, Any]) -> None:
        """Best effort, like every live event: while Redis cannot be reached the
        event is lost to subscribers (the change itself is committed, and
        `feedChanges` has it)."""
        try:
            await self._redis.publish(self._channel, json.dumps(event))
        except RedisError as exc:
            log.warning("live events: Redis cannot be reached (%s); an event was not sent", exc)

    def subscribe(self) -> Any:
        return self._local.subscribe()

    @property
    def subscribers(self) -> int:
        return self._local.subscribers

    async def listen(self, ready: _Flag | None = None) -> None:
        """Runs until cancelled: relays the channel to this instance's subscribers,
        subscribing again (every `RETRY_SECONDS`) whenever Redis goes away."""
        while True:
            pubsub = self._redis.pubsub()
            try:
                await pubsub.subscribe(self._channel)
                if ready is not None:
                    ready.set()
                async for message in pubsub.listen():
                    if message.get("type") != "message":
                        continue
                    try:
                        self._local.fan_out(json.loads(message["data"]))
                    except ValueError:
                        log.warning("ignoring a malformed event on %s", self._channel)
            except RedisError:
                log.warning("live events: Redis cannot be reached; listening again soon")
            finally:
                with contextlib.suppress(RedisError):
                    await pubsub.aclose()
            await asyncio.sleep(RETRY_SECONDS)
