"""The storage drivers on their own (no database): keys, serving headers, private
buckets, refusals of foreign keys."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from media.errors import StorageError
from media.local import LocalStorage
from media.s3 import S3Storage
from media.storage import is_valid_key, new_key, rendition_key

from conftest import SECRET, make_bucket

NOW = datetime(2026, 11, 26, tzinfo=UTC)


def test_keys_are_server_made() -> None:
    """Keys carry a date, 128 random bits and the extension; renditions sit beside."""
    key = new_key(NOW, "jpg")
    assert key.startswith("2026/11/26/") and key.endswith(".jpg")
    assert is_valid_key(key)
    assert rendition_key(key, 320) == key[:-4] + ".w320.webp"
    assert is_valid_key(rendition_key(key, 320))
    assert new_key(NOW, "jpg") != key


@pytest.mark.parametrize(
    "key", ["../etc/passwd", "/etc/passwd", "2026/11/26/../../x.jpg", "a.jpg", "2026/11/26/x.jpg\0"]
)
def test_local_driver_refuses_foreign_keys(tmp_path: Path, key: str) -> None:
    """No path outside the media root, and no key the server did not make."""
    storage = LocalStorage(tmp_path, secret_key=SECRET)
    with pytest.raises(StorageError):
        storage.path_of(key)


async def test_private_bucket_urls_are_presigned(moto_server: str) -> None:
    """With CMS_S3_PRIVATE, MediaAsset URLs are presigned GETs that fetch the object."""
    storage = S3Storage(
        bucket=make_bucket(moto_server), region="us-east-1", endpoint_url=moto_server, private=True
    )
    key = new_key(NOW, "pdf")
    await storage.put(key, io.BytesIO(b"%PDF-1.4 test"), "application/pdf")
    url = storage.public_url(key, "http://ignored/")
    assert "X-Amz-Signature=" in url
    async with httpx.AsyncClient() as client:
        assert (await client.get(url)).content == b"%PDF-1.4 test"
    found = await storage.head(key)
    assert found is not None and (found.size, found.content_type) == (13, "application/pdf")
    await storage.delete(key)
    assert await storage.head(key) is None


async def test_local_direct_upload_policy_expires(tmp_path: Path) -> None:
    """The local driver's upload policy is signed and expires like S3's."""
    storage = LocalStorage(tmp_path, secret_key=SECRET)
    post = await storage.presigned_post(
        new_key(NOW, "png"), "image/png", 100, timedelta(minutes=10), "http://t/"
    )
    policy, signature = post.fields["policy"], post.fields["x-cms-signature"]
    assert storage.read_policy(policy, signature, datetime.now(UTC)) is not None
    assert storage.read_policy(policy, "0" * 64, datetime.now(UTC)) is None
    later = datetime.now(UTC) + timedelta(minutes=11)
    assert storage.read_policy(policy, signature, later) is None
