"""Uploaded files (photos, avatars, documents) and where they are stored."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Any

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from cms.accounts.models import User


class AssetState(StrEnum):
    PENDING = "PENDING"  # a direct upload ticket was issued; the object may not exist yet
    READY = "READY"


class MediaAsset(Model):
    id = fields.IntField(primary_key=True)
    key = fields.CharField(max_length=255, unique=True)
    filename = fields.CharField(max_length=255)
    content_type = fields.CharField(max_length=100)
    byte_size = fields.BigIntField()
    width = fields.IntField(null=True)
    height = fields.IntField(null=True)
    checksum = fields.CharField(max_length=64, db_index=True)
    alt_text = fields.TextField(null=True)
    caption = fields.TextField(null=True)
    credit = fields.CharField(max_length=300, null=True)
    focal_x = fields.FloatField(null=True)
    focal_y = fields.FloatField(null=True)
    # [{"width": 320, "height": 213, "format": "webp", "key": "..."}]
    renditions: fields.Field[list[dict[str, Any]]] = fields.JSONField(default=list)
    state = fields.CharEnumField(AssetState, max_length=16, default=AssetState.READY)
    created_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="media_assets", null=True, on_delete=fields.SET_NULL
    )
    version = fields.IntField(default=1)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "media_asset"
        indexes = (("created_at", "id"), ("created_by_id",))


class StorageGarbage(Model):
    """A stored object that must go but could not be deleted yet (storage was down,
    or its asset was deleted and the objects follow after the commit). The worker's
    sweep deletes the object, then the row."""

    id = fields.BigIntField(primary_key=True)
    key = fields.CharField(max_length=255, unique=True)
    created_at = fields.DatetimeField()
    attempts = fields.IntField(default=0)
    next_attempt_at = fields.DatetimeField(db_index=True)

    class Meta:
        table = "storage_garbage"
