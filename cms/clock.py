"""Time, injectable: services ask a `Clock`, tests hand them a fixed or stepping one."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Protocol

# A time given without its offset is ambiguous (whose local time?): refused, not guessed.
NO_OFFSET = "give the time with its UTC offset, e.g. 2026-11-26T12:00:00Z"


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware, in UTC."""
        ...


class SystemClock:
    """The wall clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock that reads what it was set to; `advance` moves it (for tests)."""

    def __init__(self, at: datetime) -> None:
        self._at = at

    def now(self) -> datetime:
        return self._at

    def set(self, at: datetime) -> None:
        self._at = at

    def advance(self, **delta: float) -> None:
        from datetime import timedelta

        self._at += timedelta(**delta)
