"""Tag queries: `tags`."""

from __future__ import annotations

import strawberry

from cms.tags.queries import list_tags
from schema.permissions import PUBLIC, allow
from schema.tags.types import TagType


@strawberry.type
class TagQuery:
    @strawberry.field(description="Every tag, by name.", extensions=allow(PUBLIC))
    async def tags(self) -> list[TagType]:
        return [TagType.from_row(t) for t in await list_tags()]
