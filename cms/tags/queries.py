"""Reading tags."""

from __future__ import annotations

from cms.tags.models import Tag

MAX_TAGS = 1000


async def list_tags() -> list[Tag]:
    """All tags by name; bounded, since `tags` is not paginated."""
    return await Tag.all().order_by("name", "id").limit(MAX_TAGS)
