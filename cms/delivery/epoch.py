"""The content epoch: a number that moves whenever public output may have changed.
Response caches key on it, so a change anywhere retires every cached answer at
once. Shared through Redis when configured; per process otherwise."""

from __future__ import annotations

import time
from typing import Protocol

from redis.asyncio import Redis

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
    max-age; this instance's own changes (`bump`) are seen at once."""

    def __init__(self, redis: Redis, key: str = KEY, reuse: float = 0.1) -> None:
        self._redis = redis
        self._key = key
        self._reuse = reuse
        self._value = 0
        self._read_at = float("-inf")

    async def current(self) -> int:
        now = time.monotonic()
        if now - self._read_at >= self._reuse:
            value = await self._redis.get(self._key)
            self._value = int(value) if value is not None else 0
            self._read_at = now
        return self._value

    async def bump(self) -> int:
        self._value = int(await self._redis.incr(self._key))
        self._read_at = time.monotonic()
        return self._value
