"""Full-text search over articles' title, dek and body text, ranked.

SQLite: an FTS5 table (`article_fts`, rowid = article id) ranked by bm25.
PostgreSQL: `article.search_vector` (a tsvector, GIN-indexed) ranked by ts_rank.
Both use language-neutral tokenizing ('simple' / unicode61), since the newsroom
writes in English and Ukrainian alike. The search string is always data: words
are extracted and quoted (SQLite) or handed to `plainto_tsquery` (PostgreSQL),
so quotes, operators and Cyrillic are matched as words and never fail.

The index is written by `index_article` in the same transaction as the article.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from tortoise import connections

from cms.articles.models import Article
from cms.content import LIVE_STATUSES
from cms.errors import BadUserInput
from cms.pagination import Page, page_of
from cms.sql import Params, fetch_all

_WORD = re.compile(r"\w+", re.UNICODE)
MAX_QUERY = 200
# title matters most, then the standfirst, then the body
_WEIGHTS = (10.0, 4.0, 1.0)


def _dialect() -> str:
    return connections.get("default").capabilities.dialect


async def index_article(article_id: int) -> None:
    """(Re)writes the article's search entry; call inside the article's transaction."""
    p = Params()
    if _dialect() == "postgres":
        sql = (
            "UPDATE article SET search_vector ="
            " setweight(to_tsvector('simple', coalesce(title, '')), 'A')"
            " || setweight(to_tsvector('simple', coalesce(dek, '')), 'B')"
            " || setweight(to_tsvector('simple', coalesce(body_text, '')), 'C')"
            f" WHERE id = {p(article_id)}"
        )
        await connections.get("default").execute_query(sql, p.values)
        return
    conn = connections.get("default")
    await conn.execute_query("DELETE FROM article_fts WHERE rowid = ?", [article_id])
    await conn.execute_query(
        "INSERT INTO article_fts (rowid, title, dek, body)"
        " SELECT id, title, coalesce(dek, ''), body_text FROM article WHERE id = ?",
        [article_id],
    )


@dataclass(frozen=True, slots=True)
class SearchKey:
    """Ordering key of search results: score (higher first), then id (higher first),
    and a fingerprint of the search, so a cursor only continues its own search."""

    score: float
    id: int
    query: str

    def to_cursor_key(self) -> list[str | int | float]:
        return [self.score, self.id, self.query]

    @classmethod
    def from_cursor_key(cls, key: Sequence[str | int | float], field: str = "after") -> SearchKey:
        if (
            len(key) != 3
            or not isinstance(key[0], int | float)
            or not isinstance(key[1], int)
            or not isinstance(key[2], str)
        ):
            raise BadUserInput.for_field(field, "invalid cursor")
        return cls(float(key[0]), key[1], key[2])


def fingerprint(search: str) -> str:
    return hashlib.sha256(search.encode()).hexdigest()[:12]


@dataclass(frozen=True, slots=True)
class Hit:
    article: Article
    score: float


async def search_articles(
    *,
    search: str,
    now: datetime,
    first: int,
    after: SearchKey | None,
    language: str | None = None,
    tag: str | None = None,
    author: str | None = None,
) -> Page[Hit]:
    """Public articles matching every word of `search`, best match first."""
    if len(search) > MAX_QUERY:
        raise BadUserInput.for_field("filter.search", f"at most {MAX_QUERY} characters")
    if after is not None and after.query != fingerprint(search):
        raise BadUserInput.for_field("after", "invalid cursor")
    words = _WORD.findall(search)
    if not words:
        return page_of([], first, has_previous=after is not None)
    p = Params()
    if _dialect() == "postgres":
        inner = (
            "SELECT a.id AS id, ts_rank(a.search_vector, q) AS score"
            f" FROM article a, plainto_tsquery('simple', {p(' '.join(words))}) q"
            " WHERE a.search_vector @@ q"
        )
    else:
        match = " ".join('"' + w.replace('"', '""') + '"' for w in words)
        weights = ", ".join(str(w) for w in _WEIGHTS)
        inner = (
            f"SELECT a.id AS id, -bm25(article_fts, {weights}) AS score"
            " FROM article_fts JOIN article a ON a.id = article_fts.rowid"
            f" WHERE article_fts MATCH {p(match)}"
        )
    inner += (
        f" AND a.status IN ({p.many([s.value for s in LIVE_STATUSES])})"
        f" AND a.published_at <= {p(now)} AND a.deleted_at IS NULL"
    )
    if language is not None:
        inner += f" AND a.language = {p(language)}"
    if tag is not None:
        inner += (
            " AND EXISTS (SELECT 1 FROM article_tag at JOIN tag t ON t.id = at.tag_id"
            f" WHERE at.article_id = a.id AND t.slug = {p(tag)})"
        )
    if author is not None:
        inner += (
            " AND EXISTS (SELECT 1 FROM article_author aa JOIN author au ON au.id = aa.author_id"
            f" WHERE aa.article_id = a.id AND au.slug = {p(author)} AND au.deleted_at IS NULL)"
        )
    sql = f"SELECT id, score FROM ({inner}) ranked"
    if after is not None:
        sql += (
            f" WHERE score < {p(after.score)} OR (score = {p(after.score)} AND id < {p(after.id)})"
        )
    sql += f" ORDER BY score DESC, id DESC LIMIT {p(first + 1)}"
    rows = await fetch_all(sql, p)
    articles = {a.id: a for a in await Article.filter(id__in=[r["id"] for r in rows])}
    hits = [Hit(articles[r["id"]], float(r["score"])) for r in rows if r["id"] in articles]
    return page_of(hits, first, has_previous=after is not None)
