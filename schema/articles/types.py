"""GraphQL types of articles."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry import relay

from cms.articles.body import reading_time_minutes
from cms.articles.models import Article, ArticleRevision, CorrectionKind
from cms.content import effective_status
from cms.pagination import TimeKey
from schema.authors.types import AuthorType
from schema.context import Context, Info
from schema.media.types import MediaAssetType
from schema.tags.types import TagType
from schema.videos.types import ContentStatusEnum, VideoEmbedType

if TYPE_CHECKING:
    from schema.accounts.types import UserType

CorrectionKindEnum = strawberry.enum(
    CorrectionKind, name="CorrectionKind", description="What kind of note was appended."
)


def article_cursor(ctx: Context, row: Article) -> str:
    assert row.published_at is not None  # lists hold published articles only
    return ctx.cursors.encode("article", TimeKey(row.published_at, row.id).to_cursor_key())


@strawberry.type(description="Sanitized HTML and the same words as plain text.")
class RichText:
    html: str = strawberry.field(description="Sanitized HTML, safe to insert into a page.")
    text: str = strawberry.field(description="Plain text, for previews and feeds.")


@strawberry.type(description="Who a story credits for its information.")
class Source:
    name: str = strawberry.field(description='e.g. "Reuters" or the paper that broke the story.')
    url: str | None = strawberry.field(description="Link to the original.")


@strawberry.type(description="A dated note appended to a published article.")
class Correction:
    kind: CorrectionKindEnum = strawberry.field(description="Correction, clarification or update.")  # type: ignore[valid-type]
    text: str = strawberry.field(description="The note.")
    created_at: datetime = strawberry.field(description="When it was appended.")


@strawberry.type(description="The words of an article after one save.")
class Revision:
    number: int = strawberry.field(description="1 for the first save, then counting up.")
    created_at: datetime = strawberry.field(description="When it was saved.")
    title: str = strawberry.field(description="Headline then.")
    dek: str | None = strawberry.field(description="Standfirst then.")
    body: RichText = strawberry.field(description="Body then.")
    _user_id: strawberry.Private[int | None]

    @classmethod
    def from_row(cls, row: ArticleRevision) -> Revision:
        return cls(
            number=row.number,
            created_at=row.created_at,
            title=row.title,
            dek=row.dek,
            body=RichText(html=row.body_html, text=row.body_text),
            _user_id=row.user_id,  # type: ignore[attr-defined]
        )

    @strawberry.field(description="Who saved it.")
    async def user(
        self, info: Info
    ) -> Annotated[UserType, strawberry.lazy("schema.accounts.types")] | None:
        from schema.accounts.types import UserType

        if self._user_id is None:
            return None
        row = await info.context.loaders.user_by_id.load(self._user_id)
        return UserType.from_row(row) if row else None


@strawberry.type(name="Article", description="A full story with bylines, sources and media.")
class ArticleType(relay.Node):
    id: relay.NodeID[int]
    slug: str = strawberry.field(description="URL-safe name, unique.")
    title: str = strawberry.field(description="Headline.")
    dek: str | None = strawberry.field(description="Standfirst: the summary under the headline.")
    body: RichText = strawberry.field(description="The story.")
    word_count: int = strawberry.field(description="Words in the body.")
    reading_time_minutes: int = strawberry.field(
        description="Minutes to read: max(1, ceil(wordCount / 238))."
    )
    status: ContentStatusEnum = strawberry.field(description="Status as the reader sees it.")  # type: ignore[valid-type]
    published_at: datetime | None = strawberry.field(description="When it is or was published.")
    first_published_at: datetime | None = strawberry.field(
        description="The first publication; never changes afterwards."
    )
    created_at: datetime = strawberry.field(description="When it was created.")
    updated_at: datetime = strawberry.field(description="When it last changed.")
    language: str = strawberry.field(description='BCP 47 language tag, e.g. "en" or "uk".')
    version: int = strawberry.field(description="Increases with every saved change.")
    _row: strawberry.Private[Article]

    @classmethod
    def from_row(cls, row: Article, now: datetime) -> ArticleType:
        return cls(
            id=row.id,
            slug=row.slug,
            title=row.title,
            dek=row.dek,
            body=RichText(html=row.body_html, text=row.body_text),
            word_count=row.word_count,
            reading_time_minutes=reading_time_minutes(row.word_count),
            status=effective_status(row.status, row.published_at, now),
            published_at=row.published_at,
            first_published_at=row.first_published_at,
            created_at=row.created_at,
            updated_at=row.updated_at,
            language=row.language,
            version=row.version,
            _row=row,
        )

    @strawberry.field(description="Bylines, in order.")
    async def authors(self, info: Info) -> list[AuthorType]:
        loaders = info.context.loaders
        ids = await loaders.author_ids_by_article_id.load(self.id)
        rows = await loaders.author_by_id.load_many(ids)
        return [AuthorType.from_row(r) for r in rows if r is not None]

    @strawberry.field(description="The lead image.")
    async def cover_image(self, info: Info) -> MediaAssetType | None:
        cover_id = self._row.cover_image_id  # type: ignore[attr-defined]
        if cover_id is None:
            return None
        row = await info.context.loaders.media_asset_by_id.load(cover_id)
        return MediaAssetType.from_row(row, info) if row else None

    @strawberry.field(description="Topics, in order.")
    async def tags(self, info: Info) -> list[TagType]:
        rows = await info.context.loaders.tags_by_article_id.load(self.id)
        return [TagType.from_row(r) for r in rows]

    @strawberry.field(description="Embedded videos, in order.")
    async def videos(self, info: Info) -> list[VideoEmbedType]:
        rows = await info.context.loaders.videos_by_article_id.load(self.id)
        return [VideoEmbedType.from_row(r, info.context.now) for r in rows]

    @strawberry.field(description="Attributions: who the story relies on.")
    async def sources(self, info: Info) -> list[Source]:
        rows = await info.context.loaders.sources_by_article_id.load(self.id)
        return [Source(name=r.name, url=r.url) for r in rows]

    @strawberry.field(description="The same story in other languages (visible ones only).")
    async def translations(self, info: Info) -> list[ArticleType]:
        group_id = self._row.translation_of_id or self.id  # type: ignore[attr-defined]
        rows = await info.context.loaders.articles_by_translation_group_id.load(group_id)
        return [ArticleType.from_row(r, info.context.now) for r in rows if r.id != self.id]

    @strawberry.field(description="Dated corrections, clarifications and updates, oldest first.")
    async def corrections(self, info: Info) -> list[Correction]:
        rows = await info.context.loaders.corrections_by_article_id.load(self.id)
        return [Correction(kind=r.kind, text=r.text, created_at=r.created_at) for r in rows]

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[ArticleType | None]:
        rows = await info.context.loaders.article_by_id.load_many([int(i) for i in node_ids])
        return [cls.from_row(r, info.context.now) if r else None for r in rows]
