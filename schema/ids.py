"""Relay global IDs: opaque to clients, decoded here into (type, row id)."""

from __future__ import annotations

from strawberry.relay import GlobalID

from cms.errors import BadUserInput


def decode_global_id(value: str, field: str = "id") -> tuple[str, int]:
    """The GraphQL type name and the row id inside a global ID, or `BAD_USER_INPUT`."""
    try:
        gid = GlobalID.from_id(value)
        row_id = int(gid.node_id)
    except ValueError:
        raise BadUserInput.for_field(field, "not a valid ID") from None
    if row_id < 1 or row_id > 2**31 - 1:
        raise BadUserInput.for_field(field, "not a valid ID")
    return gid.type_name, row_id


def decode_id_of(value: str, type_name: str, field: str = "id") -> int:
    """The row id inside a global ID that must name a `type_name`."""
    found, row_id = decode_global_id(value, field)
    if found != type_name:
        raise BadUserInput.for_field(field, f"expected the ID of a {type_name}")
    return row_id
