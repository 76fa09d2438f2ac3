"""Articles and everything that hangs off them: bylines, tags, videos, sources,
translations, corrections and revisions."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

from cms.content import PublishableMixin

if TYPE_CHECKING:
    from cms.accounts.models import User
    from cms.assets.models import MediaAsset
    from cms.authors.models import Author
    from cms.tags.models import Tag
    from cms.videos.models import VideoEmbed


class BodyFormat(StrEnum):
    MARKDOWN = "MARKDOWN"
    HTML = "HTML"


class CorrectionKind(StrEnum):
    CORRECTION = "CORRECTION"
    CLARIFICATION = "CLARIFICATION"
    UPDATE = "UPDATE"


class Article(PublishableMixin, Model):
    id = fields.IntField(primary_key=True)
    slug = fields.CharField(max_length=200, unique=True)
    title = fields.CharField(max_length=300)
    dek = fields.TextField(null=True)
    body_format = fields.CharEnumField(BodyFormat, max_length=16, default=BodyFormat.MARKDOWN)
    body_source = fields.TextField()  # as the editor wrote it
    body_html = fields.TextField()  # sanitized
    body_text = fields.TextField()  # plain text, for word counts, feeds and search
    word_count = fields.IntField(default=0)
    language = fields.CharField(max_length=35, default="en")
    cover_image: fields.ForeignKeyNullableRelation[MediaAsset] = fields.ForeignKeyField(
        "models.MediaAsset", related_name="cover_of", null=True, on_delete=fields.RESTRICT
    )
    # Translations form a group around the original: every translation points at
    # the original, and the original at nothing.
    translation_of: fields.ForeignKeyNullableRelation[Article] = fields.ForeignKeyField(
        "models.Article", related_name="translations", null=True, on_delete=fields.SET_NULL
    )
    created_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="articles_created", null=True, on_delete=fields.SET_NULL
    )

    bylines: fields.ReverseRelation[ArticleAuthor]
    tag_links: fields.ReverseRelation[ArticleTag]
    video_links: fields.ReverseRelation[ArticleVideo]
    sources: fields.ReverseRelation[Source]
    corrections: fields.ReverseRelation[Correction]
    revisions: fields.ReverseRelation[ArticleRevision]
    translations: fields.ReverseRelation[Article]

    class Meta:
        table = "article"
        indexes = (
            ("published_at", "id"),
            ("status", "published_at"),
            ("language", "published_at"),
            ("cover_image_id",),
            ("translation_of_id",),
            ("created_by_id",),
        )


class ArticleAuthor(Model):
    """A byline: one author credited on one article, in order."""

    id = fields.IntField(primary_key=True)
    article: fields.ForeignKeyRelation[Article] = fields.ForeignKeyField(
        "models.Article", related_name="bylines", on_delete=fields.CASCADE
    )
    author: fields.ForeignKeyRelation[Author] = fields.ForeignKeyField(
        "models.Author", related_name="bylines", on_delete=fields.RESTRICT
    )
    position = fields.SmallIntField(default=0)

    class Meta:
        table = "article_author"
        unique_together = (("article", "author"),)
        indexes = (("author_id", "article_id"),)


class ArticleTag(Model):
    id = fields.IntField(primary_key=True)
    article: fields.ForeignKeyRelation[Article] = fields.ForeignKeyField(
        "models.Article", related_name="tag_links", on_delete=fields.CASCADE
    )
    tag: fields.ForeignKeyRelation[Tag] = fields.ForeignKeyField(
        "models.Tag", related_name="article_links", on_delete=fields.CASCADE
    )
    position = fields.SmallIntField(default=0)

    class Meta:
        table = "article_tag"
        unique_together = (("article", "tag"),)
        indexes = (("tag_id", "article_id"),)


class ArticleVideo(Model):
    id = fields.IntField(primary_key=True)
    article: fields.ForeignKeyRelation[Article] = fields.ForeignKeyField(
        "models.Article", related_name="video_links", on_delete=fields.CASCADE
    )
    video: fields.ForeignKeyRelation[VideoEmbed] = fields.ForeignKeyField(
        "models.VideoEmbed", related_name="article_links", on_delete=fields.CASCADE
    )
    position = fields.SmallIntField(default=0)

    class Meta:
        table = "article_video"
        unique_together = (("article", "video"),)
        indexes = (("video_id",),)


class Source(Model):
    """An attribution: who the story relies on ("Reuters", the paper that broke it)."""

    id = fields.IntField(primary_key=True)
    article: fields.ForeignKeyRelation[Article] = fields.ForeignKeyField(
        "models.Article", related_name="sources", on_delete=fields.CASCADE
    )
    position = fields.SmallIntField(default=0)
    name = fields.CharField(max_length=200)
    url = fields.CharField(max_length=2000, null=True)

    class Meta:
        table = "article_source"
        indexes = (("article_id", "position"),)


class Correction(Model):
    id = fields.IntField(primary_key=True)
    article: fields.ForeignKeyRelation[Article] = fields.ForeignKeyField(
        "models.Article", related_name="corrections", on_delete=fields.CASCADE
    )
    kind = fields.CharEnumField(CorrectionKind, max_length=16)
    text = fields.TextField()
    created_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="corrections", null=True, on_delete=fields.SET_NULL
    )
    created_at = fields.DatetimeField()

    class Meta:
        table = "article_correction"
        indexes = (("article_id", "created_at"),)


class ArticleRevision(Model):
    """The state of an article's words after one save. History is never rewritten."""

    id = fields.IntField(primary_key=True)
    article: fields.ForeignKeyRelation[Article] = fields.ForeignKeyField(
        "models.Article", related_name="revisions", on_delete=fields.CASCADE
    )
    number = fields.IntField()
    title = fields.CharField(max_length=300)
    dek = fields.TextField(null=True)
    body_format = fields.CharEnumField(BodyFormat, max_length=16, default=BodyFormat.MARKDOWN)
    body_source = fields.TextField()
    body_html = fields.TextField()
    body_text = fields.TextField()
    user: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="revisions", null=True, on_delete=fields.SET_NULL
    )
    created_at = fields.DatetimeField()

    class Meta:
        table = "article_revision"
        unique_together = (("article", "number"),)
