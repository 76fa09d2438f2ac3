"""GraphQL types of authors (bylines)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry import relay

from cms.articles.queries import AuthorArticlesKey
from cms.authors.models import Author, AuthorKind
from cms.pagination import TimeKey
from schema.connections import Connection, connection_of, page_args
from schema.context import Info
from schema.media.types import MediaAssetType
from schema.permissions import STAFF, allow

if TYPE_CHECKING:
    from schema.articles.types import ArticleType

AuthorKindEnum = strawberry.enum(AuthorKind, name="AuthorKind", description="A person or a desk.")


@strawberry.type(description="A labelled link on an author's profile.")
class Link:
    label: str = strawberry.field(description='What the link is, e.g. "X" or "Website".')
    url: str = strawberry.field(description="Where it points.")


@strawberry.type(name="Author", description="A byline: a reporter or a desk.")
class AuthorType(relay.Node):
    id: relay.NodeID[int]
    slug: str = strawberry.field(description="URL-safe name, unique.")
    name: str = strawberry.field(description="Name as printed on bylines.")
    kind: AuthorKindEnum = strawberry.field(description="A person or a desk.")  # type: ignore[valid-type]
    title: str | None = strawberry.field(description='Role, e.g. "Reporter" or "News desk".')
    bio: str | None = strawberry.field(description="Short biography for the byline card.")
    links: list[Link] = strawberry.field(description="Profile links.")
    created_at: datetime = strawberry.field(description="When the profile was created.")
    updated_at: datetime = strawberry.field(description="When the profile last changed.")
    version: int = strawberry.field(description="Increases with every saved change.")
    _row: strawberry.Private[Author]

    @classmethod
    def from_row(cls, row: Author) -> AuthorType:
        return cls(
            id=row.id,
            slug=row.slug,
            name=row.name,
            kind=row.kind,
            title=row.title,
            bio=row.bio,
            links=[Link(label=link["label"], url=link["url"]) for link in row.links],
            created_at=row.created_at,
            updated_at=row.updated_at,
            version=row.version,
            _row=row,
        )

    @strawberry.field(
        description="Contact address; null for the public.", extensions=allow(STAFF, silent=True)
    )
    def email(self) -> str | None:
        return self._row.email

    @strawberry.field(description="Profile picture.")
    async def avatar(self, info: Info) -> MediaAssetType | None:
        avatar_id = self._row.avatar_id  # type: ignore[attr-defined]
        if avatar_id is None:
            return None
        row = await info.context.loaders.media_asset_by_id.load(avatar_id)
        return MediaAssetType.from_row(row, info) if row else None

    @strawberry.field(description="The author's published articles, newest first.")
    async def articles(
        self,
        info: Info,
        first: Annotated[int | None, strawberry.argument(description="Page size, 1 to 100.")] = 20,
        after: Annotated[
            str | None, strawberry.argument(description="Cursor to continue after.")
        ] = None,
    ) -> Connection[Annotated[ArticleType, strawberry.lazy("schema.articles.types")]]:
        from schema.articles.types import ArticleType, article_cursor

        ctx = info.context
        first, after_key = page_args(ctx.cursors, "article", first, after, TimeKey)
        page = await ctx.loaders.article_page_by_author.load(
            AuthorArticlesKey(self.id, first, after_key)
        )
        assert page is not None  # the loader answers every key
        return connection_of(
            page,
            lambda row: ArticleType.from_row(row, ctx.now),
            lambda row: article_cursor(ctx, row),
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[AuthorType | None]:
        rows = await info.context.loaders.author_by_id.load_many([int(i) for i in node_ids])
        return [cls.from_row(r) if r else None for r in rows]
