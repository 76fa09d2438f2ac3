"""The News Feed: short updates, and entries pointing at articles and videos."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

from cms.content import PublishableMixin

if TYPE_CHECKING:
    from cms.accounts.models import User
    from cms.articles.models import Article
    from cms.videos.models import VideoEmbed


class FeedItemKind(StrEnum):
    UPDATE = "UPDATE"
    ARTICLE = "ARTICLE"
    VIDEO = "VIDEO"


class FeedItem(PublishableMixin, Model):
    id = fields.IntField(primary_key=True)
    kind = fields.CharEnumField(FeedItemKind, max_length=16)
    headline = fields.CharField(max_length=300)
    summary = fields.TextField(null=True)
    article: fields.ForeignKeyNullableRelation[Article] = fields.ForeignKeyField(
        "models.Article", related_name="feed_items", null=True, on_delete=fields.CASCADE
    )
    video: fields.ForeignKeyNullableRelation[VideoEmbed] = fields.ForeignKeyField(
        "models.VideoEmbed", related_name="feed_items", null=True, on_delete=fields.CASCADE
    )
    pinned = fields.BooleanField(default=False)
    breaking = fields.BooleanField(default=False)
    language = fields.CharField(max_length=35, default="en")
    created_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="feed_items", null=True, on_delete=fields.SET_NULL
    )

    class Meta:
        table = "feed_item"
        indexes = (
            ("published_at", "id"),
            ("status", "published_at"),
            ("kind", "published_at"),
            ("pinned", "published_at"),
            ("breaking", "published_at"),
            ("language", "published_at"),
            ("article_id",),
            ("video_id",),
            ("created_by_id",),
        )
