"""Keyset pagination: cursors carry the ordering key of the last row seen, signed,
so that page 500 costs what page 1 costs and a forged cursor is refused.

A list ordered by `(published_at DESC, id DESC)` continues after a cursor with
`published_at < k OR (published_at = k AND id < i)`, which the composite index
on `(published_at, id)` answers directly. OFFSET is never used.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from tortoise.expressions import Q

from cms.errors import BadUserInput
from cms.signing import Signer

MAX_PAGE_SIZE = 100

T = TypeVar("T")


def check_first(first: int | None) -> int:
    """`first` is 1 to 100; anything else (null included) is the caller's mistake."""
    if first is None or not 1 <= first <= MAX_PAGE_SIZE:
        raise BadUserInput.for_field("first", f"first must be between 1 and {MAX_PAGE_SIZE}")
    return first


class CursorCodec:
    """Signs and checks cursors with a key derived from the secret key."""

    def __init__(self, secret_key: str) -> None:
        self._signer = Signer(secret_key, "cms-cursor-v1", signature_bytes=12)

    def encode(self, kind: str, key: Sequence[str | int | float]) -> str:
        """A cursor for list `kind` positioned at ordering key `key`."""
        return self._signer.sign(json.dumps([kind, *key], separators=(",", ":")).encode())

    def decode(self, kind: str, cursor: str, field: str = "after") -> list[str | int | float]:
        """The ordering key in `cursor`; `BAD_USER_INPUT` unless it is ours, intact,
        and made for this list."""
        invalid = BadUserInput.for_field(field, "invalid cursor")
        payload = self._signer.unsign(cursor, max_length=512)
        if payload is None:
            raise invalid
        try:
            decoded = json.loads(payload)
        except ValueError:
            raise invalid from None
        if not isinstance(decoded, list) or not decoded or decoded[0] != kind:
            raise invalid
        return decoded[1:]


@dataclass(frozen=True, slots=True)
class TimeKey:
    """The ordering key `(published_at DESC, id DESC)` of content lists."""

    at: datetime
    id: int

    def to_cursor_key(self) -> list[str | int]:
        return [self.at.isoformat(), self.id]

    @classmethod
    def from_cursor_key(cls, key: Sequence[str | int | float], field: str = "after") -> TimeKey:
        try:
            at, id_ = key
            if not isinstance(at, str) or not isinstance(id_, int):
                raise TypeError
            parsed = datetime.fromisoformat(at)
        except (TypeError, ValueError):
            raise BadUserInput.for_field(field, "invalid cursor") from None
        if parsed.tzinfo is None:
            raise BadUserInput.for_field(field, "invalid cursor")
        return cls(parsed, id_)

    def after_q(self, column: str = "published_at", prefix: str = "") -> Q:
        """Rows that come after this key in descending order."""
        before: dict[str, Any] = {f"{prefix}{column}__lt": self.at}
        tied: dict[str, Any] = {f"{prefix}{column}": self.at, f"{prefix}id__lt": self.id}
        return Q(**before) | Q(**tied)


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of rows and whether more follow."""

    rows: list[T]
    has_next: bool
    has_previous: bool


def page_of(rows: list[T], first: int, *, has_previous: bool) -> Page[T]:
    """Trim a `first + 1` fetch to a page; the extra row only tells that more exist."""
    return Page(rows=rows[:first], has_next=len(rows) > first, has_previous=has_previous)
