"""Bylines: people and desks credited on articles."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from cms.accounts.models import User
    from cms.articles.models import ArticleAuthor
    from cms.assets.models import MediaAsset


class AuthorKind(StrEnum):
    PERSON = "PERSON"
    DESK = "DESK"


class Author(Model):
    id = fields.IntField(primary_key=True)
    slug = fields.CharField(max_length=120, unique=True)
    name = fields.CharField(max_length=200)
    kind = fields.CharEnumField(AuthorKind, max_length=16, default=AuthorKind.PERSON)
    title = fields.CharField(max_length=200, null=True)
    bio = fields.TextField(null=True)
    avatar: fields.ForeignKeyNullableRelation[MediaAsset] = fields.ForeignKeyField(
        "models.MediaAsset", related_name="avatar_of", null=True, on_delete=fields.RESTRICT
    )
    email = fields.CharField(max_length=254, null=True)
    # the editor account this byline belongs to, if any ("own" articles)
    user: fields.OneToOneNullableRelation[User] = fields.OneToOneField(
        "models.User", related_name="author_profile", null=True, on_delete=fields.SET_NULL
    )
    # [{"label": "X", "url": "https://..."}]
    links: fields.Field[list[dict[str, str]]] = fields.JSONField(default=list)
    version = fields.IntField(default=1)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)
    deleted_at = fields.DatetimeField(null=True)

    bylines: fields.ReverseRelation[ArticleAuthor]

    class Meta:
        table = "author"
        indexes = (("name", "id"), ("avatar_id",))
