"""Article queries: `article` and `articles`."""

from __future__ import annotations

from typing import Annotated

import strawberry

from cms.accounts.actor import Scope
from cms.articles.queries import ArticleFilter, get_article, list_articles
from cms.articles.search import SearchKey, fingerprint, search_articles
from cms.articles.service import revisions
from cms.content import ContentStatus
from cms.errors import BadUserInput
from cms.pagination import TimeKey
from schema.articles.types import ArticleType, Revision, article_cursor
from schema.connections import Connection, connection_of, page_args
from schema.context import Info
from schema.ids import decode_id_of
from schema.permissions import PUBLIC, Requires, allow
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
    search: str | None = strawberry.field(
        default=None,
        description="Words to find in title, dek and body; best matches first.",
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
        self,
        info: Info,
        id: BY_ID = None,
        slug: BY_SLUG = None,
        preview_token: Annotated[
            str | None, strawberry.argument(description="Shows the draft it was made for.")
        ] = None,
    ) -> ArticleType | None:
        ctx = info.context
        if sum(x is not None for x in (id, slug, preview_token)) != 1:
            raise BadUserInput.for_field("id", "give exactly one of id, slug and previewToken")
        if preview_token is not None:
            article_id = ctx.previews.article_id(preview_token, ctx.now)
            if article_id is None:
                raise BadUserInput.for_field("previewToken", "invalid or expired preview token")
            row = await get_article(actor=ctx.actor, now=ctx.now, id=article_id, preview=True)
        else:
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
        f = filter or ArticleFilterInput()
        if f.search is not None:
            return await _search(info, first, after, f)
        first, after_key = page_args(ctx.cursors, "article", first, after, TimeKey)
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


async def _search(
    info: Info, first: int | None, after: str | None, f: ArticleFilterInput
) -> Connection[ArticleType]:
    ctx = info.context
    assert f.search is not None
    if f.status is not None and ContentStatus(f.status) != ContentStatus.PUBLISHED:
        raise BadUserInput.for_field("filter.status", "search covers published articles only")
    size, after_key = page_args(ctx.cursors, "search", first, after, SearchKey)
    page = await search_articles(
        search=f.search,
        now=ctx.now,
        first=size,
        after=after_key,
        language=f.language,
        tag=f.tag,
        author=f.author,
    )
    query = fingerprint(f.search)
    return connection_of(
        page,
        lambda hit: ArticleType.from_row(hit.article, ctx.now),
        lambda hit: ctx.cursors.encode(
            "search", SearchKey(hit.score, hit.article.id, query).to_cursor_key()
        ),
    )


@strawberry.type
class RevisionQuery:
    @strawberry.field(
        description="An article's revisions, newest first (editors).",
        extensions=allow(Requires(scope=Scope.CONTENT_READ)),
    )
    async def article_revisions(
        self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(description="ID.")]
    ) -> list[Revision]:
        rows = await revisions(actor=info.context.actor, article_id=decode_id_of(id, "Article"))
        return [Revision.from_row(r) for r in rows]
