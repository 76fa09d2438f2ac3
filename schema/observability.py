"""What each GraphQL operation did, for the metrics and the access log: its name,
its type, how long it took and the codes of its errors."""

from __future__ import annotations

import time
from collections.abc import Iterator

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

from cms.logs import OBSERVED_SCOPE_KEY
from schema.errors import operation_errors


def _codes(errors: list[GraphQLError]) -> list[str]:
    return [str((e.extensions or {}).get("code", "INTERNAL_SERVER_ERROR")) for e in errors]


class ObserveOperations(SchemaExtension):
    """Placed before `ErrorCodes`, so it sees the errors once they are coded."""

    def on_operation(self) -> Iterator[None]:
        started = time.perf_counter()
        raised: list[GraphQLError] = []
        try:
            yield
        except GraphQLError as error:  # a parse error, raised through the extensions
            raised.append(error)
            raise
        finally:
            self._observe(time.perf_counter() - started, raised)

    def _observe(self, seconds: float, raised: list[GraphQLError]) -> None:
        context = self.execution_context
        request = getattr(context.context, "request", None)
        if request is None:
            return
        scope = request.scope
        name = context.operation_name
        try:
            kind = context.operation_type.value
        except RuntimeError:  # the document did not parse, or names no operation
            kind = "invalid"
        errors = [*raised, *operation_errors(context)]
        observed = scope.get(OBSERVED_SCOPE_KEY)
        if observed is not None:
            observed.setdefault("operations", []).append(name or "anonymous")
        metrics = scope.get("state", {}).get("metrics")
        if metrics is not None and kind != "subscription":
            # a subscription's duration is its connection's: the websocket says it
            metrics.observe_operation(name, kind, seconds, _codes(errors))
