"""A cache of whole answers to public queries, and the persisted-query store.

An answer is kept under (document, variables, operation) and stamped with the
content epoch it was made in and the time of the next scheduled publication. It
is served only while the epoch has not moved (no change since) and that time has
not come (a cached page never hides what has just become visible). A hit needs
no parsing, no validation and no database: only the epoch, which is in memory
or one Redis GET away.

Entries live in each instance's memory (an LRU of bounded size); the epoch is
what instances share.
"""

from __future__ import annotations

import hashlib
import logging
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from typing import cast

from redis.asyncio import Redis
from redis.exceptions import RedisError

from cms.articles.models import Article
from cms.content import ContentStatus
from cms.feed.models import FeedItem
from cms.videos.models import VideoEmbed

log = logging.getLogger("cms.cache")

MAX_ENTRIES = 2000
MAX_ENTRY_BYTES = 512 * 1024


@dataclass(frozen=True, slots=True)
class Entry:
    body: bytes
    etag: str
    epoch: int
    expires_at: datetime | None
    headers: list[tuple[bytes, bytes]]  # what a hit sends, built once


def raw_key(method: str, raw: bytes) -> str:
    """The cache key of a request: its method and its own bytes (query string or
    body), so a hit needs no parsing. Two spellings of one query are two entries."""
    return hashlib.sha256(method.encode() + b"\0" + raw).hexdigest()


def etag_of(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


class ResponseCache:
    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self._entries: OrderedDict[str, Entry] = OrderedDict()
        self._max = max_entries
        self.hits = 0
        self.misses = 0

    def get(self, key: str, *, epoch: int, now: datetime) -> Entry | None:
        entry = self._entries.get(key)
        if (
            entry is None
            or entry.epoch != epoch
            or (entry.expires_at is not None and now >= entry.expires_at)
        ):
            self.misses += 1
            return None
        self._entries.move_to_end(key)
        self.hits += 1
        return entry

    def put(self, key: str, entry: Entry) -> None:
        if len(entry.body) > MAX_ENTRY_BYTES:
            return
        self._entries[key] = entry
        self._entries.move_to_end(key)
        while len(self._entries) > self._max:
            self._entries.popitem(last=False)


async def next_scheduled_publication(now: datetime) -> datetime | None:
    """When the next scheduled article, video or feed item becomes public."""
    times = []
    for model in (Article, VideoEmbed, FeedItem):
        found = (
            await model.filter(
                status=ContentStatus.SCHEDULED, published_at__gt=now, deleted_at__isnull=True
            )
            .order_by("published_at")
            .limit(1)
            .values_list("published_at", flat=True)
        )
        times.extend(cast(list[datetime], found))
    return min(times) if times else None


class PersistedQueries:
    """Apollo APQ: documents by sha256. Shared through Redis when configured, so a
    hash registered on one instance is known to all; else in memory."""

    def __init__(self, redis: Redis | None, max_entries: int = 5000) -> None:
        self._redis = redis
        self._local: OrderedDict[str, str] = OrderedDict()
        self._max = max_entries

    async def get(self, sha256: str) -> str | None:
        """None when unknown, or when Redis cannot be asked: the client then sends
        the document itself, as the protocol has it."""
        if self._redis is not None:
            try:
                value = await self._redis.get(f"cms:apq:{sha256}")
            except RedisError:
                log.warning("persisted queries: Redis cannot be reached")
                return None
            return value.decode() if isinstance(value, bytes) else value
        return self._local.get(sha256)

    async def put(self, sha256: str, query: str) -> None:
        if self._redis is not None:
            try:
                await self._redis.set(f"cms:apq:{sha256}", query, ex=7 * 24 * 3600)
            except RedisError:
                log.warning("persisted queries: Redis cannot be reached; not kept")
            return
        self._local[sha256] = query
        while len(self._local) > self._max:
            self._local.popitem(last=False)
