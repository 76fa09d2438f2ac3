"""PostgreSQL goes away under a running app and comes back: /readyz says so, requests
fail fast with SERVICE_UNAVAILABLE, nothing is half-written, and the same app
instance recovers by itself.

The app reaches the session's throwaway database through a `TCPProxy`; the test
checks what is really stored over its own direct connection, which the cut does
not touch.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import asyncpg
import httpx
import pytest
from asgi_lifespan import LifespanManager
from proxy import TCPProxy, proxy_to

from cms.accounts.models import Role
from cms.accounts.passwords import Passwords
from cms.app import create_app
from cms.clock import FixedClock
from media.local import LocalStorage

from conftest import NOW, POSTGRES_URL, SECRET, settings_for, truncate_pg
from factories import make_article, staff

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.skipif(POSTGRES_URL is None, reason="CMS_TEST_POSTGRES_URL is not set"),
]

# A request must fail within this while the database is gone, not hang.
FAST = 5.0

ARTICLES = "{ articles(first: 5) { edges { node { title } } } }"
CREATE = """mutation($title: String!) {
  createArticle(input: {title: $title, body: "Water is back in Mykolaiv."}) { id version }
}"""
PUBLISH = """mutation($id: ID!) {
  publishArticle(id: $id, addToFeed: true) { status version }
}"""
UPLOAD = "mutation($file: Upload!) { uploadMedia(file: $file) { id key } }"


@pytest.fixture
async def pg_proxy() -> AsyncIterator[TCPProxy]:
    """A proxy in front of the test PostgreSQL server."""
    assert POSTGRES_URL is not None
    async with proxy_to(POSTGRES_URL, 5432) as proxy:
        yield proxy


@pytest.fixture
async def direct(postgres_database: str) -> AsyncIterator[asyncpg.Connection]:
    """The test's own connection to the (truncated) session database, not through
    the proxy: what is really stored, whatever happens to the app's connections."""
    await truncate_pg(postgres_database)
    connection = await asyncpg.connect(postgres_database)
    try:
        yield connection
    finally:
        await connection.close()


@pytest.fixture
def media_root(tmp_path: Path) -> Path:
    return tmp_path / "media"


@pytest.fixture
async def http(
    postgres_database: str,
    direct: asyncpg.Connection,
    pg_proxy: TCPProxy,
    clock: FixedClock,
    passwords: Passwords,
    media_root: Path,
) -> AsyncIterator[httpx.AsyncClient]:
    """The real app, its database URL pointing at the proxy."""
    parts = urlsplit(postgres_database)
    user = parts.netloc.rsplit("@", 1)[0]
    proxied = parts._replace(netloc=f"{user}@127.0.0.1:{pg_proxy.port}").geturl()
    storage = LocalStorage(media_root, secret_key=SECRET)
    app = create_app(
        settings_for(proxied), clock=clock, passwords=passwords, storage=storage, background=False
    )
    async with (
        LifespanManager(app) as manager,
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=manager.app), base_url="http://testserver"
        ) as client,
    ):
        yield client


class CutOnStatement(logging.Handler):
    """Cuts the proxy just before the app sends the first statement that `trigger`
    accepts (Tortoise logs each statement right before sending it): the statements
    before it have run inside the transaction, the rest never reach the server."""

    def __init__(self, proxy: TCPProxy, trigger: Callable[[str], bool]) -> None:
        super().__init__(logging.DEBUG)
        self.proxy = proxy
        self.trigger = trigger
        self.seen: list[str] = []
        self.fired_at: int | None = None

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        self.seen.append(message)
        if self.fired_at is None and self.trigger(message):
            self.fired_at = len(self.seen) - 1
            self.proxy.cut()

    def before_cut(self) -> list[str]:
        assert self.fired_at is not None, "the statement to cut at was never sent"
        return self.seen[: self.fired_at]


@pytest.fixture
def cut_on_statement() -> Iterator[Callable[[TCPProxy, Callable[[str], bool]], CutOnStatement]]:
    logger = logging.getLogger("tortoise.db_client")
    installed: list[CutOnStatement] = []
    previous = logger.level

    def install(proxy: TCPProxy, trigger: Callable[[str], bool]) -> CutOnStatement:
        handler = CutOnStatement(proxy, trigger)
        logger.setLevel(logging.DEBUG)
        logger.addHandler(handler)
        installed.append(handler)
        return handler

    try:
        yield install
    finally:
        for handler in installed:
            logger.removeHandler(handler)
        logger.setLevel(previous)


async def gql(
    http: httpx.AsyncClient, query: str, variables: dict[str, Any] | None = None, **headers: str
) -> httpx.Response:
    """POST a document, failing the test (instead of hanging it) after FAST seconds."""
    async with asyncio.timeout(FAST):
        return await http.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )


async def readyz(http: httpx.AsyncClient) -> httpx.Response:
    async with asyncio.timeout(FAST):
        return await http.get("/readyz")


def unavailable(body: dict[str, Any]) -> str:
    """The message of a SERVICE_UNAVAILABLE answer, checked to leak nothing."""
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "SERVICE_UNAVAILABLE", body
    message: str = error["message"]
    for leak in ("Traceback", "asyncpg", "SELECT", "127.0.0.1", "Errno"):
        assert leak not in message
    return message


def files_under(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


async def counts(direct: asyncpg.Connection) -> dict[str, int]:
    """What a write can leave behind, counted on the real database."""
    return {
        "article": await direct.fetchval("SELECT count(*) FROM article"),
        "revision": await direct.fetchval("SELECT count(*) FROM article_revision"),
        "feed_item": await direct.fetchval("SELECT count(*) FROM feed_item"),
        "feed_sync": await direct.fetchval("SELECT count(*) FROM feed_sync"),
        "outbox": await direct.fetchval("SELECT count(*) FROM event_outbox"),
        "changes": await direct.fetchval("SELECT value FROM counter WHERE name = 'changes'"),
        "media": await direct.fetchval("SELECT count(*) FROM media_asset"),
    }


async def test_outage_is_reported_and_recovered_from(
    http: httpx.AsyncClient, pg_proxy: TCPProxy, direct: asyncpg.Connection
) -> None:
    """With the database gone, /readyz is 503 (database down, storage up) and a public
    query fails fast with SERVICE_UNAVAILABLE; once it is back, the same app is
    ready and answers again."""
    await make_article(title="Dam repaired", published_at=NOW - timedelta(hours=1))
    assert (await readyz(http)).status_code == 200
    before = (await gql(http, ARTICLES)).json()
    assert before == {"data": {"articles": {"edges": [{"node": {"title": "Dam repaired"}}]}}}

    pg_proxy.cut()
    ready = await readyz(http)
    assert ready.status_code == 503
    assert ready.json() == {"status": "unavailable", "database": "down", "storage": "up"}
    down = await gql(http, ARTICLES)
    assert down.status_code == 200  # GraphQL errors travel in a 200
    assert "try again" in unavailable(down.json())
    assert down.json()["data"] is None

    await pg_proxy.restore()
    assert (await readyz(http)).status_code == 200
    assert (await gql(http, ARTICLES)).json() == before


async def test_write_during_outage_leaves_nothing(
    http: httpx.AsyncClient,
    pg_proxy: TCPProxy,
    direct: asyncpg.Connection,
    passwords: Passwords,
) -> None:
    """A mutation sent while the database is gone is refused with a 503
    SERVICE_UNAVAILABLE (its token cannot even be checked; never a 401), stores
    nothing, and works once the database is back."""
    _, auth = await staff(passwords, Role.EDITOR, NOW, SECRET)
    empty = await counts(direct)

    pg_proxy.cut()
    refused = await gql(http, CREATE, {"title": "Ferry resumes"}, **auth)
    assert refused.status_code == 503
    assert refused.headers["Retry-After"].isdigit()
    assert refused.headers["Cache-Control"] == "private, no-store"
    unavailable(refused.json())
    assert await counts(direct) == empty

    await pg_proxy.restore()
    created = (await gql(http, CREATE, {"title": "Ferry resumes"}, **auth)).json()
    assert created["data"]["createArticle"]["version"] == 1, created
    assert await direct.fetchval("SELECT count(*) FROM article WHERE title = 'Ferry resumes'") == 1


async def test_cut_in_the_middle_of_a_publication_rolls_it_back(
    http: httpx.AsyncClient,
    pg_proxy: TCPProxy,
    direct: asyncpg.Connection,
    passwords: Passwords,
    cut_on_statement: Callable[[TCPProxy, Callable[[str], bool]], CutOnStatement],
) -> None:
    """The connection dies after publishArticle has updated the article and before it
    adds the feed item: the answer is SERVICE_UNAVAILABLE and the database holds the
    draft as it was, with no feed item, change number or outbox event; publishing
    again after recovery does all of it exactly once."""
    _, auth = await staff(passwords, Role.EDITOR, NOW, SECRET)
    article = (await gql(http, CREATE, {"title": "Grid restored"}, **auth)).json()
    article_id = article["data"]["createArticle"]["id"]
    before = await counts(direct)
    row_before = dict(
        await direct.fetchrow("SELECT status, version, published_at, updated_at FROM article")
    )

    hook = cut_on_statement(pg_proxy, lambda sql: sql.startswith('INSERT INTO "feed_item"'))
    failed = await gql(http, PUBLISH, {"id": article_id}, **auth)
    unavailable(failed.json())
    # the publication's own UPDATE had run in the transaction when the line went
    assert any(s.startswith('UPDATE "article"') for s in hook.before_cut())
    assert not pg_proxy.is_up

    assert await counts(direct) == before
    row = dict(
        await direct.fetchrow("SELECT status, version, published_at, updated_at FROM article")
    )
    assert row == row_before and row["status"] == "DRAFT"
    # no transaction of the app is left open on the server, holding locks
    assert (
        await direct.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'newsroom-cms'"
            " AND state LIKE 'idle in transaction%'"
        )
        == 0
    )

    await pg_proxy.restore()
    done = (await gql(http, PUBLISH, {"id": article_id}, **auth)).json()
    assert done["data"]["publishArticle"] == {"status": "PUBLISHED", "version": 2}, done
    after = await counts(direct)
    assert after["feed_item"] == before["feed_item"] + 1
    assert after["changes"] == before["changes"] + 1
    assert after["outbox"] > before["outbox"]


async def test_database_lost_after_the_store_removes_the_stored_objects(
    http: httpx.AsyncClient,
    pg_proxy: TCPProxy,
    direct: asyncpg.Connection,
    passwords: Passwords,
    media_root: Path,
    cut_on_statement: Callable[[TCPProxy, Callable[[str], bool]], CutOnStatement],
) -> None:
    """An upload whose row cannot be written because the database went away between
    storing the file and recording it: SERVICE_UNAVAILABLE, no row, and the stored
    original and renditions are removed again."""
    import io
    import json

    from PIL import Image

    _, auth = await staff(passwords, Role.EDITOR, NOW, SECRET)
    out = io.BytesIO()
    Image.new("RGB", (700, 400), (20, 90, 160)).save(out, format="JPEG")
    cut_on_statement(pg_proxy, lambda sql: sql.startswith('INSERT INTO "media_asset"'))
    async with asyncio.timeout(FAST):
        response = await http.post(
            "/graphql",
            data={
                "operations": json.dumps({"query": UPLOAD, "variables": {"file": None}}),
                "map": json.dumps({"0": ["variables.file"]}),
            },
            files={"0": ("dam.jpg", out.getvalue(), "image/jpeg")},
            headers={**auth, "X-CMS-CSRF": "1"},
        )
    unavailable(response.json())
    assert not pg_proxy.is_up
    assert await direct.fetchval("SELECT count(*) FROM media_asset") == 0
    assert files_under(media_root) == []


async def test_transactions_that_cannot_begin_give_their_connection_back(
    http: httpx.AsyncClient, pg_proxy: TCPProxy
) -> None:
    """A pooled connection that died while idle fails at BEGIN: more such failures
    than the pool has connections leave the pool whole and the task's connection
    unchanged, so the app works at once when the database is back. (Tortoise 1.1.9
    kept both the connection and the dead transaction as the task's connection.)"""
    from tortoise.transactions import in_transaction

    from cms.errors import ServiceUnavailable

    assert (await readyz(http)).status_code == 200  # the pool holds a live connection
    for _ in range(8):  # the pool has 5
        pg_proxy.cut()  # no await before BEGIN: the app has not noticed yet
        with pytest.raises(ServiceUnavailable):
            async with in_transaction():
                pytest.fail("a transaction began on a dead connection")
        await pg_proxy.restore()
        async with asyncio.timeout(FAST):
            assert (await readyz(http)).status_code == 200


async def test_feeds_answer_503_while_the_database_is_gone(
    http: httpx.AsyncClient, pg_proxy: TCPProxy
) -> None:
    """/feed.json without its database is a 503 SERVICE_UNAVAILABLE with Retry-After,
    like /graphql, not a bare 500."""
    pg_proxy.cut()
    async with asyncio.timeout(FAST):
        response = await http.get("/feed.json")
    assert response.status_code == 503
    assert response.headers["Retry-After"].isdigit()
    unavailable(response.json())
