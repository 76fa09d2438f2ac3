"""Global IDs as the API shows them ("Type:id", base64), for code outside the
GraphQL layer (events, webhooks, feeds). Same format as strawberry's relay IDs."""

from __future__ import annotations

import base64


def global_id(type_name: str, row_id: int) -> str:
    return base64.b64encode(f"{type_name}:{row_id}".encode()).decode()
