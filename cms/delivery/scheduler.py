"""Scheduled publications: at their time they are public with no job running (the
visibility rule), but their events, webhooks and delta-sync numbers are made here,
once, by whichever instance claims the row first.

The claim is a conditional UPDATE of the status from SCHEDULED to PUBLISHED: two
instances may both try, only one changes the row, and only that one announces.
"""

from __future__ import annotations

from datetime import datetime
from typing import cast

from tortoise.transactions import in_transaction

from cms.articles.models import Article
from cms.content import ContentStatus
from cms.delivery.changes import announce_feed_items, record_event
from cms.feed.models import FeedItem
from cms.feed.queries import feed_visible_q
from cms.videos.models import VideoEmbed

BATCH = 100


async def announce_due(now: datetime) -> int:
    """Announces every scheduled article, video and feed item whose time has come;
    returns how many this instance claimed."""
    claimed = 0
    for model, type_name, event, feed_column in (
        (Article, "Article", "article.published", "article_id"),
        (VideoEmbed, "VideoEmbed", "video.published", "video_id"),
    ):
        due = (
            await model.filter(
                status=ContentStatus.SCHEDULED, published_at__lte=now, deleted_at__isnull=True
            )
            .limit(BATCH)
            .values_list("id", flat=True)
        )
        for row_id in cast(list[int], due):
            async with in_transaction():
                if not await _claim(model, row_id, now):
                    continue
                claimed += 1
                # its own feed entries are due too: claimed with it, announced once
                items = FeedItem.filter(**{feed_column: row_id}, deleted_at__isnull=True)
                await items.filter(status=ContentStatus.SCHEDULED, published_at__lte=now).update(
                    status=ContentStatus.PUBLISHED
                )
                visible = await items.filter(feed_visible_q(now)).values_list("id", flat=True)
                await announce_feed_items([(i, "published") for i in cast(list[int], visible)], now)
                await record_event(event, type_name, row_id, now)
    due_items = (
        await FeedItem.filter(
            status=ContentStatus.SCHEDULED, published_at__lte=now, deleted_at__isnull=True
        )
        .limit(BATCH)
        .values_list("id", flat=True)
    )
    for item_id in cast(list[int], due_items):
        async with in_transaction():
            if not await _claim(FeedItem, item_id, now):
                continue
            claimed += 1
            if await FeedItem.filter(feed_visible_q(now), id=item_id).exists():
                await announce_feed_items([(item_id, "published")], now)  # type: ignore[list-item]
    return claimed


async def _claim(
    model: type[Article] | type[VideoEmbed] | type[FeedItem], row_id: int, now: datetime
) -> bool:
    updated = await model.filter(
        id=row_id, status=ContentStatus.SCHEDULED, published_at__lte=now
    ).update(status=ContentStatus.PUBLISHED)
    return updated == 1
