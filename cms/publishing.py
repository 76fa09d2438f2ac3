"""Publishing, shared by articles, feed items and video embeds: a time now or in
the future (SCHEDULED, public at that second with no job running), a first
publication remembered forever, unpublishing that hides at once."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tortoise.expressions import F
from tortoise.models import Model

from cms.clock import NO_OFFSET
from cms.content import ContentStatus
from cms.errors import BadUserInput


def publication(requested: datetime | None, now: datetime) -> tuple[ContentStatus, datetime]:
    """(status, publishedAt) of a publish request: no time or a past one publishes,
    a future one schedules."""
    if requested is None:
        return ContentStatus.PUBLISHED, now
    if requested.utcoffset() is None:
        raise BadUserInput.for_field("publishAt", NO_OFFSET)
    if requested <= now:
        return ContentStatus.PUBLISHED, requested
    return ContentStatus.SCHEDULED, requested


async def publish_row(
    model: type[Model], row: Any, *, publish_at: datetime | None, now: datetime
) -> None:
    """Publishes or schedules `row`; `first_published_at` is set once, never moved."""
    status, at = publication(publish_at, now)
    values: dict[str, Any] = {"status": status, "published_at": at}
    if row.first_published_at is None:
        values["first_published_at"] = at
    await model.filter(id=row.id).update(version=F("version") + 1, **values)


async def unpublish_row(model: type[Model], row: Any) -> None:
    """Back to DRAFT: the visibility rule hides it (and what follows it) at once."""
    await model.filter(id=row.id).update(version=F("version") + 1, status=ContentStatus.DRAFT)
