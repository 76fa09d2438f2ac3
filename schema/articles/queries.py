"""Article queries: `article` and `articles`."""

from __future__ import annotations

from typing import Annotated

import strawberry

from cms.articles.queries import ArticleFilter, get_article, list_articles
from cms.content import ContentStatus
from cms.errors import BadUserInput
from cms.pagination import TimeKey
from schema.articles.types import ArticleType, article_cursor
from schema.connections import Connection, connection_of, page_args
from schema.context import Info
from schema.ids import decode_id_of
from schema.permissions import PUBLIC, allow
from schema.videos.types import ContentStatusEnum


@strawberry.input(name="ArticleFilter", description="Narrows `articles`; all given filters apply.")
class ArticleFilterInput:
    tag: str | None = strawberry.field(default=None, description="A tag's slug.")
    author: str | None = strawberry.field(default=None, description="An author's slug.")
    language: str | None = strawberry.field(default=None, description='BCP 47 tag, e.g. "uk".')
    status: ContentStatusEnum | None = strawberry.field(  # type: ignore[valid-type]
        default=None,
        description="Status; anything but PUBLISHED needs the CONTENT_READ scope.",
    )


FIRST = Annotated[int | None, strawberry.argument(description="Page size, 1 to 100.")]
AFTER = Annotated[
    str | None, strawberry.argument(description="Cursor of the last item seen (endCursor).")
]
BY_ID = Annotated[strawberry.ID | None, strawberry.argument(description="Global ID.")]
BY_SLUG = Annotated[str | None, strawberry.argument(description="URL slug.")]


@strawberry.type
class ArticleQuery:
    @strawberry.field(
        description="One article by ID or slug (exactly one); null if not visible.",
        extensions=allow(PUBLIC),
    )
    async def article(
        self, info: Info, id: BY_ID = None, slug: BY_SLUG = None
    ) -> ArticleType | None:
        ctx = info.context
        if (id is None) == (slug is None):
            raise BadUserInput.for_field("id", "give exactly one of id and slug")
        row_id = decode_id_of(id, "Article") if id is not None else None
        row = await get_article(actor=ctx.actor, now=ctx.now, id=row_id, slug=slug)
        return ArticleType.from_row(row, ctx.now) if row else None

    @strawberry.field(
        description="Articles, newest first (publishedAt desc, then id desc).",
        extensions=allow(PUBLIC),
    )
    async def articles(
        self,
        info: Info,
        first: FIRST = 20,
        after: AFTER = None,
        filter: Annotated[
            ArticleFilterInput | None, strawberry.argument(description="Narrows the list.")
        ] = None,
    ) -> Connection[ArticleType]:
        ctx = info.context
        first, after_key = page_args(ctx.cursors, "article", first, after, TimeKey)
        f = filter or ArticleFilterInput()
        page = await list_articles(
            actor=ctx.actor,
            now=ctx.now,
            first=first,
            after=after_key,
            filter=ArticleFilter(
                tag=f.tag,
                author=f.author,
                language=f.language,
                status=ContentStatus(f.status) if f.status is not None else None,
            ),
        )
        return connection_of(
            page, lambda r: ArticleType.from_row(r, ctx.now), lambda r: article_cursor(ctx, r)
        )
