"""Batch look-ups of accounts, for the API's loaders."""

from __future__ import annotations

from collections.abc import Sequence

from cms.accounts.models import User


async def users_by_ids(ids: Sequence[int]) -> dict[int, User]:
    return {u.id: u for u in await User.filter(id__in=ids)}
