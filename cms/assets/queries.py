"""Reading media assets (the public sees them only through content that uses them)."""

from __future__ import annotations

from collections.abc import Sequence

from cms.assets.models import AssetState, MediaAsset


async def assets_by_ids(ids: Sequence[int]) -> dict[int, MediaAsset]:
    return {a.id: a for a in await MediaAsset.filter(id__in=ids, state=AssetState.READY)}
