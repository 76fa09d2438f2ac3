"""The S3 driver (AWS S3, MinIO, R2, Ceph) on boto3.

boto3 is synchronous: every call runs in a worker thread, at most as many at once
as the client has pooled connections. Signature v4 always; path-style addressing
when an endpoint URL is set (most S3-compatible servers want it); checksums only
when an operation requires them, since non-AWS servers reject the newer defaults.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import IO, Any

import anyio
import anyio.to_thread
import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as BotoConnectionError

from media.errors import PayloadTooLarge, StorageError, StorageUnreachable
from media.storage import PresignedPost, StoredObject

POOL_SIZE = 32
# A dead endpoint must fail a request within seconds, not hold an upload (and a
# worker thread) for minutes: connecting is quick on any working network, and a
# read waits for one response, never for a whole body.
CONNECT_TIMEOUT = 3
READ_TIMEOUT = 20
ATTEMPTS = 3
# The readiness probe asks once, quickly: an orchestrator repeats it anyway.
PROBE = Config(connect_timeout=2, read_timeout=3, retries={"max_attempts": 1, "mode": "standard"})
_CHUNK = 1024 * 1024
PRESIGNED_GET_LIFETIME = timedelta(hours=6)


class S3Storage:
    def __init__(
        self,
        *,
        bucket: str,
        region: str,
        endpoint_url: str | None = None,
        public_base_url: str | None = None,
        private: bool = False,
        client: Any = None,
    ) -> None:
        self.bucket = bucket
        self._endpoint = endpoint_url
        self._region = region
        self._public_base = public_base_url
        self._private = private
        config = Config(
            signature_version="s3v4",
            s3={"addressing_style": "path" if endpoint_url else "auto"},
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
            max_pool_connections=POOL_SIZE,
            retries={"max_attempts": ATTEMPTS, "mode": "standard"},
            connect_timeout=CONNECT_TIMEOUT,
            read_timeout=READ_TIMEOUT,
        )
        self.client = client or boto3.client(
            "s3", region_name=region, endpoint_url=endpoint_url, config=config
        )
        # the readiness probe: same endpoint and credentials, one quick attempt
        self._probe = client or boto3.client(
            "s3", region_name=region, endpoint_url=endpoint_url, config=config.merge(PROBE)
        )
        self._limiter = anyio.CapacityLimiter(POOL_SIZE)

    async def _call(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        def run() -> Any:
            return fn(*args, **kwargs)

        try:
            return await anyio.to_thread.run_sync(run, limiter=self._limiter)
        except (BotoCoreError, ClientError) as exc:
            raise _failure(exc, "media storage did not accept the request") from exc

    async def put(self, key: str, source: IO[bytes], content_type: str) -> None:
        source.seek(0)
        await self._call(
            self.client.put_object,
            Bucket=self.bucket,
            Key=key,
            Body=source,
            ContentType=content_type,
            CacheControl="public, max-age=31536000, immutable",
        )

    async def head(self, key: str) -> StoredObject | None:
        def run() -> StoredObject | None:
            try:
                found = self.client.head_object(Bucket=self.bucket, Key=key)
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                    return None
                raise
            return StoredObject(
                key=key, size=int(found["ContentLength"]), content_type=found.get("ContentType")
            )

        try:
            return await anyio.to_thread.run_sync(run, limiter=self._limiter)
        except (BotoCoreError, ClientError) as exc:
            raise _failure(exc, "media storage did not answer") from exc

    async def download(self, key: str, dest: IO[bytes], max_bytes: int) -> int:
        def run() -> int:
            body = self.client.get_object(Bucket=self.bucket, Key=key)["Body"]
            total = 0
            try:
                while chunk := body.read(_CHUNK):
                    total += len(chunk)
                    if total > max_bytes:
                        raise PayloadTooLarge("the stored file is larger than allowed")
                    dest.write(chunk)
            finally:
                body.close()
            return total

        try:
            return await anyio.to_thread.run_sync(run, limiter=self._limiter)
        except (BotoCoreError, ClientError) as exc:
            raise _failure(exc, "could not read the object back") from exc

    async def delete(self, key: str) -> None:
        await self._call(self.client.delete_object, Bucket=self.bucket, Key=key)

    def public_url(self, key: str, request_base: str) -> str:
        if self._public_base:
            return f"{self._public_base}{key}"
        if self._private:
            # signing is local computation: no request leaves the process
            url: str = self.client.generate_presigned_url(
                "get_object",
                Params={"Bucket": self.bucket, "Key": key},
                ExpiresIn=int(PRESIGNED_GET_LIFETIME.total_seconds()),
            )
            return url
        if self._endpoint:
            return f"{self._endpoint.rstrip('/')}/{self.bucket}/{key}"
        return f"https://{self.bucket}.s3.{self._region}.amazonaws.com/{key}"

    async def presigned_post(
        self, key: str, content_type: str, max_bytes: int, expires_in: timedelta, request_base: str
    ) -> PresignedPost:
        expires_at = datetime.now(UTC) + expires_in
        post = await self._call(
            self.client.generate_presigned_post,
            Bucket=self.bucket,
            Key=key,
            Fields={"Content-Type": content_type},
            Conditions=[
                {"Content-Type": content_type},
                ["content-length-range", 1, max_bytes],
            ],
            ExpiresIn=int(expires_in.total_seconds()),
        )
        return PresignedPost(url=post["url"], fields=dict(post["fields"]), expires_at=expires_at)

    async def check(self) -> None:
        await self._call(self._probe.head_bucket, Bucket=self.bucket)


def _failure(exc: BotoCoreError | ClientError, message: str) -> StorageError:
    """Unreachable (connection refused, reset or timed out) or refused by a storage
    that answered: the first is worth retrying, the second usually is not."""
    if isinstance(exc, BotoConnectionError | HTTPClientError):
        return StorageUnreachable(message)
    return StorageError(message)
