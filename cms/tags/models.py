"""Tags: topics an article is filed under, created on first use."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class Tag(Model):
    id = fields.IntField(primary_key=True)
    slug = fields.CharField(max_length=120, unique=True)
    name = fields.CharField(max_length=100)
    # casefolded name: tags are matched case-insensitively, on every database alike
    name_key = fields.CharField(max_length=100, unique=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "tag"
        ordering = ("name",)
