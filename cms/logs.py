"""Logging that never carries secrets.

Tortoise logs every statement with its parameter values at DEBUG: password
hashes, token hashes and TOTP secrets among them. The filter keeps the statement
(useful, and what the query-count tests count) and drops the values.
"""

from __future__ import annotations

import logging

SQL_LOGGER = "tortoise.db_client"


class RedactSQLParameters(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and len(record.args) == 2:
            record.args = (record.args[0], "[parameters redacted]")
        return True


def install_redaction() -> None:
    """Idempotent: one filter on the SQL logger, however many apps are built."""
    logger = logging.getLogger(SQL_LOGGER)
    if not any(isinstance(f, RedactSQLParameters) for f in logger.filters):
        logger.addFilter(RedactSQLParameters())
