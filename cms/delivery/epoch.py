"""The content epoch: a number that moves whenever public output may have changed.
Response caches key on it, so a change anywhere retires every cached answer at
once. Shared through Redis when configured; per process otherwise."""

from __future__ import annotations

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
    def __init__(self, redis: Redis, key: str = KEY) -> None:
        self._redis = redis
        self._key = key

    async def current(self) -> int:
        value = await self._redis.get(self._key)
        return int(value) if value is not None else 0

    async def bump(self) -> int:
        return int(await self._redis.incr(self._key))
