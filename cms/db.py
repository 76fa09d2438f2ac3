"""Tortoise ORM configuration: one app, `models`, with checked-in migrations."""

from __future__ import annotations

import os
from typing import Any

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


def tortoise_config(database_url: str) -> dict[str, Any]:
    """The Tortoise configuration for one database."""
    return {
        "connections": {"default": database_url},
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
