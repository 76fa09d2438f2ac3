"""Relay connections on keyset pages. Strawberry's own connections page by offset,
so the shape is declared here and filled from `cms.pagination.Page`."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Generic, Protocol, TypeVar

import strawberry

from cms.pagination import CursorCodec, Page, check_first

NodeT = TypeVar("NodeT")
RowT = TypeVar("RowT")
KeyT = TypeVar("KeyT")
KeyT_co = TypeVar("KeyT_co", covariant=True)


class CursorKey(Protocol[KeyT_co]):
    def from_cursor_key(
        self, key: Sequence[str | int | float], field: str = "after"
    ) -> KeyT_co: ...


def page_args(
    cursors: CursorCodec, kind: str, first: int | None, after: str | None, key: CursorKey[KeyT]
) -> tuple[int, KeyT | None]:
    """The checked page size, and `after` (a cursor of list `kind`) decoded into its
    ordering key."""
    size = check_first(first)
    return size, key.from_cursor_key(cursors.decode(kind, after)) if after is not None else None


@strawberry.type(description="Where a page sits in its list.")
class PageInfo:
    has_next_page: bool = strawberry.field(description="More items follow this page.")
    has_previous_page: bool = strawberry.field(
        description="Items come before this page (true whenever `after` was given)."
    )
    start_cursor: str | None = strawberry.field(description="Cursor of the first edge.")
    end_cursor: str | None = strawberry.field(
        description="Cursor of the last edge: pass it as `after` for the next page."
    )


@strawberry.type(description="One item of a list and its cursor.")
class Edge(Generic[NodeT]):
    cursor: str = strawberry.field(description="Opaque position of this item in the list.")
    node: NodeT = strawberry.field(description="The item.")


@strawberry.type(description="One page of a list, paginated with `first` and `after`.")
class Connection(Generic[NodeT]):
    edges: list[Edge[NodeT]] = strawberry.field(description="The items of this page.")
    page_info: PageInfo = strawberry.field(description="Cursors and whether more pages exist.")


def connection_of(
    page: Page[RowT],
    to_node: Callable[[RowT], NodeT],
    to_cursor: Callable[[RowT], str],
) -> Connection[NodeT]:
    """Map a page of rows to a connection of GraphQL objects."""
    edges: Sequence[Edge[NodeT]] = [Edge(cursor=to_cursor(r), node=to_node(r)) for r in page.rows]
    return Connection(
        edges=list(edges),
        page_info=PageInfo(
            has_next_page=page.has_next,
            has_previous_page=page.has_previous,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
    )
