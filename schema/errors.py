"""Every error leaves with `extensions.code`; anything unexpected is masked.

Domain errors (`cms.errors.CMSError`) already carry their code: graphql-core copies
their `extensions`. Parse and validation errors get theirs here. Anything else is
a bug: the client sees `INTERNAL_SERVER_ERROR` and a generic message, the log gets
the traceback.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

from graphql import GraphQLError, GraphQLSyntaxError
from strawberry.extensions import SchemaExtension

from cms.errors import CMSError

log = logging.getLogger("cms.graphql")

INTERNAL_MESSAGE = "Internal server error."


def coded(error: GraphQLError) -> GraphQLError:
    """The error as the client may see it, with its code."""
    if isinstance(error.original_error, CMSError):
        return error
    if isinstance(error, GraphQLSyntaxError):
        return _with_code(error, "GRAPHQL_PARSE_FAILED")
    if error.original_error is None:
        if error.extensions and "code" in error.extensions:
            return error
        # No path and no cause: the document (or its variables) failed validation.
        return _with_code(error, "GRAPHQL_VALIDATION_FAILED")
    log.error(
        "unexpected error in %s",
        ".".join(str(p) for p in error.path or ()),
        exc_info=error.original_error,
    )
    return GraphQLError(
        INTERNAL_MESSAGE,
        nodes=error.nodes,
        path=error.path,
        extensions={"code": "INTERNAL_SERVER_ERROR"},
    )


def _with_code(error: GraphQLError, code: str) -> GraphQLError:
    error.extensions = {**(error.extensions or {}), "code": code}
    return error


class ErrorCodes(SchemaExtension):
    """Gives every error of a result its code, masking unexpected ones."""

    def on_operation(self) -> Iterator[None]:
        try:
            yield
        except GraphQLError as error:
            # raised through the extensions (the parser cache re-raises a cached
            # syntax error from its hook): coded in place, then on its way
            coded(error)
            raise
        context = self.execution_context
        for error in context.pre_execution_errors or ():
            coded(error)  # validation errors: coded in place, never masked
        result = context.result
        if result is not None and result.errors:
            result.errors = [coded(e) for e in result.errors]
