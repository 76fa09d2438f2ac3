"""Article mutations: writing, publishing, correcting, revising, previews."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from cms.accounts.actor import Scope
from cms.accounts.models import Role
from cms.articles import service
from cms.articles.models import BodyFormat, CorrectionKind
from cms.articles.service import ArticleFields, SourceInput
from schema.articles.types import ArticleType, CorrectionKindEnum
from schema.context import Info
from schema.inputs import arg, given, id_of, ids_of
from schema.permissions import Requires, allow

WRITE = Requires(scope=Scope.CONTENT_WRITE)
PUBLISH = Requires(scope=Scope.CONTENT_PUBLISH, role=Role.AUTHOR)
READ = Requires(scope=Scope.CONTENT_READ)

BodyFormatEnum = strawberry.enum(
    BodyFormat, name="BodyFormat", description="How a body is written."
)


@strawberry.input(name="SourceInput", description="An attribution.")
class SourceInputType:
    name: str = strawberry.field(description='e.g. "Reuters".')
    url: str | None = strawberry.field(default=None, description="Link to the original.")


@strawberry.input(description="A new article (always created as a DRAFT).")
class ArticleInput:
    title: str = strawberry.field(description="Headline, at most 300 characters.")
    slug: str | None = strawberry.field(
        default=None, description="Made from the title if left out."
    )
    dek: str | None = strawberry.field(default=None, description="Standfirst, at most 1000.")
    body: str = strawberry.field(description="The story, Markdown or HTML, at most 1 MB.")
    body_format: BodyFormatEnum = strawberry.field(  # type: ignore[valid-type]
        default=BodyFormat.MARKDOWN, description="How `body` is written."
    )
    author_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Bylines in order (default: your own)."
    )
    cover_image_id: strawberry.ID | None = strawberry.field(default=None, description="Lead image.")
    tags: list[str] | None = strawberry.field(
        default=None, description="Tag names; new ones are created."
    )
    video_ids: list[strawberry.ID] | None = strawberry.field(default=None, description="Videos.")
    sources: list[SourceInputType] | None = strawberry.field(default=None, description="Sources.")
    language: str = strawberry.field(default="en", description="BCP 47 tag.")
    translation_of_id: strawberry.ID | None = strawberry.field(
        default=None, description="The article this translates."
    )


@strawberry.input(description="Changes to an article: fields left out stay, null clears.")
class ArticlePatch:
    title: str | None = strawberry.field(default=strawberry.UNSET, description="Headline.")
    slug: str | None = strawberry.field(default=strawberry.UNSET, description="New slug.")
    dek: str | None = strawberry.field(default=strawberry.UNSET, description="Standfirst.")
    body: str | None = strawberry.field(default=strawberry.UNSET, description="The story.")
    body_format: BodyFormatEnum | None = strawberry.field(  # type: ignore[valid-type]
        default=strawberry.UNSET, description="How `body` is written."
    )
    author_ids: list[strawberry.ID] | None = strawberry.field(
        default=strawberry.UNSET, description="Bylines in order."
    )
    cover_image_id: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET, description="Lead image."
    )
    tags: list[str] | None = strawberry.field(default=strawberry.UNSET, description="Tag names.")
    video_ids: list[strawberry.ID] | None = strawberry.field(
        default=strawberry.UNSET, description="Videos."
    )
    sources: list[SourceInputType] | None = strawberry.field(
        default=strawberry.UNSET, description="Sources."
    )
    language: str | None = strawberry.field(default=strawberry.UNSET, description="BCP 47 tag.")
    translation_of_id: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET, description="The article this translates."
    )


@strawberry.input(description="A dated note appended to an article.")
class CorrectionInput:
    kind: CorrectionKindEnum = strawberry.field(description="What kind of note.")  # type: ignore[valid-type]
    text: str = strawberry.field(description="The note.")


def _sources(items: list[SourceInputType]) -> list[SourceInput]:
    return [SourceInput(name=s.name, url=s.url) for s in items]


def _fields(data: ArticleInput | ArticlePatch) -> ArticleFields:
    return ArticleFields(
        title=given(data.title),
        slug=given(data.slug),
        dek=given(data.dek),
        body=given(data.body),
        body_format=given(data.body_format, BodyFormat),
        author_ids=given(data.author_ids, ids_of("Author", "authorIds")),
        cover_image_id=given(data.cover_image_id, id_of("MediaAsset", "coverImageId")),
        tags=given(data.tags),
        video_ids=given(data.video_ids, ids_of("VideoEmbed", "videoIds")),
        sources=given(data.sources, _sources),
        language=given(data.language),
        translation_of_id=given(data.translation_of_id, id_of("Article", "translationOfId")),
    )


ARTICLE_ID = Annotated[strawberry.ID, arg("The article's ID.")]
VERSION = Annotated[int, arg("The version you read; CONFLICT if it is no longer current.")]


def _article_id(value: str, field: str = "id") -> int:
    return id_of("Article", field)(value)


@strawberry.type
class ArticleMutation:
    @strawberry.mutation(description="Creates a DRAFT article.", extensions=allow(WRITE))
    async def create_article(
        self, info: Info, input: Annotated[ArticleInput, arg("The article.")]
    ) -> ArticleType:
        ctx = info.context
        row = await service.create_article(actor=ctx.actor, fields=_fields(input), now=ctx.now)
        return ArticleType.from_row(row, ctx.now)

    @strawberry.mutation(description="Changes an article.", extensions=allow(WRITE))
    async def update_article(
        self,
        info: Info,
        id: ARTICLE_ID,
        version: VERSION,
        input: Annotated[ArticlePatch, arg("The changes.")],
    ) -> ArticleType:
        ctx = info.context
        row = await service.update_article(
            actor=ctx.actor,
            article_id=_article_id(id),
            version=version,
            fields=_fields(input),
            now=ctx.now,
        )
        return ArticleType.from_row(row, ctx.now)

    @strawberry.mutation(
        description="Publishes now, or schedules for a future publishAt.", extensions=allow(PUBLISH)
    )
    async def publish_article(
        self,
        info: Info,
        id: ARTICLE_ID,
        publish_at: Annotated[datetime | None, arg("When; in the future schedules.")] = None,
        add_to_feed: Annotated[bool, arg("Also show it in the News Feed (once).")] = True,
    ) -> ArticleType:
        ctx = info.context
        row = await service.publish_article(
            actor=ctx.actor,
            article_id=_article_id(id),
            publish_at=publish_at,
            add_to_feed=add_to_feed,
            now=ctx.now,
        )
        return ArticleType.from_row(row, ctx.now)

    @strawberry.mutation(
        description="Back to DRAFT: gone from the public at once.", extensions=allow(PUBLISH)
    )
    async def unpublish_article(self, info: Info, id: ARTICLE_ID) -> ArticleType:
        ctx = info.context
        row = await service.unpublish_article(
            actor=ctx.actor, article_id=_article_id(id), now=ctx.now
        )
        return ArticleType.from_row(row, ctx.now)

    @strawberry.mutation(
        description="Appends a public, dated correction, clarification or update.",
        extensions=allow(WRITE),
    )
    async def add_correction(
        self,
        info: Info,
        article_id: ARTICLE_ID,
        input: Annotated[CorrectionInput, arg("The note.")],
    ) -> ArticleType:
        ctx = info.context
        row = await service.add_correction(
            actor=ctx.actor,
            article_id=_article_id(article_id, "articleId"),
            kind=CorrectionKind(input.kind),
            text=input.text,
            now=ctx.now,
        )
        return ArticleType.from_row(row, ctx.now)

    @strawberry.mutation(
        description="Brings back an old revision's words, as a new revision.",
        extensions=allow(WRITE),
    )
    async def restore_article_revision(
        self,
        info: Info,
        id: ARTICLE_ID,
        revision: Annotated[int, arg("The revision number.")],
        version: VERSION,
    ) -> ArticleType:
        ctx = info.context
        row = await service.restore_revision(
            actor=ctx.actor,
            article_id=_article_id(id),
            number=revision,
            version=version,
            now=ctx.now,
        )
        return ArticleType.from_row(row, ctx.now)

    @strawberry.mutation(description="Deletes an article.", extensions=allow(WRITE))
    async def delete_article(self, info: Info, id: ARTICLE_ID) -> bool:
        ctx = info.context
        return await service.delete_article(
            actor=ctx.actor, article_id=_article_id(id), now=ctx.now
        )

    @strawberry.mutation(
        description="A token that lets a frontend render this article's draft.",
        extensions=allow(READ),
    )
    async def create_preview_token(
        self,
        info: Info,
        article_id: ARTICLE_ID,
        expires_in_seconds: Annotated[int, arg("Lifetime, 1 s to 30 days.")] = 3600,
    ) -> str:
        ctx = info.context
        return await service.create_preview_token(
            actor=ctx.actor,
            article_id=_article_id(article_id, "articleId"),
            expires_in_seconds=expires_in_seconds,
            now=ctx.now,
            tokens=ctx.previews,
        )
