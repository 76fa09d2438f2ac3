"""`cms serve` stopped with SIGTERM, as an orchestrator stops it: the request in
flight is answered, websockets are closed with 1012 (service restart: clients
reconnect elsewhere), the background work stops, the process ends. Its log is
JSON, one object a line, with the request id, operation and caller."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
import websockets

from conftest import SECRET, _free_port

SLOW = b'{"query": "query Slow { tags { name } }"}'


async def _serve(tmp_path: Path) -> tuple[asyncio.subprocess.Process, str, Path]:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CMS_")}
    env.update(
        CMS_DATABASE_URL=f"sqlite://{tmp_path}/cms.sqlite3",
        CMS_SECRET_KEY=SECRET,
        CMS_MEDIA_ROOT=str(tmp_path / "media"),
        CMS_LOG_FORMAT="json",
    )
    log_path = tmp_path / "server.log"
    with log_path.open("wb") as log:
        process = await asyncio.create_subprocess_exec(
            *(sys.executable, "-m", "cms.cli", "serve", "--port", str(port)),
            env=env,
            cwd=tmp_path,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    async with httpx.AsyncClient() as client:
        for _ in range(600):  # until it listens (migrations first)
            try:
                if (await client.get(base + "/healthz", timeout=1)).status_code == 200:
                    return process, base, log_path
            except httpx.TransportError:
                pass
            if process.returncode is not None:
                raise RuntimeError("cms serve did not start: " + log_path.read_text())
            await asyncio.sleep(0.05)
    raise RuntimeError("cms serve did not listen")


async def test_sigterm_finishes_requests_and_closes_websockets(tmp_path: Path) -> None:
    process, base, log_path = await _serve(tmp_path)
    try:
        ws = await websockets.connect(
            base.replace("http://", "ws://") + "/graphql",
            subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
        )
        await ws.send(json.dumps({"type": "connection_init"}))
        assert json.loads(await asyncio.wait_for(ws.recv(), 10))["type"] == "connection_ack"
        await ws.send(
            json.dumps(
                {
                    "id": "1",
                    "type": "subscribe",
                    "payload": {"query": "subscription { feedEvents { id } }"},
                }
            )
        )

        async with httpx.AsyncClient() as client:
            for _ in range(100):  # the subscription starts as the message is handled
                metrics = (await client.get(base + "/metrics")).text
                if "cms_live_subscribers 1.0" in metrics:
                    break
                await asyncio.sleep(0.02)
        assert "cms_live_subscribers 1.0" in metrics

        # a request in flight: its headers and half its body are sent...
        port = int(base.rsplit(":", 1)[1])
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(
            b"POST /graphql HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
            b"X-Request-ID: in-flight-0001\r\n"
            + f"Content-Length: {len(SLOW)}\r\n\r\n".encode()
            + SLOW[:20]
        )
        await writer.drain()

        process.send_signal(signal.SIGTERM)

        # ...the websocket is closed with "service restart"...
        with pytest.raises(websockets.ConnectionClosed) as closed:
            while True:
                await asyncio.wait_for(ws.recv(), 20)
        assert closed.value.rcvd is not None
        assert closed.value.rcvd.code == 1012

        # ...and the rest of the body still gets its answer
        writer.write(SLOW[20:])
        await writer.drain()
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 20)
        assert head.startswith(b"HTTP/1.1 200"), head
        length = next(
            int(line.split(b":")[1])
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length")
        )
        body = json.loads(await reader.readexactly(length))
        assert body == {"data": {"tags": []}}
        writer.close()

        # uvicorn ends by re-raising the signal once shut down
        assert await asyncio.wait_for(process.wait(), 25) in (0, -signal.SIGTERM)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()

    records = [json.loads(line) for line in log_path.read_text().splitlines() if line.strip()]
    (access,) = [r for r in records if r.get("request_id") == "in-flight-0001"]
    assert access["logger"] == "cms.access"
    assert access["operation"] == "Slow"
    assert access["caller"] == "public"
    assert access["status"] == 200
    assert access["duration_ms"] > 0
    messages = [r["message"] for r in records]
    assert "background work stopped" in messages
    assert "Application shutdown complete." in messages
    assert all({"time", "level", "logger", "message"} <= r.keys() for r in records)
