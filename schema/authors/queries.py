"""Author queries: `author` and `authors`."""

from __future__ import annotations

import strawberry

from cms.authors.queries import NameKey, get_author, list_authors
from cms.errors import BadUserInput
from schema.articles.queries import AFTER, BY_ID, BY_SLUG, FIRST
from schema.authors.types import AuthorType
from schema.connections import Connection, connection_of, page_args
from schema.context import Info
from schema.ids import decode_id_of
from schema.permissions import PUBLIC, allow


@strawberry.type
class AuthorQuery:
    @strawberry.field(
        description="One author by ID or slug (exactly one); null if none.",
        extensions=allow(PUBLIC),
    )
    async def author(self, info: Info, id: BY_ID = None, slug: BY_SLUG = None) -> AuthorType | None:
        if (id is None) == (slug is None):
            raise BadUserInput.for_field("id", "give exactly one of id and slug")
        row_id = decode_id_of(id, "Author") if id is not None else None
        row = await get_author(id=row_id, slug=slug)
        return AuthorType.from_row(row) if row else None

    @strawberry.field(description="Authors by name.", extensions=allow(PUBLIC))
    async def authors(
        self, info: Info, first: FIRST = 20, after: AFTER = None
    ) -> Connection[AuthorType]:
        ctx = info.context
        first, after_key = page_args(ctx.cursors, "author", first, after, NameKey)
        page = await list_authors(first=first, after=after_key)
        return connection_of(
            page,
            AuthorType.from_row,
            lambda r: ctx.cursors.encode("author", NameKey(r.name, r.id).to_cursor_key()),
        )
