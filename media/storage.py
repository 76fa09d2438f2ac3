"""The storage interface, and what every driver shares: server-made keys.

Keys are generated here, never taken from a user: a date prefix, 128 random bits,
and the extension of the *sniffed* type, e.g. `2026/11/26/3q2+7…x.jpg`. No part of
an uploaded file's name is ever used as a path.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import PurePosixPath
from typing import IO, Protocol

_KEY = re.compile(r"^[0-9]{4}/[0-9]{2}/[0-9]{2}/[A-Za-z0-9_-]{22}(\.w[0-9]{1,5})?\.[a-z0-9]{2,5}$")


def new_key(now: datetime, extension: str) -> str:
    """A fresh key under today's date (UTC) with the given extension."""
    return f"{now:%Y/%m/%d}/{secrets.token_urlsafe(16)}.{extension}"


def rendition_key(key: str, width: int, extension: str = "webp") -> str:
    """Where the `width`-pixel rendition of `key` is stored: beside the original."""
    stem = str(PurePosixPath(key).with_suffix(""))
    return f"{stem}.w{width}.{extension}"


def is_valid_key(key: str) -> bool:
    """Only keys this module makes: no traversal, no user-chosen names."""
    return bool(_KEY.match(key))


@dataclass(frozen=True, slots=True)
class StoredObject:
    key: str
    size: int
    content_type: str | None


@dataclass(frozen=True, slots=True)
class PresignedPost:
    """A browser or phone POSTs the file straight to `url` with `fields` (a form),
    the file last; the policy inside pins key, type and size."""

    url: str
    fields: dict[str, str]
    expires_at: datetime


class Storage(Protocol):
    """What the CMS needs of a place to keep files."""

    async def put(self, key: str, source: IO[bytes], content_type: str) -> None:
        """Store `source` (read from its start) under `key`."""
        ...

    async def head(self, key: str) -> StoredObject | None:
        """Size and type of a stored object, or None when there is none."""
        ...

    async def download(self, key: str, dest: IO[bytes], max_bytes: int) -> int:
        """Copy the object into `dest`; refuses (PayloadTooLarge) past `max_bytes`."""
        ...

    async def delete(self, key: str) -> None:
        """Remove an object; removing a missing one is not an error."""
        ...

    def public_url(self, key: str, request_base: str) -> str:
        """The URL a reader fetches the object from."""
        ...

    async def presigned_post(
        self, key: str, content_type: str, max_bytes: int, expires_in: timedelta, request_base: str
    ) -> PresignedPost:
        """A direct upload form for exactly this key, type and size range."""
        ...

    async def check(self) -> None:
        """Raise StorageError unless the storage answers (readiness)."""
        ...
