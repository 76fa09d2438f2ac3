"""Tortoise ORM configuration: one app, `models`, with checked-in migrations."""

from __future__ import annotations

import os
from typing import Any

from tortoise.backends.base.config_generator import expand_db_url

MODEL_MODULES = [
    "cms.accounts.models",
    "cms.assets.models",
    "cms.authors.models",
    "cms.tags.models",
    "cms.videos.models",
    "cms.articles.models",
    "cms.feed.models",
    "cms.delivery.models",
]


# A statement running longer than this is cancelled by PostgreSQL: one runaway
# query must not hold a pooled connection (and locks) for good.
STATEMENT_TIMEOUT_MS = 15_000
# A database that does not answer must fail a request in seconds rather than hang
# it: opening a connection gives up after CONNECT_TIMEOUT_S, and a statement whose
# answer never comes (a dead network; the server cancels slow statements itself,
# earlier) after COMMAND_TIMEOUT_S. Both can be changed in the URL
# (`?timeout=2&command_timeout=30`).
CONNECT_TIMEOUT_S = 5
COMMAND_TIMEOUT_S = STATEMENT_TIMEOUT_MS / 1000 + 5


def _connection(database_url: str) -> str | dict[str, Any]:
    """The connection config: PostgreSQL gets timeouts, a name to be recognised by
    in pg_stat_activity, and the client that reports a lost database as
    SERVICE_UNAVAILABLE (`cms.db_postgres`); SQLite needs nothing."""
    if not database_url.startswith(("postgres://", "postgresql://", "asyncpg://")):
        return database_url
    config = expand_db_url(database_url)
    config["engine"] = "cms.db_postgres"
    credentials = config["credentials"]
    credentials.setdefault("timeout", CONNECT_TIMEOUT_S)
    credentials["command_timeout"] = float(credentials.get("command_timeout", COMMAND_TIMEOUT_S))
    settings = dict(credentials.get("server_settings") or {})
    settings.setdefault("statement_timeout", str(STATEMENT_TIMEOUT_MS))
    credentials["server_settings"] = settings
    credentials.setdefault("application_name", "newsroom-cms")
    return config


def tortoise_config(database_url: str) -> dict[str, Any]:
    """The Tortoise configuration for one database."""
    return {
        "connections": {"default": _connection(database_url)},
        "apps": {
            "models": {
                "models": MODEL_MODULES,
                "default_connection": "default",
                "migrations": "cms.migrations",
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


# For the `tortoise` command line (`tortoise makemigrations`), via pyproject.toml.
TORTOISE_ORM = tortoise_config(os.environ.get("CMS_DATABASE_URL", "sqlite://./var/cms.sqlite3"))
