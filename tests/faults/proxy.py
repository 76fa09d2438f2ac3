"""A loopback TCP proxy that a test can cut and restore, so one running app sees a
dependency (PostgreSQL, S3) die and come back without being rebuilt.

No library on the registries does exactly this without a server binary of its own
(toxiproxy is a Go program), so it is a few dozen lines of asyncio here.

    proxy = await TCPProxy.start("127.0.0.1", 5432)   # the app connects to proxy.port
    proxy.cut()        # every open connection dropped, new ones refused
    await proxy.restore()
    await proxy.close()

`cut()` is synchronous, so it can be called from anywhere on the event loop's
thread, a logging handler in the middle of a transaction included.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import urlsplit

_CHUNK = 64 * 1024


@asynccontextmanager
async def proxy_to(url: str, default_port: int) -> AsyncIterator[TCPProxy]:
    """A proxy in front of the server of `url` (postgres://, redis://, http://)."""
    server = urlsplit(url)
    proxy = await TCPProxy.start(server.hostname or "127.0.0.1", server.port or default_port)
    try:
        yield proxy
    finally:
        await proxy.close()


class TCPProxy:
    """Forwards every connection on 127.0.0.1:`port` to `upstream`, byte for byte."""

    def __init__(self, upstream_host: str, upstream_port: int) -> None:
        self.upstream = (upstream_host, upstream_port)
        self.port = 0
        self.accepted = 0  # connections forwarded since start: shows the app really came
        self._server: asyncio.Server | None = None
        self._transports: set[asyncio.WriteTransport] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    @classmethod
    async def start(cls, upstream_host: str, upstream_port: int) -> TCPProxy:
        proxy = cls(upstream_host, upstream_port)
        await proxy._listen()
        return proxy

    @property
    def is_up(self) -> bool:
        return self._server is not None

    @property
    def open_connections(self) -> int:
        """Client-side and upstream-side sockets currently open, counted separately."""
        return len(self._transports)

    async def _listen(self) -> None:
        # the same port again after a cut: the app's configuration names it
        self._server = await asyncio.start_server(
            self._handle, "127.0.0.1", self.port, reuse_address=True
        )
        self.port = self._server.sockets[0].getsockname()[1]

    def cut(self) -> None:
        """Stops listening (a new connection is refused, as by a stopped server) and
        drops every open connection on both sides at once."""
        if self._server is not None:
            self._server.close()
            self._server = None
        for transport in list(self._transports):
            transport.abort()
        self._transports.clear()

    async def restore(self) -> None:
        """Listens again on the same port; nothing else is needed for the app to
        reconnect."""
        if self._server is None:
            await self._listen()

    async def close(self) -> None:
        self.cut()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        sides = {writer.transport}
        self._transports |= sides
        try:
            try:
                up_reader, up_writer = await asyncio.open_connection(*self.upstream)
            except OSError:
                return
            sides.add(up_writer.transport)
            if writer.transport.is_closing():  # cut while connecting upstream
                return
            self._transports |= sides
            self.accepted += 1
            up_writer.transport.get_extra_info("socket").setsockopt(
                socket.IPPROTO_TCP, socket.TCP_NODELAY, 1
            )
            await asyncio.gather(_pump(reader, up_writer), _pump(up_reader, writer))
        finally:
            for transport in sides:
                transport.abort()
            self._transports -= sides
            self._tasks.discard(task)


async def _pump(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
    """Copies one direction until the end of the stream or a dropped connection, then
    closes the other side (which ends the opposite direction too)."""
    try:
        while data := await source.read(_CHUNK):
            sink.write(data)
            await sink.drain()
    except OSError:  # ConnectionResetError and friends: a cut aborted this side
        pass
    finally:
        sink.transport.close()
