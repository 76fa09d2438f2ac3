"""GraphQL types of tags."""

from __future__ import annotations

from collections.abc import Iterable

import strawberry
from strawberry import relay

from cms.tags.models import Tag
from schema.context import Info


@strawberry.type(name="Tag", description="A topic an article is filed under.")
class TagType(relay.Node):
    id: relay.NodeID[int]
    slug: str = strawberry.field(description="URL-safe name, unique.")
    name: str = strawberry.field(description="Display name.")

    @classmethod
    def from_row(cls, row: Tag) -> TagType:
        return cls(id=row.id, slug=row.slug, name=row.name)

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[TagType | None]:
        ids = [int(i) for i in node_ids]
        found = {t.id: t for t in await Tag.filter(id__in=ids)}
        return [cls.from_row(found[i]) if i in found else None for i in ids]
