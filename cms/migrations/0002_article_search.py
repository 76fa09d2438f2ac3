"""Full-text search over articles: an FTS5 table on SQLite, a tsvector column with
a GIN index on PostgreSQL. The search index is not part of the ORM models; the
article services keep it current in the same transaction as each write."""

from typing import Any

from tortoise import migrations
from tortoise.migrations import operations as ops

SQLITE = [
    "CREATE VIRTUAL TABLE article_fts USING fts5("
    "title, dek, body, tokenize = 'unicode61 remove_diacritics 2')",
]
SQLITE_REVERSE = ["DROP TABLE article_fts"]
POSTGRES = [
    "ALTER TABLE article ADD COLUMN search_vector tsvector",
    "CREATE INDEX idx_article_search_vector ON article USING GIN (search_vector)",
]
POSTGRES_REVERSE = [
    "DROP INDEX idx_article_search_vector",
    "ALTER TABLE article DROP COLUMN search_vector",
]


async def _run(editor: Any, sqlite: list[str], postgres: list[str]) -> None:
    dialect = editor.client.capabilities.dialect
    for statement in sqlite if dialect == "sqlite" else postgres:
        await editor.client.execute_script(statement)


async def forward(apps: Any, editor: Any) -> None:
    await _run(editor, SQLITE, POSTGRES)


async def backward(apps: Any, editor: Any) -> None:
    await _run(editor, SQLITE_REVERSE, POSTGRES_REVERSE)


class Migration(migrations.Migration):
    dependencies = [("models", "0001_initial")]

    operations = [ops.RunPython(forward, backward)]
