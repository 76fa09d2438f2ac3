"""Live events through real servers: a websocket client (graphql-transport-ws)
against uvicorn; and two uvicorn instances on one PostgreSQL and Redis, where a
publish on one reaches a subscriber on the other, and a scheduled publication
makes exactly one event and one webhook delivery."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
import websockets
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from conftest import (
    POSTGRES_URL,
    REDIS_URL,
    SECRET,
    _free_port,
    create_pg_database,
    drop_pg_database,
    unique_name,
)

PASSWORD = "a long enough password"
SUBSCRIBE = "subscription { feedEvents { type id item { headline } } }"
WAIT = 20.0  # seconds to wait for an event before failing (never slept through)


def _env(database_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CMS_")}
    env.update(CMS_DATABASE_URL=database_url, CMS_SECRET_KEY=SECRET, CMS_ENV="test", **extra)
    return env


def _createuser(env: dict[str, str], cwd: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "cms.cli",
            "createuser",
            "--email",
            "desk@example.org",
            "--name",
            "Desk",
            "--role",
            "ADMIN",
        ],
        input=PASSWORD + "\n",
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )


@contextmanager
def instance(env: dict[str, str], cwd: Path) -> Iterator[str]:
    """One uvicorn process serving the app; its base URL."""
    port = _free_port()
    process = subprocess.Popen(  # noqa: S603 -- our own interpreter on loopback
        [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            "cms.app:app_from_environment",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        env=env,
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(400):  # until it listens
            try:
                if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None:
                raise RuntimeError("the app did not start")
            import time

            time.sleep(0.05)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=20)


async def _login(base: str) -> dict[str, str]:
    async with httpx.AsyncClient() as client:
        result = (
            await client.post(
                base + "/graphql",
                json={
                    "query": (
                        f'mutation {{ login(email: "desk@example.org", password: "{PASSWORD}") {{ token }} }}'
                    )
                },
            )
        ).json()
    return {"Authorization": f"Bearer {result['data']['login']['token']}"}


async def _gql(base: str, query: str, headers: dict[str, str], **variables: Any) -> dict[str, Any]:
    async with httpx.AsyncClient() as client:
        response = await client.post(
            base + "/graphql", json={"query": query, "variables": variables}, headers=headers
        )
    body: dict[str, Any] = response.json()
    assert "errors" not in body, body
    return body


@asynccontextmanager
async def subscribed(base: str) -> AsyncIterator[Any]:
    """A graphql-transport-ws connection subscribed to feedEvents."""
    url = base.replace("http://", "ws://") + "/graphql"
    async with websockets.connect(url, subprotocols=["graphql-transport-ws"]) as ws:  # type: ignore[list-item]
        await ws.send(json.dumps({"type": "connection_init"}))
        assert json.loads(await asyncio.wait_for(ws.recv(), WAIT))["type"] == "connection_ack"
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": SUBSCRIBE}}))
        yield ws


async def next_event(ws: Any) -> dict[str, Any]:
    while True:
        message = json.loads(await asyncio.wait_for(ws.recv(), WAIT))
        if message["type"] == "next":
            event: dict[str, Any] = message["payload"]["data"]["feedEvents"]
            return event
        assert message["type"] in ("ping", "pong"), message


CREATE = """mutation($h: String!) { createFeedItem(input: {kind: UPDATE, headline: $h}) { id } }"""
PUBLISH = (
    "mutation($id: ID!, $at: DateTime) { publishFeedItem(id: $id, publishAt: $at) { status } }"
)


async def test_subscription_over_a_real_websocket(tmp_path: Path) -> None:
    """A subscriber connected to uvicorn hears PUBLISHED with the item, then UNPUBLISHED."""
    env = _env(f"sqlite://{tmp_path / 'live.sqlite3'}", CMS_MEDIA_ROOT=str(tmp_path / "media"))
    _createuser(env, tmp_path)
    with instance(env, tmp_path) as base:
        auth = await _login(base)
        async with subscribed(base) as ws:
            item = (await _gql(base, CREATE, auth, h="Live from Kharkiv"))["data"]["createFeedItem"]
            await _gql(base, PUBLISH, auth, id=item["id"])
            event = await next_event(ws)
            assert event == {
                "type": "PUBLISHED",
                "id": item["id"],
                "item": {"headline": "Live from Kharkiv"},
            }
            await _gql(
                base,
                "mutation($id: ID!) { unpublishFeedItem(id: $id) { status } }",
                auth,
                id=item["id"],
            )
            assert await next_event(ws) == {"type": "UNPUBLISHED", "id": item["id"], "item": None}
        url = base.replace("http://", "ws://") + "/graphql"
        with pytest.raises(websockets.exceptions.InvalidStatus):
            async with websockets.connect(
                url,
                subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
                origin="https://evil.example",  # type: ignore[arg-type]
            ):
                pass  # a page on another site may not listen in


class Hooks:
    """A real HTTP webhook receiver on loopback, run in the test's event loop."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.arrived = asyncio.Event()

    async def endpoint(self, request: Request) -> Response:
        self.received.append(json.loads(await request.body()))
        self.arrived.set()
        return Response(status_code=204)


@pytest.mark.skipif(
    POSTGRES_URL is None or REDIS_URL is None,
    reason="needs CMS_TEST_POSTGRES_URL and CMS_TEST_REDIS_URL",
)
async def test_two_instances_share_events_and_schedules(tmp_path: Path) -> None:
    """Publish on instance A, hear it on instance B; a scheduled publication is
    announced once (one event, one webhook delivery) though both instances run
    the scheduler."""
    assert REDIS_URL is not None
    name = unique_name("cms_live")
    database = await create_pg_database(name)
    hooks = Hooks()
    port = _free_port()
    receiver = uvicorn.Server(
        uvicorn.Config(
            Starlette(routes=[Route("/hook", hooks.endpoint, methods=["POST"])]),
            host="127.0.0.1",
            port=port,
            log_level="warning",
        )
    )
    serving = asyncio.create_task(receiver.serve())
    try:
        env = _env(
            database,
            CMS_REDIS_URL=REDIS_URL,
            CMS_WEBHOOK_ALLOW_PRIVATE="1",
            CMS_MEDIA_ROOT=str(tmp_path / "media"),
        )
        await asyncio.to_thread(_createuser, env, tmp_path)
        with instance(env, tmp_path) as a, instance(env, tmp_path) as b:
            auth = await _login(a)
            await _gql(
                a,
                """mutation($url: String!) { createWebhook(input: {url: $url,
                events: ["feed_item.published"]}) { secret } }""",
                auth,
                url=f"http://127.0.0.1:{port}/hook",
            )
            async with subscribed(b) as ws:
                item = (await _gql(a, CREATE, auth, h="Heard on B"))["data"]["createFeedItem"]
                await _gql(a, PUBLISH, auth, id=item["id"])
                assert (await next_event(ws))["item"] == {"headline": "Heard on B"}
                await asyncio.wait_for(hooks.arrived.wait(), WAIT)
                hooks.arrived.clear()
                scheduled = (await _gql(b, CREATE, auth, h="At its time"))["data"]["createFeedItem"]
                at = datetime.now(UTC) + timedelta(seconds=2)
                result = await _gql(b, PUBLISH, auth, id=scheduled["id"], at=at.isoformat())
                assert result["data"]["publishFeedItem"]["status"] == "SCHEDULED"
                event = await next_event(ws)
                assert (event["type"], event["id"]) == ("PUBLISHED", scheduled["id"])
                await asyncio.wait_for(hooks.arrived.wait(), WAIT)
                # the next event is a later publication, not a second announcement
                marker = (await _gql(a, CREATE, auth, h="Marker"))["data"]["createFeedItem"]
                await _gql(a, PUBLISH, auth, id=marker["id"])
                assert (await next_event(ws))["id"] == marker["id"]
        ids = [h["data"]["id"] for h in hooks.received]
        assert ids.count(scheduled["id"]) == 1
        assert ids.count(item["id"]) == 1
    finally:
        receiver.should_exit = True
        await serving
        await drop_pg_database(name)
