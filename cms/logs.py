"""Logging that never carries secrets.

Tortoise logs every statement with its parameter values at DEBUG: password
hashes, token hashes and TOTP secrets among them. The filter keeps the statement
(useful, and what the query-count tests count) and drops the values. aiosqlite
logs each call, values included, at DEBUG too: those records are dropped.
"""

from __future__ import annotations

import logging

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
