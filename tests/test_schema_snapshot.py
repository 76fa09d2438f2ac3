"""`schema/schema.graphql` is exactly what the code generates."""

from __future__ import annotations

from pathlib import Path

from schema import build_schema

SNAPSHOT = Path(__file__).resolve().parent.parent / "schema" / "schema.graphql"


def test_checked_in_schema_matches_the_code() -> None:
    """Run `make schema` (or `cms export-schema > schema/schema.graphql`) when this fails."""
    assert SNAPSHOT.read_text() == build_schema().as_str() + "\n"


def test_every_type_field_and_argument_is_described() -> None:
    """The schema documents the API: nothing of ours goes without a description."""
    schema = build_schema()._schema
    missing = []
    for name, gql_type in schema.type_map.items():
        if name.startswith("__") or name in {"String", "Int", "Float", "Boolean", "ID"}:
            continue
        if name not in {"Query", "Mutation", "Subscription"} and not gql_type.description:
            missing.append(name)
        for field_name, field in getattr(gql_type, "fields", {}).items():
            if name == "Node" or field_name == "id":
                continue  # the Relay interface's own id is documented by strawberry
            if not field.description:
                missing.append(f"{name}.{field_name}")
            for arg_name, arg in getattr(field, "args", {}).items():
                if not arg.description:
                    missing.append(f"{name}.{field_name}({arg_name})")
    assert missing == []
