"""Documents and helpers shared by the limit tests (one file per limit)."""

from __future__ import annotations


def nested(depth: int) -> str:
    """`articles > edges > node > authors > articles > …` exactly `depth` fields deep."""
    chain = [
        "articles(first: 1)",
        "edges",
        "node",
        "authors",
        "articles(first: 1)",
        "edges",
        "node",
        "authors",
        "articles(first: 1)",
        "edges",
        "node",
        "authors",
        "articles(first: 1)",
        "edges",
        "node",
    ]
    fields = chain[: depth - 1]
    document = "id" if fields[-1] in ("node", "authors") else "__typename"
    for field in reversed(fields):
        document = f"{field} {{ {document} }}"
    return "{ " + document + " }"


def code(result: dict) -> str | None:  # type: ignore[type-arg]
    errors = result.get("errors")
    return errors[0]["extensions"]["code"] if errors else None
