"""The background sweep of media storage: direct uploads never completed are
dropped after a day (object and row), and buried objects are deleted; on both
drivers."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import pytest

from cms.accounts.actor import SYSTEM
from cms.assets.models import AssetState, MediaAsset, StorageGarbage
from cms.assets.service import PENDING_LIFETIME, create_media_upload, sweep_storage
from media.storage import new_key

from conftest import NOW


async def _ticket(storage: Any, arrived: bool) -> MediaAsset:
    asset, _ = await create_media_upload(
        actor=SYSTEM,
        filename="a.pdf",
        content_type="application/pdf",
        byte_size=9,
        storage=storage,
        max_bytes=1000,
        now=NOW,
        request_base="http://testserver/",
    )
    if arrived:  # the client posted it straight to storage, and never completed
        await storage.put(asset.key, io.BytesIO(b"%PDF-1.7\n"), "application/pdf")
    return asset


@pytest.mark.usefixtures("app")
async def test_abandoned_direct_uploads_are_dropped(storage: Any) -> None:
    abandoned = await _ticket(storage, arrived=True)
    never_sent = await _ticket(storage, arrived=False)
    fresh = await _ticket(storage, arrived=True)
    old = NOW - PENDING_LIFETIME - timedelta(minutes=1)
    await MediaAsset.filter(id__in=[abandoned.id, never_sent.id]).update(created_at=old)
    ready = await _ticket(storage, arrived=True)
    await MediaAsset.filter(id=ready.id).update(state=AssetState.READY, created_at=old)

    assert await sweep_storage(storage=storage, now=NOW) == 2  # one object, one absent
    remaining = set(await MediaAsset.all().values_list("id", flat=True))
    assert remaining == {fresh.id, ready.id}
    assert await storage.head(abandoned.key) is None
    assert await storage.head(fresh.key) is not None
    assert await storage.head(ready.key) is not None
    assert await StorageGarbage.all().count() == 0
    assert await sweep_storage(storage=storage, now=NOW) == 0  # nothing left to do


@pytest.mark.usefixtures("app")
async def test_buried_objects_wait_for_their_time(storage: Any) -> None:
    key = new_key(NOW, "pdf")
    await storage.put(key, io.BytesIO(b"%PDF-1.7\n"), "application/pdf")
    later = NOW + timedelta(minutes=5)
    await StorageGarbage.create(key=key, created_at=NOW, next_attempt_at=later)
    assert await sweep_storage(storage=storage, now=NOW) == 0
    assert await storage.head(key) is not None
    assert await sweep_storage(storage=storage, now=later) == 1
    assert await storage.head(key) is None
