"""The local-directory driver (the default): files under `CMS_MEDIA_ROOT`, served by
the app at `/media/{key}`; direct uploads go to the app's `/media/upload`, which
checks a signed policy like S3 does (key, exact type, size range, expiry)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import shutil
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO

import anyio.to_thread

from media.errors import PayloadTooLarge, StorageError
from media.storage import PresignedPost, StoredObject, is_valid_key

_CHUNK = 1024 * 1024
POLICY_FIELD = "policy"
SIGNATURE_FIELD = "x-cms-signature"


class LocalStorage:
    def __init__(self, root: Path, *, secret_key: str, public_base_url: str | None = None) -> None:
        self.root = root.resolve()
        self._public_base = public_base_url
        self._policy_key = hmac.new(
            secret_key.encode(), b"cms-local-upload-v1", hashlib.sha256
        ).digest()

    def path_of(self, key: str) -> Path:
        """The file of `key`; refuses anything but a key this app made."""
        if not is_valid_key(key):
            raise StorageError("invalid storage key")
        path = (self.root / key).resolve()
        if self.root not in path.parents:
            raise StorageError("invalid storage key")
        return path

    def _write(self, key: str, source: IO[bytes]) -> None:
        path = self.path_of(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        # write beside, then rename: readers never see half a file
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as out:
                source.seek(0)
                shutil.copyfileobj(source, out, _CHUNK)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    async def put(self, key: str, source: IO[bytes], content_type: str) -> None:
        try:
            await anyio.to_thread.run_sync(self._write, key, source)
        except OSError as exc:
            raise StorageError("could not write to media storage") from exc

    async def head(self, key: str) -> StoredObject | None:
        path = self.path_of(key)
        try:
            size = (await anyio.to_thread.run_sync(path.stat)).st_size
        except FileNotFoundError:
            return None
        return StoredObject(key=key, size=size, content_type=None)

    def _copy(self, key: str, dest: IO[bytes], max_bytes: int) -> int:
        total = 0
        with self.path_of(key).open("rb") as src:
            while chunk := src.read(_CHUNK):
                total += len(chunk)
                if total > max_bytes:
                    raise PayloadTooLarge("the stored file is larger than allowed")
                dest.write(chunk)
        return total

    async def download(self, key: str, dest: IO[bytes], max_bytes: int) -> int:
        try:
            return await anyio.to_thread.run_sync(self._copy, key, dest, max_bytes)
        except FileNotFoundError as exc:
            raise StorageError("the object is not in storage") from exc

    async def delete(self, key: str) -> None:
        await anyio.to_thread.run_sync(lambda: self.path_of(key).unlink(missing_ok=True))

    def public_url(self, key: str, request_base: str) -> str:
        base = self._public_base or f"{request_base}media/"
        return f"{base}{key}"

    async def presigned_post(
        self, key: str, content_type: str, max_bytes: int, expires_in: timedelta, request_base: str
    ) -> PresignedPost:
        expires_at = datetime.now(UTC) + expires_in
        policy = base64.urlsafe_b64encode(
            json.dumps(
                {
                    "key": key,
                    "content_type": content_type,
                    "max_bytes": max_bytes,
                    "expires": int(expires_at.timestamp()),
                },
                separators=(",", ":"),
            ).encode()
        ).decode()
        return PresignedPost(
            url=f"{request_base}media/upload",
            fields={
                "key": key,
                "Content-Type": content_type,
                POLICY_FIELD: policy,
                SIGNATURE_FIELD: self._sign(policy),
            },
            expires_at=expires_at,
        )

    def _sign(self, policy: str) -> str:
        return hmac.new(self._policy_key, policy.encode(), hashlib.sha256).hexdigest()

    def read_policy(self, policy: str, signature: str, now: datetime) -> dict[str, object] | None:
        """The policy of a direct upload form, if we signed it and it has not expired."""
        if not hmac.compare_digest(self._sign(policy), signature):
            return None
        try:
            decoded = json.loads(base64.urlsafe_b64decode(policy.encode()))
        except ValueError:
            return None
        if not isinstance(decoded, dict) or now.timestamp() >= decoded.get("expires", 0):
            return None
        return decoded

    async def check(self) -> None:
        def probe() -> None:
            self.root.mkdir(parents=True, exist_ok=True)
            if not os.access(self.root, os.W_OK):
                raise OSError("media root is not writable")

        try:
            await anyio.to_thread.run_sync(probe)
        except OSError as exc:
            raise StorageError("media storage is not writable") from exc
