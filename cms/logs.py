"""Logging: structured (JSON) records that never carry secrets.

Tortoise logs every statement with its parameter values at DEBUG: password
hashes, token hashes and TOTP secrets among them. The filter keeps the statement
(useful, and what the query-count tests count) and drops the values. aiosqlite
logs each call, values included, at DEBUG too: those records are dropped.
"""

from __future__ import annotations

import logging
import logging.config
from contextvars import ContextVar
from typing import Any

from pythonjsonlogger.core import RESERVED_ATTRS
from starlette.types import Scope

SQL_LOGGER = "tortoise.db_client"
DRIVER_LOGGERS = ("aiosqlite",)


class RedactSQLParameters(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and len(record.args) == 2:
            record.args = (record.args[0], "[parameters redacted]")
        return True


class DropDebug(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno > logging.DEBUG


def install_redaction() -> None:
    """Idempotent: one filter per logger, however many apps are built."""
    _add_once(logging.getLogger(SQL_LOGGER), RedactSQLParameters)
    for name in DRIVER_LOGGERS:
        _add_once(logging.getLogger(name), DropDebug)


def _add_once(logger: logging.Logger, kind: type[logging.Filter]) -> None:
    if not any(isinstance(f, kind) for f in logger.filters):
        logger.addFilter(kind())


# --- structured logs ------------------------------------------------------------

ACCESS_LOGGER = "cms.access"
REQUEST_ID_SCOPE_KEY = "cms.request_id"
REQUEST_ID: ContextVar[str | None] = ContextVar("cms_request_id", default=None)
OBSERVED_SCOPE_KEY = "cms.observed"  # what the GraphQL layer learnt: operation names

access_log = logging.getLogger(ACCESS_LOGGER)


class RequestIdFilter(logging.Filter):
    """Every record made while a request is handled carries its id (`missing`
    outside requests)."""

    def __init__(self, missing: str | None = None) -> None:
        super().__init__()
        self.missing = missing

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            record.request_id = REQUEST_ID.get() or self.missing
        return True


def logging_config(*, fmt: str, level: str) -> dict[str, Any]:
    """A `logging.config.dictConfig` for the server: one handler on stderr, JSON
    (one object a line, for the log pipeline) or text (for a terminal). uvicorn's
    loggers go through it too; its access log is replaced by `cms.access`."""
    formatter: dict[str, Any]
    if fmt == "json":
        formatter = {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": ["asctime", "levelname", "name", "message", "request_id"],
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
            "datefmt": "%Y-%m-%dT%H:%M:%S%z",
            # uvicorn's copy of each message with terminal colours
            "reserved_attrs": [*RESERVED_ATTRS, "color_message"],
        }
    else:
        formatter = {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "request_id": {"()": RequestIdFilter, "missing": None if fmt == "json" else "-"}
        },
        "formatters": {"default": formatter},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stderr",
                "formatter": "default",
                "filters": ["request_id"],
            }
        },
        "root": {"handlers": ["stderr"], "level": level},
        "loggers": {
            "uvicorn": {"handlers": [], "propagate": True},
            "uvicorn.error": {"handlers": [], "propagate": True},
            "uvicorn.access": {"handlers": [], "propagate": False, "level": "WARNING"},
            # statements at DEBUG only when asked for: they are many
            SQL_LOGGER: {"level": "WARNING" if level != "DEBUG" else "DEBUG"},
        },
    }


def configure_logging(*, fmt: str, level: str) -> None:
    logging.config.dictConfig(logging_config(fmt=fmt, level=level))
    install_redaction()


def caller_of(scope: Scope) -> str:
    """Who made a request, for the log: never a token, only the ids behind it."""
    actor = getattr(scope.get("user"), "actor", None)
    if actor is None or actor.user_id is None:
        return "public"
    if actor.api_token_id is not None:
        return f"user:{actor.user_id}/token:{actor.api_token_id}"
    return f"user:{actor.user_id}/session"


def log_access(scope: Scope, status: int, seconds: float, *, cached: bool = False) -> None:
    """One record per HTTP request. Response-cache hits are recorded at DEBUG: a
    record costs about 30 µs, more than half of a hit (the CDN in front logs
    them anyway, and /metrics counts them); everything else at INFO."""
    level = logging.DEBUG if cached else logging.INFO
    if not access_log.isEnabledFor(level):
        return
    observed = scope.get(OBSERVED_SCOPE_KEY) or {}
    operations = observed.get("operations")
    client = scope.get("client")
    duration_ms = round(seconds * 1000, 2)
    access_log.log(
        level,
        "%s %s %d %.1fms",
        scope["method"],
        scope["path"],
        status,
        duration_ms,
        extra={
            "request_id": scope.get(REQUEST_ID_SCOPE_KEY),
            "method": scope["method"],
            "path": scope["path"],
            "status": status,
            "duration_ms": duration_ms,
            "operation": ",".join(operations) if operations else None,
            "caller": caller_of(scope),
            "client": client[0] if client else None,
            "cached": cached,
        },
    )
