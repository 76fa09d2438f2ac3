"""The content epoch: a number that moves whenever public output may have changed.
Response caches key on it, so a change anywhere retires every cached answer at
once. Shared through Redis when configured; per process otherwise."""

from __future__ import annotations

import itertools
import logging
import time
from typing import Protocol

from redis.asyncio import Redis
from redis.exceptions import RedisError

log = logging.getLogger("cms.epoch")

KEY = "cms:content-epoch"


class Epoch(Protocol):
    async def current(self) -> int: ...

    async def bump(self) -> int: ...


class LocalEpoch:
    def __init__(self) -> None:
        self._value = 0

    async def current(self) -> int:
        return self._value

    async def bump(self) -> int:
        self._value += 1
        return self._value


class RedisEpoch:
    """The shared epoch, read from Redis at most every `reuse` seconds: a cache hit
    then costs no round trip (a Redis GET per hit halved the hit rate). Another
    instance's change is seen within `reuse`, well inside the answers' own
    max-age; this instance's own changes (`bump`) are seen at once.

    While Redis cannot be reached, nobody can tell whether another instance
    changed something, so each failed contact gives a new number no cache entry
    has (the cache is bypassed, not trusted), kept until Redis is asked again
    `retry` seconds later. The first contact after an outage moves the
    shared epoch, so nothing cached before the outage is served after it.
    """

    def __init__(
        self, redis: Redis, key: str = KEY, reuse: float = 0.1, retry: float = 1.0
    ) -> None:
        self._redis = redis
        self._key = key
        self._reuse = reuse
        self._retry = retry
        self._value = 0
        self._read_at = float("-inf")
        self._lost = False
        self._unknown = itertools.count(-1, -1)

    async def current(self) -> int:
        now = time.monotonic()
        if now - self._read_at < self._reuse:
            return self._value
        if self._lost:  # the first contact after an outage moves the epoch
            await self.bump()
            if not self._lost:
                log.warning("content epoch: Redis is back; cached answers retired")
            return self._value
        try:
            value = await self._redis.get(self._key)
        except RedisError:
            self._unreachable(now)
            return self._value
        self._value = int(value) if value is not None else 0
        self._read_at = now
        return self._value

    async def bump(self) -> int:
        try:
            self._value = int(await self._redis.incr(self._key))
            self._lost = False
            self._read_at = time.monotonic()
        except RedisError:
            self._unreachable(time.monotonic())
        return self._value

    def _unreachable(self, now: float) -> None:
        if not self._lost:
            log.warning("content epoch: Redis cannot be reached; caching is off until it is")
        self._lost = True
        self._value = next(self._unknown)
        # this number serves `reuse` like a read one; Redis is tried after `retry`
        self._read_at = now - self._reuse + self._retry
