"""Throttling of login and TOTP attempts per account and per client address.

An attempt is recorded *before* the password is checked, and forgiven only when
it succeeds. So parallel attempts (aliases in one document, batches, several
instances) each see the ones recorded before them, and at most `max_failures`
can be in flight: the correct password is refused too once the limit is hit.
Refused attempts are not recorded, so a locked-out account is free again when
the window passes.

The counters live in the database, or in Redis when it is configured, so they
hold across instances. Time comes from the caller (an injectable clock).
"""

from __future__ import annotations

import hashlib
import logging
import math
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from redis.asyncio import Redis
from redis.exceptions import RedisError

from cms.accounts.models import LoginFailure
from cms.errors import RateLimited, ServiceUnavailable

log = logging.getLogger("cms.throttle")

WINDOW = timedelta(minutes=5)


@dataclass(frozen=True, slots=True)
class Limit:
    max_failures: int
    window: timedelta = WINDOW


ACCOUNT_LIMIT = Limit(5)
ADDRESS_LIMIT = Limit(20)


@dataclass(frozen=True, slots=True)
class Attempt:
    """A recorded attempt, to forgive if it succeeds."""

    key: str
    token: str


def account_key(email: str) -> str:
    return _bounded(f"account:{email.strip().lower()}")


def address_key(address: str | None) -> str:
    return _bounded(f"address:{address or 'unknown'}")


def _bounded(key: str) -> str:
    """Keys fit their column: an absurdly long one is replaced by its hash."""
    if len(key) <= 200:
        return key
    return "hashed:" + hashlib.sha256(key.encode()).hexdigest()


def _retry_after(failure_times: list[datetime], limit: Limit, now: datetime) -> int:
    """Seconds until fewer than `max_failures` of these remain in the window."""
    ordered = sorted(failure_times)
    frees_at = ordered[len(ordered) - limit.max_failures] + limit.window
    return max(1, math.ceil((frees_at - now).total_seconds()))


class Throttle(Protocol):
    async def record(self, key: str, limit: Limit, now: datetime) -> Attempt:
        """Record an attempt; `RATE_LIMITED` (recording nothing) when over the limit."""
        ...

    async def forgive(self, attempt: Attempt) -> None:
        """The attempt succeeded: it no longer counts."""
        ...


class DatabaseThrottle:
    """Counters as `login_failure` rows. Each statement commits on its own: a
    transaction would hide concurrent attempts from each other."""

    async def record(self, key: str, limit: Limit, now: datetime) -> Attempt:
        since = now - limit.window
        await LoginFailure.filter(key=key, at__lte=since).delete()
        row = await LoginFailure.create(key=key, at=now)
        rows = await LoginFailure.filter(key=key, at__gt=since).values_list("id", "at")
        if len(rows) > limit.max_failures:
            await row.delete()
            earlier = [at for id_, at in rows if id_ != row.id]
            raise RateLimited(
                "too many attempts; try again later", _retry_after(earlier, limit, now)
            )
        return Attempt(key=key, token=str(row.id))

    async def forgive(self, attempt: Attempt) -> None:
        await LoginFailure.filter(id=int(attempt.token)).delete()


class RedisThrottle:
    """Counters as Redis sorted sets (score = time), shared by every instance."""

    def __init__(self, redis: Redis, prefix: str = "cms:throttle:") -> None:
        self._redis = redis
        self._prefix = prefix

    async def record(self, key: str, limit: Limit, now: datetime) -> Attempt:
        name = self._prefix + key
        member = uuid.uuid4().hex
        ts = now.timestamp()
        window = limit.window.total_seconds()
        try:
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.zremrangebyscore(name, "-inf", ts - window)  # a failure counts for `window`
                pipe.zadd(name, {member: ts})
                pipe.zrange(name, 0, -1, withscores=True)
                pipe.expire(name, math.ceil(window))
                _, _, entries, _ = await pipe.execute()
        except RedisError as exc:
            # attempts that cannot be counted are not allowed: guessing passwords
            # must not get easier while Redis is down
            log.warning("sign-in throttle: Redis cannot be reached")
            raise ServiceUnavailable("signing in is unavailable right now; try again") from exc
        if len(entries) > limit.max_failures:
            await self._redis.zrem(name, member)
            earlier = [
                datetime.fromtimestamp(score, tz=now.tzinfo)
                for m, score in entries
                if (m.decode() if isinstance(m, bytes) else m) != member
            ]
            raise RateLimited(
                "too many attempts; try again later", _retry_after(earlier, limit, now)
            )
        return Attempt(key=name, token=member)

    async def forgive(self, attempt: Attempt) -> None:
        try:
            await self._redis.zrem(attempt.key, attempt.token)
        except RedisError:  # it expires with its window
            log.warning("sign-in throttle: Redis cannot be reached; an attempt stays counted")
