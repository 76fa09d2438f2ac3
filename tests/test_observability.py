"""What operators see: one access record per request (request id, operation,
duration, caller, never a secret), per-operation latency and errors by code in
/metrics, the database pool's gauges, and the JSON log format."""

from __future__ import annotations

import json
import logging
import subprocess
import sys

import httpx
import pytest
from asgi_lifespan import LifespanManager

from cms.accounts.models import Role
from cms.accounts.passwords import Passwords
from cms.app import create_app
from cms.clock import FixedClock
from cms.logs import ACCESS_LOGGER
from cms.metrics import MAX_OPERATION_NAMES, Metrics

from conftest import NOW, SECRET, settings_for
from factories import make_user, staff

PASSWORD = "correct horse battery staple"


def _access(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == ACCESS_LOGGER]


@pytest.mark.usefixtures("app")
async def test_each_request_has_one_access_record(
    client: httpx.AsyncClient, passwords: Passwords, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=ACCESS_LOGGER)
    user, auth = await staff(passwords, Role.EDITOR, NOW, SECRET)
    response = await client.post(
        "/graphql", json={"query": "query Desk { tags { name } }"}, headers=auth
    )
    public = await client.get("/graphql", params={"query": "query Front { tags { name } }"})

    desk, front = _access(caplog)
    assert desk.request_id == response.headers["x-request-id"]  # type: ignore[attr-defined]
    assert (desk.method, desk.path, desk.status) == ("POST", "/graphql", 200)  # type: ignore[attr-defined]
    assert desk.operation == "Desk"  # type: ignore[attr-defined]
    assert desk.caller == f"user:{user.id}/session"  # type: ignore[attr-defined]
    assert desk.duration_ms >= 0  # type: ignore[attr-defined]
    assert front.request_id == public.headers["x-request-id"]  # type: ignore[attr-defined]
    assert (front.operation, front.caller) == ("Front", "public")  # type: ignore[attr-defined]
    assert auth["Authorization"].split()[1] not in caplog.text


@pytest.mark.usefixtures("app")
async def test_api_token_callers_and_logins_leave_no_secret(
    client: httpx.AsyncClient, passwords: Passwords, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    await make_user(passwords, role=Role.ADMIN, email="desk@example.org", password=PASSWORD)
    login = await client.post(
        "/graphql",
        json={
            "query": "mutation Login($e: String!, $p: String!) "
            "{ login(email: $e, password: $p) { token user { id } } }",
            "variables": {"e": "desk@example.org", "p": PASSWORD},
        },
    )
    session = login.json()["data"]["login"]["token"]
    user_id = login.json()["data"]["login"]["user"]["id"]
    created = await client.post(
        "/graphql",
        json={
            "query": 'mutation Mint { createApiToken(input: {name: "ci", scopes: [CONTENT_READ]}) '
            "{ token apiToken { id } } }"
        },
        headers={"Authorization": f"Bearer {session}"},
    )
    token = created.json()["data"]["createApiToken"]["token"]
    await client.post(
        "/graphql",
        json={"query": "query Me { me { email } }"},
        headers={"Authorization": f"Bearer {token}"},
    )
    records = _access(caplog)
    assert [r.operation for r in records] == ["Login", "Mint", "Me"]  # type: ignore[attr-defined]
    assert records[0].caller == "public"  # type: ignore[attr-defined]
    assert records[2].caller.startswith("user:")  # type: ignore[attr-defined]
    assert "/token:" in records[2].caller  # type: ignore[attr-defined]
    assert user_id  # the login worked
    everything = caplog.text + "".join(str(r.__dict__) for r in caplog.records)
    for secret in (PASSWORD, session, token):
        assert secret not in everything


@pytest.mark.usefixtures("app")
async def test_metrics_time_operations_and_count_errors_by_code(
    client: httpx.AsyncClient, db: str
) -> None:
    for _ in range(3):
        await client.post("/graphql", json={"query": "query Front { tags { name } }"})
    await client.post("/graphql", json={"query": "{ tags { nope } }"})
    await client.post("/graphql", json={"query": "{ tags { "})
    refused = await client.post(
        "/graphql", json={"query": "{ tags { name } }"}, headers={"Authorization": "Bearer nope"}
    )
    assert refused.status_code == 401
    assert refused.headers["x-error-code"] == "UNAUTHENTICATED"
    text = (await client.get("/metrics")).text
    assert (
        'cms_graphql_operation_duration_seconds_count{operation="Front",type="query"} 3.0' in text
    )
    assert 'cms_graphql_errors_total{code="GRAPHQL_VALIDATION_FAILED"} 1.0' in text
    assert 'cms_graphql_errors_total{code="GRAPHQL_PARSE_FAILED"} 1.0' in text
    assert 'cms_graphql_errors_total{code="UNAUTHENTICATED"} 1.0' in text  # before GraphQL
    assert "cms_storage_garbage 0.0" in text
    assert "cms_live_subscribers 0.0" in text
    if db.startswith("postgres"):
        assert 'cms_db_pool_connections{state="max"}' in text
        assert 'cms_db_pool_connections{state="in_use"}' in text
    else:
        assert "cms_db_pool_connections{" not in text  # SQLite has no pool


def test_operation_names_are_a_bounded_label() -> None:
    """Clients choose operation names: a flood of new ones cannot grow the metric
    without bound, and nothing but a GraphQL name becomes a label."""
    metrics = Metrics()
    labels = {metrics.operation_label(f"Op{i}") for i in range(MAX_OPERATION_NAMES + 50)}
    assert len(labels) == MAX_OPERATION_NAMES + 1
    assert "other" in labels
    assert metrics.operation_label("Op1") == "Op1"  # known names keep their label
    fresh = Metrics()
    assert fresh.operation_label('x"} 1\nevil{') == "other"
    assert fresh.operation_label(None) == "anonymous"


def test_json_log_format() -> None:
    """Each record is one JSON object a line, with the request id of its request."""
    program = """
import logging
from cms.logs import REQUEST_ID, configure_logging
configure_logging(fmt="json", level="INFO")
REQUEST_ID.set("req-0123456789")
logging.getLogger("cms.test").warning("disk %s", "full", extra={"free_bytes": 0})
logging.getLogger("tortoise.db_client").info("SELECT hidden")
"""
    result = subprocess.run(  # noqa: S603 -- our own interpreter
        [sys.executable, "-c", program], capture_output=True, text=True, check=True, timeout=60
    )
    (line,) = result.stderr.splitlines()
    record = json.loads(line)
    assert record["message"] == "disk full"
    assert record["level"] == "WARNING"
    assert record["logger"] == "cms.test"
    assert record["request_id"] == "req-0123456789"
    assert record["free_bytes"] == 0
    assert "time" in record


async def test_cache_hits_are_logged_at_debug(
    db: str, clock: FixedClock, passwords: Passwords, caplog: pytest.LogCaptureFixture
) -> None:
    """A hit costs less than an INFO record would: it is recorded only at DEBUG."""
    app = create_app(
        settings_for(db, response_cache=True), clock=clock, passwords=passwords, background=False
    )
    query = {"query": "query Front { tags { name } }"}
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            caplog.set_level(logging.INFO, logger=ACCESS_LOGGER)
            await client.post("/graphql", json=query)
            await client.post("/graphql", json=query)  # a hit
            assert [r.cached for r in _access(caplog)] == [False]  # type: ignore[attr-defined]
            caplog.set_level(logging.DEBUG, logger=ACCESS_LOGGER)
            hit = await client.post("/graphql", json=query)
    (record,) = [r for r in _access(caplog) if r.levelno == logging.DEBUG]
    assert record.cached is True  # type: ignore[attr-defined]
    assert record.request_id == hit.headers["x-request-id"]  # type: ignore[attr-defined]
