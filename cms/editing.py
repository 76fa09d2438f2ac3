"""What every editing service shares: collecting input problems, checked URLs and
languages, unique slugs, and version-checked updates."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit

import langcodes
from tortoise.exceptions import IntegrityError
from tortoise.expressions import F
from tortoise.models import Model
from tortoise.transactions import in_transaction

from cms.errors import BadUserInput, Conflict, FieldError, NotFound
from cms.slugs import slugify_title, with_suffix

M = TypeVar("M", bound=Model)
T = TypeVar("T")

MAX_URL = 2000
SLUG_ATTEMPTS = 20


class Problems:
    """Collects every problem with an input, so the caller hears of all at once."""

    def __init__(self) -> None:
        self.fields: list[FieldError] = []

    def add(self, field: str, message: str) -> None:
        self.fields.append(FieldError(field, message))

    def text(
        self, field: str, value: str | None, *, max_length: int, required: bool = False
    ) -> str | None:
        """A trimmed text within `max_length` characters (None stays None)."""
        if value is None:
            if required:
                self.add(field, "is required")
            return None
        value = value.strip()
        if required and not value:
            self.add(field, "must not be empty")
        elif len(value) > max_length:
            self.add(field, f"must be at most {max_length} characters")
        return value

    def url(self, field: str, value: str | None) -> str | None:
        """An absolute http(s) URL (None stays None)."""
        if value is None:
            return None
        value = value.strip()
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname or len(value) > MAX_URL:
            self.add(field, "must be an http:// or https:// URL")
        return value

    def language(self, field: str, value: str) -> str:
        """A valid BCP 47 tag, in its standard form ("en-GB", "uk")."""
        if not value or len(value) > 35 or not langcodes.tag_is_valid(value):
            self.add(field, "must be a BCP 47 language tag such as en or uk")
            return value
        return langcodes.standardize_tag(value)

    def raise_if_any(self, message: str = "invalid input") -> None:
        if self.fields:
            raise BadUserInput(message, self.fields)


async def get_live(model: type[M], row_id: int, name: str, *, lock: bool = False) -> M:
    """The row, unless missing or deleted: NOT_FOUND otherwise. `lock` takes a row
    lock (FOR UPDATE on PostgreSQL) for the rest of the transaction."""
    query = model.filter(id=row_id, deleted_at__isnull=True)
    if lock:
        query = query.select_for_update()
    row = await query.first()
    if row is None:
        raise NotFound(f"no such {name}")
    return row


async def save_versioned(model: type[Model], row_id: int, version: int, **values: Any) -> None:
    """A conditional UPDATE: applies only while `version` is still the current one,
    and moves it on by one. Two concurrent saves of the same version cannot both win."""
    updated = await model.filter(id=row_id, version=version, deleted_at__isnull=True).update(
        version=F("version") + 1, **values
    )
    if updated == 0:
        raise Conflict(
            f"version {version} is not the current one; reload and apply your change again"
        )


async def bump_version(model: type[Model], row_id: int, **values: Any) -> None:
    """Every successful write moves `version` on, even one that names no version."""
    await model.filter(id=row_id).update(version=F("version") + 1, **values)


async def with_unique_slug(
    model: type[Model],
    *,
    explicit: str | None,
    source: str,
    create: Callable[[str], Awaitable[T]],
    max_length: int = 80,
) -> T:
    """Runs `create(slug)` with a free slug. An explicit slug that is taken is a
    CONFLICT; a generated one takes the first free suffix, retrying when a
    concurrent writer wins the race for it."""
    if explicit is not None:
        slug = slugify_title(explicit, max_length)
        if slug != explicit:
            raise BadUserInput.for_field(
                "slug", "use lower-case ASCII letters, digits and single hyphens"
            )
        if await model.filter(slug=slug).exists():
            raise Conflict(f"the slug {slug!r} is taken")
        try:
            async with in_transaction():
                return await create(slug)
        except IntegrityError:
            raise Conflict(f"the slug {slug!r} is taken") from None
    base = slugify_title(source, max_length)
    taken: set[str] = {
        str(slug)
        for slug in await model.filter(slug__startswith=base).values_list("slug", flat=True)
    }
    n = 1
    for _ in range(SLUG_ATTEMPTS):
        candidate = base if n == 1 else with_suffix(base, n, max_length)
        n += 1
        if candidate in taken:
            continue
        try:
            async with in_transaction():  # a savepoint: a lost race rolls back only this
                return await create(candidate)
        except IntegrityError:
            taken.add(candidate)
    raise Conflict("could not find a free slug; give one explicitly")
