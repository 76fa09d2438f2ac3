"""Test fixtures: real databases (SQLite always, PostgreSQL when
`CMS_TEST_POSTGRES_URL` is set), the real app over HTTP (httpx on ASGI), an
injected clock.

Every test that takes `db` runs once per database. SQLite tests get a fresh copy
of a migrated template file; PostgreSQL tests share one throwaway database,
migrated once per session, truncated before each test, and dropped at the end.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx
import pytest
from argon2 import Type
from argon2.profiles import Parameters
from asgi_lifespan import LifespanManager
from tortoise.backends.base.executor import EXECUTOR_CACHE

from cms.accounts.passwords import Passwords
from cms.app import create_app
from cms.cli import run_migrations
from cms.clock import FixedClock
from cms.settings import Settings

POSTGRES_URL = os.environ.get("CMS_TEST_POSTGRES_URL")
REDIS_URL = os.environ.get("CMS_TEST_REDIS_URL")
SECRET = "test-secret-key-that-is-long-enough-0123456789"
NOW = datetime(2026, 11, 26, 12, 0, 0, tzinfo=UTC)

BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param(
        "postgres",
        id="postgres",
        marks=pytest.mark.skipif(POSTGRES_URL is None, reason="CMS_TEST_POSTGRES_URL is not set"),
    ),
]


def settings_for(database_url: str, **overrides: Any) -> Settings:
    """Settings for a test app: a fixed secret, the given database."""
    values: dict[str, Any] = {
        "env": "test",
        "database_url": database_url,
        "secret_key": SECRET,
        # most tests write rows directly and read them back at once; the cache's
        # own tests turn it on
        "response_cache": False,
        # a test sends hundreds of requests in one (injected) minute; the rate
        # limit's own tests turn it on
        "rate_limit_public": 0,
        "rate_limit_token": 0,
    }
    values.update(overrides)
    return Settings(**values)


def pg_url(database: str) -> str:
    """`CMS_TEST_POSTGRES_URL` pointed at another database."""
    assert POSTGRES_URL is not None
    parts = urlsplit(POSTGRES_URL)
    return urlunsplit(parts._replace(scheme="postgres", path=f"/{database}"))


async def create_pg_database(name: str) -> str:
    conn = await asyncpg.connect(pg_url("postgres"))
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return pg_url(name)


async def drop_pg_database(name: str) -> None:
    conn = await asyncpg.connect(pg_url("postgres"))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


def unique_name(prefix: str) -> str:
    return f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated, empty SQLite database to copy for each test."""
    path = tmp_path_factory.mktemp("template") / "cms.sqlite3"
    asyncio.run(run_migrations(settings_for(f"sqlite://{path}")))
    return path


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """A migrated throwaway PostgreSQL database for this session, dropped afterwards."""
    name = unique_name("cms_test")
    url = asyncio.run(create_pg_database(name))
    try:
        asyncio.run(run_migrations(settings_for(url)))
        yield url
    finally:
        asyncio.run(drop_pg_database(name))


async def truncate_pg(url: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        tables = await conn.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
            " AND tablename NOT IN ('tortoise_migrations', 'counter')"
        )
        names = ", ".join(f'"{t["tablename"]}"' for t in tables)
        await conn.execute(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
        await conn.execute("UPDATE counter SET value = 0")  # rows the migrations made
    finally:
        await conn.close()


@pytest.fixture(params=BACKENDS)
def db(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of a migrated, empty database: once per backend."""
    if request.param == "sqlite":
        path = tmp_path / "cms.sqlite3"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite://{path}"
    url: str = request.getfixturevalue("postgres_database")
    asyncio.run(truncate_pg(url))
    return url


@pytest.fixture(autouse=True)
def _fresh_statement_cache() -> None:
    """Tortoise caches each model's INSERT/UPDATE statements per connection name,
    not per dialect: one process switching between SQLite and PostgreSQL (only the
    test suite does) must start each test from an empty cache."""
    EXECUTOR_CACHE.clear()


@pytest.fixture
def clock() -> FixedClock:
    """The time as the app sees it; tests move it instead of sleeping."""
    return FixedClock(NOW)


@pytest.fixture
def settings(db: str) -> Settings:
    return settings_for(db)


# Real argon2id, with parameters cheap enough for a test suite.
TEST_PASSWORD_PARAMETERS = Parameters(
    type=Type.ID,
    version=19,
    salt_len=16,
    hash_len=32,
    time_cost=1,
    memory_cost=1024,
    parallelism=1,
)


@pytest.fixture
def passwords() -> Passwords:
    return Passwords(TEST_PASSWORD_PARAMETERS)


@pytest.fixture
def media_storage(tmp_path: Path) -> Any:
    """The storage of the default `app`: a local directory (tests that cover both
    drivers take the `storage` fixture instead)."""
    from media.local import LocalStorage

    return LocalStorage(tmp_path / "media", secret_key=SECRET)


@pytest.fixture
async def app(
    settings: Settings, clock: FixedClock, passwords: Passwords, media_storage: Any
) -> AsyncIterator[Any]:
    """The real app with its lifespan running (database open)."""
    application = create_app(
        settings, clock=clock, passwords=passwords, storage=media_storage, background=False
    )
    async with LifespanManager(application) as manager:
        yield manager.app


@pytest.fixture
async def client(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client talking to the app in process."""
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as http:
        yield http


@dataclass
class GraphQLClient:
    http: httpx.AsyncClient

    async def __call__(
        self, query: str, variables: dict[str, Any] | None = None, **headers: str
    ) -> dict[str, Any]:
        response = await self.http.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body


@pytest.fixture
def gql(client: httpx.AsyncClient) -> GraphQLClient:
    """POSTs a document to /graphql and returns the JSON answer."""
    return GraphQLClient(client)


class SQLCounter(logging.Handler):
    """Counts the statements Tortoise sends (one DEBUG record per statement)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.statements: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if not message.startswith(("Created connection pool", "Closed connection pool")):
            self.statements.append(message)


@pytest.fixture
def sql_counter() -> Iterator[SQLCounter]:
    logger = logging.getLogger("tortoise.db_client")
    counter = SQLCounter()
    previous = logger.level
    logger.setLevel(logging.DEBUG)
    logger.addHandler(counter)
    try:
        yield counter
    finally:
        logger.removeHandler(counter)
        logger.setLevel(previous)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if POSTGRES_URL is None:
        terminalreporter.write_line(
            "NOTE: PostgreSQL tests were SKIPPED (set CMS_TEST_POSTGRES_URL, or run .ci/run,"
            " to run every database test on PostgreSQL too).",
            yellow=True,
            bold=True,
        )
    if REDIS_URL is None:
        terminalreporter.write_line(
            "NOTE: multi-instance tests on Redis were SKIPPED (set CMS_TEST_REDIS_URL).",
            yellow=True,
        )


# --- S3 through the real protocol: moto_server on a loopback port ---------------


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="session")
def moto_server() -> Iterator[str]:
    """A real S3-protocol server (moto) for this session; its endpoint URL."""
    import subprocess
    import sys
    import time
    from pathlib import Path

    port = _free_port()
    binary = Path(sys.executable).with_name("moto_server")
    process = subprocess.Popen(  # noqa: S603 -- our own venv's server on loopback
        [str(binary), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):  # waiting for a process to listen, not for time to pass
            try:
                httpx.get(endpoint + "/moto-api/", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.05)
        else:
            raise RuntimeError("moto_server did not start")
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("AWS_ACCESS_KEY_ID", "testing")
            patch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
            patch.setenv("AWS_DEFAULT_REGION", "us-east-1")
            yield endpoint
    finally:
        process.terminate()
        process.wait(timeout=10)


def make_bucket(endpoint: str) -> str:
    import boto3

    name = f"cms-{uuid.uuid4().hex[:12]}"
    client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
    client.create_bucket(Bucket=name)
    # a public-read bucket, as a newsroom's media bucket behind a CDN is
    client.put_bucket_policy(
        Bucket=name,
        Policy=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": "*",
                        "Action": "s3:GetObject",
                        "Resource": f"arn:aws:s3:::{name}/*",
                    }
                ],
            }
        ),
    )
    return name


@pytest.fixture(params=["local", "s3"])
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    """Each storage driver in turn: a local directory, and S3 on moto_server."""
    from media.local import LocalStorage
    from media.s3 import S3Storage

    if request.param == "local":
        return LocalStorage(tmp_path / "media", secret_key=SECRET)
    endpoint = request.getfixturevalue("moto_server")
    return S3Storage(bucket=make_bucket(endpoint), region="us-east-1", endpoint_url=endpoint)
