"""Reading the News Feed. An ARTICLE or VIDEO item is visible only while its
article or video is, so unpublishing an article hides its item at once."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from tortoise.expressions import Q

from cms.accounts.actor import Actor
from cms.content import visible_q
from cms.feed.models import FeedItem, FeedItemKind
from cms.pagination import Page, TimeKey, page_of


@dataclass(frozen=True, slots=True)
class FeedFilter:
    kinds: tuple[FeedItemKind, ...] | None = None
    pinned: bool | None = None
    breaking: bool | None = None
    language: str | None = None


def feed_visible_q(now: datetime) -> Q:
    """The item is public, and so is what it points at."""
    return visible_q(now) & (
        Q(kind=FeedItemKind.UPDATE)
        | (Q(kind=FeedItemKind.ARTICLE) & visible_q(now, "article__"))
        | (Q(kind=FeedItemKind.VIDEO) & visible_q(now, "video__"))
    )


async def list_feed(
    *, actor: Actor, now: datetime, first: int, after: TimeKey | None, filter: FeedFilter
) -> Page[FeedItem]:
    """Published items, newest `publishedAt` first, one keyset page."""
    query = FeedItem.filter(feed_visible_q(now))
    if filter.kinds is not None:
        query = query.filter(kind__in=[k.value for k in filter.kinds])
    if filter.pinned is not None:
        query = query.filter(pinned=filter.pinned)
    if filter.breaking is not None:
        query = query.filter(breaking=filter.breaking)
    if filter.language is not None:
        query = query.filter(language=filter.language)
    if after is not None:
        query = query.filter(after.after_q())
    rows = await query.order_by("-published_at", "-id").limit(first + 1)
    return page_of(rows, first, has_previous=after is not None)


async def feed_items_by_ids(
    ids: Sequence[int], *, now: datetime, include_hidden: bool
) -> dict[int, FeedItem]:
    query = FeedItem.filter(id__in=ids, deleted_at__isnull=True)
    if not include_hidden:
        query = query.filter(feed_visible_q(now))
    return {item.id: item for item in await query}
