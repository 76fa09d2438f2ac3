"""What every kind of publishable content shares: statuses and the visibility rule."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from tortoise import fields
from tortoise.expressions import Q


class ContentStatus(StrEnum):
    DRAFT = "DRAFT"
    SCHEDULED = "SCHEDULED"
    PUBLISHED = "PUBLISHED"
    ARCHIVED = "ARCHIVED"


# Stored statuses that may be public: a SCHEDULED row becomes public the second
# its `published_at` passes, with no job having to flip it.
LIVE_STATUSES = (ContentStatus.PUBLISHED, ContentStatus.SCHEDULED)


def visible_q(now: datetime, prefix: str = "") -> Q:
    """The public visibility rule as a filter: published, due, not deleted.

    `prefix` applies the rule across a relation, e.g. `"article__"`.
    """
    rule: dict[str, Any] = {
        f"{prefix}status__in": [s.value for s in LIVE_STATUSES],
        f"{prefix}published_at__lte": now,
        f"{prefix}deleted_at__isnull": True,
    }
    return Q(**rule)


def is_visible(
    status: str, published_at: datetime | None, deleted_at: datetime | None, now: datetime
) -> bool:
    """The same rule as `visible_q`, for a row already in memory."""
    return (
        deleted_at is None
        and status in LIVE_STATUSES
        and published_at is not None
        and published_at <= now
    )


def effective_status(status: str, published_at: datetime | None, now: datetime) -> ContentStatus:
    """Status as the reader sees it: a SCHEDULED row whose time has come reads PUBLISHED."""
    if status == ContentStatus.SCHEDULED and published_at is not None and published_at <= now:
        return ContentStatus.PUBLISHED
    return ContentStatus(status)


class PublishableMixin:
    """Columns shared by articles, feed items and video embeds."""

    status = fields.CharEnumField(ContentStatus, max_length=16, default=ContentStatus.DRAFT)
    published_at = fields.DatetimeField(null=True)
    first_published_at = fields.DatetimeField(null=True)
    version = fields.IntField(default=1)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)
    deleted_at = fields.DatetimeField(null=True)
