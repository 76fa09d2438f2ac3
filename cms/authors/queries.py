"""Reading authors. Authors are public profiles; deleted ones are gone everywhere."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from tortoise.expressions import Q

from cms.authors.models import Author
from cms.errors import BadUserInput
from cms.pagination import Page, page_of


@dataclass(frozen=True, slots=True)
class NameKey:
    """The ordering key `(name ASC, id ASC)` of the authors list."""

    name: str
    id: int

    def to_cursor_key(self) -> list[str | int]:
        return [self.name, self.id]

    @classmethod
    def from_cursor_key(cls, key: Sequence[str | int | float], field: str = "after") -> NameKey:
        if len(key) != 2 or not isinstance(key[0], str) or not isinstance(key[1], int):
            raise BadUserInput.for_field(field, "invalid cursor")
        return cls(key[0], key[1])


async def list_authors(*, first: int, after: NameKey | None) -> Page[Author]:
    query = Author.filter(deleted_at__isnull=True)
    if after is not None:
        query = query.filter(Q(name__gt=after.name) | Q(name=after.name, id__gt=after.id))
    rows = await query.order_by("name", "id").limit(first + 1)
    return page_of(rows, first, has_previous=after is not None)


async def get_author(*, id: int | None = None, slug: str | None = None) -> Author | None:
    query = Author.filter(deleted_at__isnull=True)
    query = query.filter(id=id) if id is not None else query.filter(slug=slug)
    return await query.first()


async def authors_by_ids(ids: Sequence[int]) -> dict[int, Author]:
    return {a.id: a for a in await Author.filter(id__in=ids, deleted_at__isnull=True)}


async def authors_by_user_ids(user_ids: Sequence[int]) -> dict[int, Author]:
    """The byline of each editor account that has one."""
    rows = await Author.filter(user_id__in=user_ids, deleted_at__isnull=True)
    return {a.user_id: a for a in rows}  # type: ignore[attr-defined]
