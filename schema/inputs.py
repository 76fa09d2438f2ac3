"""Helpers for `…Input` and `…Patch` arguments: strawberry's UNSET (a field left
out) becomes the domain's UNSET; given values are converted; null stays null."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import strawberry

from cms.patch import UNSET
from schema.ids import decode_id_of

T = TypeVar("T")


def arg(description: str) -> Any:
    """`strawberry.argument(description=…)`, for `Annotated[...]` arguments."""
    return strawberry.argument(description=description)


def given(value: Any, convert: Callable[[Any], T] | None = None) -> Any:
    """UNSET when left out, None when null, else `convert(value)` (or the value)."""
    if value is strawberry.UNSET:
        return UNSET
    if value is None or convert is None:
        return value
    return convert(value)


def id_of(type_name: str, field: str) -> Callable[[str], int]:
    """A converter of a global ID naming a `type_name`, reporting errors on `field`."""
    return lambda value: decode_id_of(value, type_name, field)


def ids_of(type_name: str, field: str) -> Callable[[list[str]], list[int]]:
    return lambda values: [decode_id_of(v, type_name, f"{field}.{i}") for i, v in enumerate(values)]
