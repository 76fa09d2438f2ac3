"""The few statements the ORM cannot express (window functions), written once for
both dialects."""

from __future__ import annotations

from typing import Any

from tortoise import connections


class Params:
    """Collects parameter values and hands out their markers in order:
    `?` on SQLite, `$n` on PostgreSQL. Values are never spliced into SQL."""

    def __init__(self) -> None:
        self.values: list[Any] = []
        self._numbered = connections.get("default").capabilities.dialect == "postgres"

    def __call__(self, value: Any) -> str:
        self.values.append(value)
        return f"${len(self.values)}" if self._numbered else "?"

    def many(self, values: list[Any]) -> str:
        """Markers for an `IN (...)` list."""
        return ", ".join(self(v) for v in values)


async def fetch_all(sql: str, params: Params) -> list[dict[str, Any]]:
    return await connections.get("default").execute_query_dict(sql, params.values)
