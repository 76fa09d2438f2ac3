"""`…Patch` semantics: a field left out is unchanged; a field given as None is cleared."""

from __future__ import annotations

from enum import Enum
from typing import Final, Literal, TypeAlias, TypeVar


class _Unset(Enum):
    UNSET = "UNSET"

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return "UNSET"


UNSET: Final = _Unset.UNSET
T = TypeVar("T")
Maybe: TypeAlias = T | Literal[_Unset.UNSET]
