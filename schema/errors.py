"""Every error leaves with `extensions.code`; anything unexpected is masked.

Domain errors (`cms.errors.CMSError`) already carry their code: graphql-core copies
their `extensions`. Parse and validation errors get theirs here. Anything else is
a bug: the client sees `INTERNAL_SERVER_ERROR` and a generic message, the log gets
the traceback.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator

from graphql import GraphQLError, GraphQLSyntaxError
from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionContext
from tortoise.exceptions import ValidationError as TortoiseValidationError

from cms.errors import CMSError
from cms.http import REQUEST_ID_SCOPE_KEY

log = logging.getLogger("cms.graphql")

INTERNAL_MESSAGE = "Internal server error."


_SUGGESTION = re.compile(r"\s*Did you mean [^?]*\?")


def coded(
    error: GraphQLError, *, production: bool = False, request_id: str | None = None
) -> GraphQLError:
    if isinstance(error.original_error, TortoiseValidationError):
        # the ORM refuses a value longer than its column, even in a filter: that
        # is the caller's input (a 1000-character slug), not our bug
        return GraphQLError(
            "a value is longer than allowed",
            nodes=error.nodes,
            path=error.path,
            extensions={"code": "BAD_USER_INPUT", "fields": []},
        )
    return _coded(error, production=production, request_id=request_id)


def _coded(
    error: GraphQLError, *, production: bool = False, request_id: str | None = None
) -> GraphQLError:
    """The error as the client may see it, with its code. In production, schema
    suggestions ("Did you mean…") are removed: they map the schema for a stranger."""
    if isinstance(error.original_error, CMSError):
        return error
    if isinstance(error, GraphQLSyntaxError):
        return _with_code(error, "GRAPHQL_PARSE_FAILED")
    if error.original_error is None:
        if error.extensions and "code" in error.extensions:
            return error
        # No path and no cause: the document (or its variables) failed validation.
        if production:
            error.message = _SUGGESTION.sub("", error.message)
        return _with_code(error, "GRAPHQL_VALIDATION_FAILED")
    log.error(
        "unexpected error in %s (request %s)",
        ".".join(str(p) for p in error.path or ()),
        request_id,
        exc_info=error.original_error,
    )
    extensions: dict[str, object] = {"code": "INTERNAL_SERVER_ERROR"}
    if request_id is not None:
        extensions["requestId"] = request_id  # quote it to the operators: the log has the rest
    return GraphQLError(INTERNAL_MESSAGE, nodes=error.nodes, path=error.path, extensions=extensions)


def _with_code(error: GraphQLError, code: str) -> GraphQLError:
    error.extensions = {**(error.extensions or {}), "code": code}
    return error


def operation_errors(context: ExecutionContext) -> list[GraphQLError]:
    """Every error of an operation, once: strawberry keeps execution errors both in
    `pre_execution_errors` and in the result."""
    result_errors = (context.result.errors or []) if context.result is not None else []
    unique = {id(e): e for e in (*(context.pre_execution_errors or ()), *result_errors)}
    return list(unique.values())


class ErrorCodes(SchemaExtension):
    """Gives every error of a result its code, masking unexpected ones."""

    def __init__(self, *, production: bool = False) -> None:
        self.production = production

    def _code(self, error: GraphQLError) -> GraphQLError:
        context = getattr(self.execution_context, "context", None)
        request = getattr(context, "request", None)
        request_id = request.scope.get(REQUEST_ID_SCOPE_KEY) if request is not None else None
        return coded(error, production=self.production, request_id=request_id)

    def on_operation(self) -> Iterator[None]:
        try:
            yield
        except GraphQLError as error:
            # raised through the extensions (the parser cache re-raises a cached
            # syntax error from its hook): coded in place, then on its way
            self._code(error)
            raise
        context = self.execution_context
        # validation errors are coded in place (never masked); execution errors
        # are replaced by their coded (maybe masked) form, each logged once
        coded_errors = {id(e): self._code(e) for e in operation_errors(context)}
        result = context.result
        if result is not None and result.errors:
            result.errors = [coded_errors[id(e)] for e in result.errors]
