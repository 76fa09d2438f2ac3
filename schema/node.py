"""`node(id:)`: any object by its global ID, under the same visibility rules."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry import relay

from schema.accounts.types import ApiTokenType, UserType
from schema.articles.types import ArticleType
from schema.authors.types import AuthorType
from schema.context import Info
from schema.feed.types import FeedItemType
from schema.ids import decode_global_id
from schema.media.types import MediaAssetType
from schema.permissions import PUBLIC, allow
from schema.tags.types import TagType
from schema.videos.types import VideoEmbedType

NODE_TYPES: dict[str, type[relay.Node]] = {
    "ApiToken": ApiTokenType,
    "User": UserType,
    "Article": ArticleType,
    "Author": AuthorType,
    "FeedItem": FeedItemType,
    "MediaAsset": MediaAssetType,
    "Tag": TagType,
    "VideoEmbed": VideoEmbedType,
}


@strawberry.type
class NodeQuery:
    @strawberry.field(
        description="Any object by its global ID; null if it is not visible.",
        extensions=allow(PUBLIC),
    )
    async def node(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="Global ID.")],
    ) -> relay.Node | None:
        type_name, row_id = decode_global_id(id)
        node_type = NODE_TYPES.get(type_name)
        if node_type is None:
            return None
        found = await node_type.resolve_nodes(info=info, node_ids=[str(row_id)])  # type: ignore[misc]
        return next(iter(found))
