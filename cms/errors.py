"""The domain's exceptions. Each carries the API error code the GraphQL layer reports."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class FieldError:
    """One problem with one input field."""

    field: str
    message: str


class CMSError(Exception):
    """Root of every error the domain raises on purpose; never raised itself."""

    code: str = "INTERNAL_SERVER_ERROR"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    @property
    def extensions(self) -> dict[str, object]:
        """The GraphQL `extensions` of this error, `code` included (graphql-core
        copies this attribute onto the error it reports)."""
        return {"code": self.code}


class BadUserInput(CMSError):
    """The input failed validation; `fields` lists every problem at once."""

    code = "BAD_USER_INPUT"

    def __init__(self, message: str, fields: Sequence[FieldError] = ()) -> None:
        super().__init__(message)
        self.fields = tuple(fields)

    @classmethod
    def for_field(cls, field: str, message: str) -> BadUserInput:
        return cls(message, [FieldError(field, message)])

    @property
    def extensions(self) -> dict[str, object]:
        return {
            "code": self.code,
            "fields": [{"field": f.field, "message": f.message} for f in self.fields],
        }


class NotFound(CMSError):
    code = "NOT_FOUND"


class Unauthenticated(CMSError):
    code = "UNAUTHENTICATED"


class TotpRequired(Unauthenticated):
    """The password was right; the account also needs its TOTP code."""

    @property
    def extensions(self) -> dict[str, object]:
        return {"code": self.code, "totpRequired": True}


class Forbidden(CMSError):
    code = "FORBIDDEN"


class Conflict(CMSError):
    code = "CONFLICT"


class RateLimited(CMSError):
    code = "RATE_LIMITED"

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after

    @property
    def extensions(self) -> dict[str, object]:
        return {"code": self.code, "retryAfter": self.retry_after}


class PayloadTooLarge(CMSError):
    code = "PAYLOAD_TOO_LARGE"


class UnsupportedMediaType(CMSError):
    code = "UNSUPPORTED_MEDIA_TYPE"


class StorageUnavailable(CMSError):
    """Media storage answered with a refusal (a missing bucket, denied access);
    nothing was saved. A misconfiguration rather than an outage, so the code stays
    INTERNAL_SERVER_ERROR but the message is shown. An unreachable storage is
    `ServiceUnavailable`."""

    code = "INTERNAL_SERVER_ERROR"


class ServiceUnavailable(CMSError):
    """A service the CMS depends on (the database, media storage) cannot be reached
    right now. Not the caller's fault and not a bug: the same request may succeed
    when it is retried."""

    code = "SERVICE_UNAVAILABLE"


# Every `extensions.code` an answer can carry: the contract's (API.md), and the
# ones the CMS adds where the contract is silent (README, "Errors").
CONTRACT_CODES = frozenset(
    {
        "UNAUTHENTICATED",
        "FORBIDDEN",
        "NOT_FOUND",
        "GRAPHQL_PARSE_FAILED",
        "GRAPHQL_VALIDATION_FAILED",
        "BAD_USER_INPUT",
        "CONFLICT",
        "RATE_LIMITED",
        "PAYLOAD_TOO_LARGE",
        "UNSUPPORTED_MEDIA_TYPE",
        "QUERY_TOO_COMPLEX",
        "PERSISTED_QUERY_NOT_FOUND",
        "INTERNAL_SERVER_ERROR",
    }
)
ADDED_CODES = frozenset({"BAD_REQUEST", "TIMEOUT", "SERVICE_UNAVAILABLE"})
ERROR_CODES = CONTRACT_CODES | ADDED_CODES
