"""The checked-in migrations build the whole schema on an empty SQLite and an
empty PostgreSQL database, and agree with the models."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from tortoise import Tortoise, connections
from tortoise.migrations.autodetector import MigrationAutodetector

from cms.cli import run_migrations
from cms.db import MODEL_MODULES, tortoise_config

from conftest import POSTGRES_URL, create_pg_database, drop_pg_database, settings_for, unique_name

TABLES = {
    "author",
    "article",
    "article_author",
    "article_tag",
    "article_video",
    "article_source",
    "article_correction",
    "article_revision",
    "feed_item",
    "video_embed",
    "media_asset",
    "tag",
    "cms_user",
    "user_session",
    "api_token",
    "totp_recovery_code",
    "login_failure",
}


async def _tables_and_indexes(url: str) -> tuple[set[str], set[tuple[str, str]]]:
    await Tortoise.init(config=tortoise_config(url))
    try:
        conn = connections.get("default")
        if conn.capabilities.dialect == "sqlite":
            rows = await conn.execute_query_dict(
                "SELECT name FROM sqlite_master WHERE type = 'table'"
            )
            tables = {r["name"] for r in rows}
            indexes: set[tuple[str, str]] = set()
            for table in tables:
                for index in await conn.execute_query_dict(f"PRAGMA index_list('{table}')"):
                    cols = await conn.execute_query_dict(f"PRAGMA index_info('{index['name']}')")
                    indexes.add((table, ",".join(c["name"] for c in cols)))
        else:
            rows = await conn.execute_query_dict(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
            )
            tables = {r["tablename"] for r in rows}
            idx = await conn.execute_query_dict(
                "SELECT t.relname AS tbl, string_agg(a.attname, ',' ORDER BY k.n) AS cols"
                " FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid"
                " JOIN pg_namespace s ON s.oid = t.relnamespace"
                " CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, n)"
                " JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum"
                " WHERE s.nspname = 'public' GROUP BY t.relname, i.indexrelid"
            )
            indexes = {(r["tbl"], r["cols"]) for r in idx}
        return tables, indexes
    finally:
        await Tortoise.close_connections()


def _check_schema(url: str) -> None:
    asyncio.run(run_migrations(settings_for(url)))
    # applying again is a no-op, not an error
    asyncio.run(run_migrations(settings_for(url)))
    tables, indexes = asyncio.run(_tables_and_indexes(url))
    assert tables >= TABLES
    # the keyset indexes of every public list, and a unique index on every slug
    for table in ("article", "feed_item", "video_embed"):
        assert (table, "published_at,id") in indexes
    for table in ("article", "author", "tag"):
        assert (table, "slug") in indexes
    assert ("article_author", "author_id,article_id") in indexes
    assert ("author", "name,id") in indexes


def test_migrations_apply_to_empty_sqlite(tmp_path: Path) -> None:
    """An empty SQLite file gets every table and the list indexes."""
    _check_schema(f"sqlite://{tmp_path / 'fresh.sqlite3'}")


@pytest.mark.skipif(POSTGRES_URL is None, reason="CMS_TEST_POSTGRES_URL is not set")
def test_migrations_apply_to_empty_postgres() -> None:
    """An empty PostgreSQL database gets every table and the list indexes."""
    name = unique_name("cms_migrate")
    url = asyncio.run(create_pg_database(name))
    try:
        _check_schema(url)
    finally:
        asyncio.run(drop_pg_database(name))


async def test_models_have_no_unmigrated_changes(tmp_path: Path) -> None:
    """`tortoise makemigrations` would write nothing: the models and migrations agree."""
    config = tortoise_config(f"sqlite://{tmp_path / 'detect.sqlite3'}")
    await Tortoise.init(config=config)
    try:
        apps_dict = {
            "models": {
                "models": MODEL_MODULES,
                "migrations": "cms.migrations",
                "default_connection": "default",
            }
        }
        detector = MigrationAutodetector(Tortoise.apps, apps_dict)
        writers = await detector.changes()
        assert writers == [], [w.name for w in writers]
    finally:
        await Tortoise.close_connections()


@pytest.mark.skipif(POSTGRES_URL is None, reason="CMS_TEST_POSTGRES_URL is not set")
async def test_postgres_connections_have_a_statement_timeout() -> None:
    """Every pooled PostgreSQL connection cancels statements after 15 s."""
    from conftest import pg_url

    await Tortoise.init(config=tortoise_config(pg_url("postgres")))
    try:
        rows = await connections.get("default").execute_query_dict("SHOW statement_timeout")
        assert rows[0]["statement_timeout"] == "15s"
        name = await connections.get("default").execute_query_dict("SHOW application_name")
        assert name[0]["application_name"] == "newsroom-cms"
    finally:
        await Tortoise.close_connections()
