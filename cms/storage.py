"""The storage driver the settings ask for (the composition root calls this)."""

from __future__ import annotations

from cms.settings import Settings
from media.local import LocalStorage
from media.s3 import S3Storage
from media.storage import Storage


def storage_for(settings: Settings) -> Storage:
    public = settings.public_media_url.rstrip("/") + "/" if settings.public_media_url else None
    if settings.storage == "s3":
        assert settings.s3_bucket is not None  # checked by load_settings
        return S3Storage(
            bucket=settings.s3_bucket,
            region=settings.s3_region,
            endpoint_url=settings.s3_endpoint_url,
            public_base_url=public,
            private=settings.s3_private,
        )
    return LocalStorage(settings.media_root, secret_key=settings.secret_key, public_base_url=public)
