"""Videos embedded from YouTube and Vimeo (reports filmed with front-line units)."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

from cms.content import PublishableMixin

if TYPE_CHECKING:
    from cms.accounts.models import User


class VideoProvider(StrEnum):
    YOUTUBE = "YOUTUBE"
    VIMEO = "VIMEO"


class VideoEmbed(PublishableMixin, Model):
    id = fields.IntField(primary_key=True)
    url = fields.CharField(max_length=500)
    provider = fields.CharEnumField(VideoProvider, max_length=16)
    provider_video_id = fields.CharField(max_length=64)
    embed_url = fields.CharField(max_length=500)
    title = fields.CharField(max_length=300)
    description = fields.TextField(null=True)
    thumbnail_url = fields.CharField(max_length=500, null=True)
    duration_seconds = fields.IntField(null=True)
    created_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="video_embeds", null=True, on_delete=fields.SET_NULL
    )

    class Meta:
        table = "video_embed"
        indexes = (
            ("published_at", "id"),
            ("status", "published_at"),
            ("provider", "provider_video_id"),
            ("created_by_id",),
        )
