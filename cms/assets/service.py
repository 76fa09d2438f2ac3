"""Media assets: uploads through the API and direct to storage, their checks,
renditions and metadata, and deletion.

Every upload is streamed to a temporary file on disk while it is hashed and
counted (the size limit holds before the whole file is anywhere), sniffed from its bytes (the
name and declared type are never trusted), opened with Pillow under a pixel limit
if it is an image, and only then stored under a server-made key. Stored objects
and database rows never outlive each other: a failed store writes no row, and a
failed row removes what was stored. An object that cannot be removed at once
(storage is down) is recorded as garbage, which the background sweep deletes
when storage answers again.
"""

from __future__ import annotations

import hashlib
import logging
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import IO, Any, Protocol

import anyio.to_thread
from tortoise.exceptions import BaseORMException
from tortoise.expressions import F
from tortoise.transactions import in_transaction

from cms.accounts.actor import Actor, Scope
from cms.accounts.models import Role
from cms.accounts.permissions import require, role_at_least
from cms.articles.models import Article
from cms.assets.models import AssetState, MediaAsset, StorageGarbage
from cms.authors.models import Author
from cms.delivery.changes import record_event
from cms.editing import Problems
from cms.errors import (
    BadUserInput,
    CMSError,
    Conflict,
    Forbidden,
    NotFound,
    PayloadTooLarge,
    ServiceUnavailable,
    StorageUnavailable,
    UnsupportedMediaType,
)
from cms.patch import UNSET, Maybe
from media import errors as media_errors
from media.images import ImageInfo, inspect_image, make_renditions
from media.sniff import ALLOWED_TYPES, EXTENSIONS, sniff
from media.storage import Storage, new_key, rendition_key

log = logging.getLogger("cms.media")

CHUNK = 256 * 1024
HEAD_BYTES = 64
MAX_FILENAME = 255
DIRECT_UPLOAD_LIFETIME = timedelta(minutes=10)
# a direct upload not completed within this long is dropped (object and row)
PENDING_LIFETIME = timedelta(days=1)
SWEEP_BATCH = 100
MAX_SWEEP_BACKOFF = timedelta(days=1)


class AsyncReader(Protocol):
    async def read(self, size: int = -1) -> bytes: ...


@dataclass(frozen=True, slots=True)
class FocalPoint:
    x: float
    y: float


@dataclass(frozen=True, slots=True)
class MediaFields:
    alt_text: Maybe[str | None] = UNSET
    caption: Maybe[str | None] = UNSET
    credit: Maybe[str | None] = UNSET
    focal_point: Maybe[FocalPoint | None] = UNSET


def _checked(fields: MediaFields) -> dict[str, Any]:
    problems = Problems()
    values: dict[str, Any] = {}
    if fields.alt_text is not UNSET:
        values["alt_text"] = problems.text("altText", fields.alt_text, max_length=1000) or None
    if fields.caption is not UNSET:
        values["caption"] = problems.text("caption", fields.caption, max_length=2000) or None
    if fields.credit is not UNSET:
        values["credit"] = problems.text("credit", fields.credit, max_length=300) or None
    if fields.focal_point is not UNSET:
        point = fields.focal_point
        if point is not None and not (0 <= point.x <= 1 and 0 <= point.y <= 1):
            problems.add("focalPoint", "x and y must lie between 0 and 1")
        values["focal_x"] = point.x if point else None
        values["focal_y"] = point.y if point else None
    problems.raise_if_any("invalid media details")
    return values


def _filename(name: str | None) -> str:
    """The uploaded name, for display only: its last path part, trimmed."""
    base = (name or "upload").replace("\\", "/").rsplit("/", 1)[-1].strip() or "upload"
    return base[:MAX_FILENAME]


@dataclass
class _Checked:
    content_type: str
    size: int
    checksum: str
    image: ImageInfo | None


async def _spool(source: AsyncReader, out: IO[bytes], max_bytes: int) -> tuple[int, str]:
    digest = hashlib.sha256()
    size = 0
    while chunk := await source.read(CHUNK):
        size += len(chunk)
        if size > max_bytes:
            raise PayloadTooLarge(f"the file is larger than the limit of {max_bytes} bytes")
        digest.update(chunk)
        await anyio.to_thread.run_sync(out.write, chunk)
    if size == 0:
        raise BadUserInput.for_field("file", "the file is empty")
    return size, digest.hexdigest()


async def _inspect(spooled: IO[bytes], size: int, checksum: str) -> _Checked:
    """Sniff and, for images, measure the spooled file."""
    spooled.seek(0)
    head = spooled.read(HEAD_BYTES)
    try:
        content_type = sniff(head)
    except media_errors.UnsupportedMediaType as exc:
        raise UnsupportedMediaType(
            "this kind of file is not accepted; upload JPEG, PNG, WebP, GIF, AVIF, MP4 or PDF"
        ) from exc
    image = None
    if content_type.startswith("image/"):
        spooled.flush()
        try:
            image = await anyio.to_thread.run_sync(inspect_image, spooled.name)
        except media_errors.ImageError as exc:
            raise BadUserInput.for_field("file", str(exc)) from exc
    return _Checked(content_type=content_type, size=size, checksum=checksum, image=image)


async def _store_with_renditions(
    storage: Storage, key: str, spooled: IO[bytes], checked: _Checked, now: datetime
) -> tuple[list[str], list[dict[str, Any]]]:
    """Stores the original and its renditions; on any failure removes what it stored."""
    stored: list[str] = []
    renditions: list[dict[str, Any]] = []
    try:
        await storage.put(key, spooled, checked.content_type)
        stored.append(key)
        if checked.image is not None:
            await _put_renditions(storage, key, spooled.name, stored, renditions)
    except media_errors.MediaError as exc:
        await _remove(storage, stored, now)
        raise _storage_failed(exc, "media storage failed; nothing was saved") from exc
    except BaseException:
        await _remove(storage, stored, now)
        raise
    return stored, renditions


async def _put_renditions(
    storage: Storage, key: str, path: str, stored: list[str], renditions: list[dict[str, Any]]
) -> None:
    """Makes and stores the WebP renditions of the image at `path`, recording each
    stored key in `stored` (for clean-up) and each rendition in `renditions`."""
    made = await anyio.to_thread.run_sync(make_renditions, path)
    for rendition in made:
        rkey = rendition_key(key, rendition.width)
        await storage.put(rkey, _bytes_io(rendition.data), "image/webp")
        stored.append(rkey)
        renditions.append(
            {"width": rendition.width, "height": rendition.height, "format": "webp", "key": rkey}
        )


def _storage_failed(exc: media_errors.MediaError, message: str) -> CMSError:
    """The domain's error for a storage failure: SERVICE_UNAVAILABLE while storage
    cannot be reached (the same request may work when retried), otherwise a server
    error whose message is shown."""
    if isinstance(exc, media_errors.StorageUnreachable):
        return ServiceUnavailable(message)
    return StorageUnavailable(message)


def _bytes_io(data: bytes) -> IO[bytes]:
    import io

    return io.BytesIO(data)


async def _remove(storage: Storage, keys: list[str], now: datetime) -> None:
    """Best effort: keys that cannot be removed now are recorded as garbage for the
    sweep, but the caller's error (the real one) is what propagates."""
    failed = [key for key in keys if not await _deleted(storage, key)]
    if not failed:
        return
    try:
        await _bury(failed, now)
    except (BaseORMException, ServiceUnavailable):
        # storage and database both down: only an operator can clean up now
        log.error("stored objects left behind, delete them by hand: %s", failed)


async def _deleted(storage: Storage, key: str) -> bool:
    """Deletes one stored object; False when storage refuses now."""
    try:
        await storage.delete(key)
    except media_errors.MediaError:
        return False
    return True


async def _bury(keys: list[str], now: datetime) -> None:
    """Records objects to delete (in the caller's transaction, if any)."""
    await StorageGarbage.bulk_create(
        [StorageGarbage(key=key, created_at=now, next_attempt_at=now) for key in keys],
        ignore_conflicts=True,
    )


async def _collect(storage: Storage, keys: list[str]) -> None:
    """Deletes buried objects now; what storage refuses stays for the sweep."""
    for key in keys:
        if await _deleted(storage, key):
            await StorageGarbage.filter(key=key).delete()
        else:
            log.warning("media storage could not delete %s now; the sweep will", key)


async def _with_rollback(
    storage: Storage, keys: list[str], now: datetime, write: Callable[[], Awaitable[MediaAsset]]
) -> MediaAsset:
    """Runs the database write; if it fails, the stored objects go too."""
    try:
        async with in_transaction():
            return await write()
    except BaseException:
        await _remove(storage, keys, now)
        raise


async def sweep_storage(*, storage: Storage, now: datetime) -> int:
    """Background work: drops direct uploads never completed, and deletes buried
    objects whose time has come (backing off while storage refuses). Safe on
    several instances at once: rows are claimed by conditional deletes and
    deleting an object twice is harmless. Returns how many objects went."""
    stale = await MediaAsset.filter(
        state=AssetState.PENDING, created_at__lt=now - PENDING_LIFETIME
    ).limit(SWEEP_BATCH)
    for asset in stale:
        async with in_transaction():
            if await MediaAsset.filter(id=asset.id, state=AssetState.PENDING).delete():
                await _bury([asset.key], now)
    done = 0
    due = (
        await StorageGarbage.filter(next_attempt_at__lte=now)
        .order_by("next_attempt_at", "id")
        .limit(SWEEP_BATCH)
    )
    for garbage in due:
        if await _deleted(storage, garbage.key):
            await StorageGarbage.filter(id=garbage.id).delete()
            done += 1
            continue
        wait = min(timedelta(minutes=2**garbage.attempts), MAX_SWEEP_BACKOFF)
        await StorageGarbage.filter(id=garbage.id).update(
            attempts=garbage.attempts + 1, next_attempt_at=now + wait
        )
    return done


async def upload_media(
    *,
    actor: Actor,
    source: AsyncReader,
    filename: str | None,
    fields: MediaFields,
    storage: Storage,
    max_bytes: int,
    now: datetime,
) -> MediaAsset:
    """An upload through the API, checked, stored, measured and recorded."""
    require(actor, scope=Scope.MEDIA_WRITE)
    values = _checked(fields)
    with tempfile.NamedTemporaryFile(prefix="cms-upload-") as spooled:
        size, checksum = await _spool(source, spooled, max_bytes)
        checked = await _inspect(spooled, size, checksum)
        key = new_key(now, EXTENSIONS[checked.content_type])
        stored, renditions = await _store_with_renditions(storage, key, spooled, checked, now)

    async def write() -> MediaAsset:
        asset = await MediaAsset.create(
            key=key,
            filename=_filename(filename),
            content_type=checked.content_type,
            byte_size=size,
            width=checked.image.width if checked.image else None,
            height=checked.image.height if checked.image else None,
            checksum=checksum,
            renditions=renditions,
            state=AssetState.READY,
            created_by_id=actor.user_id,
            **values,
        )
        await _announce("media.created", asset, now)
        return asset

    return await _with_rollback(storage, stored, now, write)


async def create_media_upload(
    *,
    actor: Actor,
    filename: str,
    content_type: str,
    byte_size: int,
    storage: Storage,
    max_bytes: int,
    now: datetime,
    request_base: str,
) -> tuple[MediaAsset, Any]:
    """A PENDING asset and a presigned POST pinned to its key, exact type and size."""
    require(actor, scope=Scope.MEDIA_WRITE)
    problems = Problems()
    if content_type not in ALLOWED_TYPES:
        problems.add("contentType", "not an accepted type")
    if not 1 <= byte_size <= max_bytes:
        problems.add("byteSize", f"must be 1 to {max_bytes} bytes")
    problems.raise_if_any("invalid upload request")
    asset = await MediaAsset.create(
        key=new_key(now, EXTENSIONS[content_type]),
        filename=_filename(filename),
        content_type=content_type,
        byte_size=byte_size,
        checksum="",
        state=AssetState.PENDING,
        created_by_id=actor.user_id,
    )
    post = await storage.presigned_post(
        asset.key, content_type, byte_size, DIRECT_UPLOAD_LIFETIME, request_base
    )
    return asset, post


async def complete_media_upload(
    *, actor: Actor, asset_id: int, storage: Storage, max_bytes: int, now: datetime
) -> MediaAsset:
    """Checks that a direct upload really arrived and is what it claimed to be, then
    measures it; anything else deletes the object and the pending asset."""
    require(actor, scope=Scope.MEDIA_WRITE)
    asset = await MediaAsset.filter(id=asset_id).first()
    if asset is None or (
        asset.created_by_id != actor.user_id and not role_at_least(actor, Role.EDITOR)  # type: ignore[attr-defined]
    ):
        raise NotFound("no such media asset")
    if asset.state == AssetState.READY:
        return asset
    try:
        found = await storage.head(asset.key)
    except media_errors.MediaError as exc:
        raise _storage_failed(exc, "media storage did not answer; try again") from exc
    if found is None:
        raise BadUserInput.for_field("id", "the file has not arrived in storage yet")

    async def reject(error: Exception) -> None:
        await _remove(storage, [asset.key], now)
        await MediaAsset.filter(id=asset.id).delete()
        raise error

    if found.size > min(asset.byte_size, max_bytes):
        await reject(PayloadTooLarge("the stored file is larger than announced"))
    with tempfile.NamedTemporaryFile(prefix="cms-upload-") as spooled:
        try:
            await storage.download(asset.key, spooled, max_bytes)
        except media_errors.PayloadTooLarge as exc:
            await reject(PayloadTooLarge(str(exc)))
        except media_errors.MediaError as exc:
            raise _storage_failed(exc, "could not read the upload back; try again") from exc
        spooled.seek(0)
        digest = hashlib.sha256()
        while chunk := spooled.read(CHUNK):
            digest.update(chunk)
        try:
            checked = await _inspect(spooled, found.size, digest.hexdigest())
        except (UnsupportedMediaType, BadUserInput) as exc:
            await reject(exc)
            raise  # unreachable: reject raises
        if checked.content_type != asset.content_type:
            await reject(
                UnsupportedMediaType("the file's content does not match its declared type")
            )
        renditions: list[dict[str, Any]] = []
        stored: list[str] = []
        if checked.image is not None:
            try:
                await _put_renditions(storage, asset.key, spooled.name, stored, renditions)
            except media_errors.MediaError as exc:
                await _remove(storage, stored, now)
                raise _storage_failed(exc, "media storage failed; try again") from exc

    async def write() -> MediaAsset:
        completed = await MediaAsset.filter(id=asset.id, state=AssetState.PENDING).update(
            state=AssetState.READY,
            byte_size=checked.size,
            checksum=checked.checksum,
            width=checked.image.width if checked.image else None,
            height=checked.image.height if checked.image else None,
            renditions=renditions,
        )
        if not completed:  # swept meanwhile (abandoned for a day), or completed twice
            raise NotFound("no such pending upload")
        ready = await MediaAsset.get(id=asset.id)
        await _announce("media.created", ready, now)
        return ready

    return await _with_rollback(storage, stored, now, write)


async def _announce(event: str, asset: MediaAsset, now: datetime) -> None:
    await record_event(
        event, "MediaAsset", asset.id, now, key=asset.key, contentType=asset.content_type
    )


async def update_media_asset(
    *, actor: Actor, asset_id: int, fields: MediaFields, now: datetime
) -> MediaAsset:
    require(actor, scope=Scope.MEDIA_WRITE)
    values = _checked(fields)
    async with in_transaction():
        asset = await _editable(actor, asset_id)
        if values:
            await MediaAsset.filter(id=asset.id).update(version=F("version") + 1, **values)
            await _announce("media.updated", await MediaAsset.get(id=asset.id), now)
    return await MediaAsset.get(id=asset_id)


async def _editable(actor: Actor, asset_id: int) -> MediaAsset:
    asset = await MediaAsset.filter(id=asset_id).select_for_update().first()
    if asset is None:
        raise NotFound("no such media asset")
    if asset.created_by_id != actor.user_id and not role_at_least(actor, Role.EDITOR):  # type: ignore[attr-defined]
        raise Forbidden("you may change only your own uploads")
    return asset


async def delete_media_asset(
    *, actor: Actor, asset_id: int, storage: Storage, now: datetime
) -> bool:
    """Removes the asset, its object and renditions; refused while content uses it."""
    require(actor, scope=Scope.MEDIA_WRITE)
    async with in_transaction():
        asset = await _editable(actor, asset_id)
        covers = await Article.filter(cover_image_id=asset.id, deleted_at__isnull=True).count()
        avatars = await Author.filter(avatar_id=asset.id, deleted_at__isnull=True).count()
        if covers or avatars:
            raise Conflict(
                f"the asset is in use ({covers} cover image(s), {avatars} avatar(s)); "
                "detach it first"
            )
        keys = [asset.key, *(r["key"] for r in asset.renditions)]
        await MediaAsset.filter(id=asset.id).delete()
        await record_event("media.deleted", "MediaAsset", asset.id, now)
        # the row and the promise to delete its objects commit together
        await _bury(keys, now)
    # then the objects; whatever storage refuses now, the sweep deletes later
    await _collect(storage, keys)
    return True
