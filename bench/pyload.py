"""The fallback load generator, for machines without wrk: `python -m bench.pyload`.

Raw asyncio sockets with HTTP/1.1 keep-alive, one task per connection, each
sending its next request when the previous answer is complete (closed loop, like
wrk). Requests are pre-encoded bytes and answers are only framed (status line,
Content-Length or chunked), never JSON-decoded, so the generator stays cheap.
It is still Python: on two cores it can take a noticeable share of the CPU,
which it measures and reports (`cpu_seconds` over the load window).

Only requests that complete before the deadline count; their latencies are kept
in full, so the percentiles are exact.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bench.load import RESULT_MARKER

ERRORS_KEY = b'"errors"'


@dataclass
class Tally:
    """Counters shared by all connection tasks (one event loop: no locks)."""

    latencies_ns: list[int] = field(default_factory=list)
    bytes_read: int = 0
    bad: int = 0
    connect: int = 0
    read: int = 0
    write: int = 0
    timeout: int = 0


async def _read_answer(reader: asyncio.StreamReader) -> tuple[int, bytes, int]:
    """One HTTP/1.1 answer: (status, body, bytes on the wire)."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split(b" ", 2)[1])
    length = None
    chunked = False
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value.strip())
        elif name == b"transfer-encoding" and b"chunked" in value.lower():
            chunked = True
    if chunked:
        parts: list[bytes] = []
        wire = len(head)
        while True:
            size_line = await reader.readuntil(b"\r\n")
            size = int(size_line.split(b";")[0], 16)
            chunk = await reader.readexactly(size + 2)
            wire += len(size_line) + len(chunk)
            if size == 0:
                return status, b"".join(parts), wire
            parts.append(chunk[:-2])
    body = await reader.readexactly(length or 0)
    return status, body, len(head) + len(body)


async def _connection(
    request: bytes, port: int, deadline: float, tally: Tally, read_timeout: float
) -> None:
    writer: asyncio.StreamWriter | None = None
    reader: asyncio.StreamReader | None = None
    while time.perf_counter() < deadline:
        if writer is None:
            try:
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
            except OSError:
                tally.connect += 1
                await asyncio.sleep(0.05)
                continue
        assert reader is not None
        started = time.perf_counter_ns()
        try:
            writer.write(request)
            await writer.drain()
        except OSError:
            tally.write += 1
            writer = None
            continue
        try:
            status, body, wire = await asyncio.wait_for(_read_answer(reader), read_timeout)
        except TimeoutError:
            tally.timeout += 1
            writer.close()
            writer = None
            continue
        except (OSError, asyncio.IncompleteReadError, ValueError, IndexError):
            tally.read += 1
            writer.close()
            writer = None
            continue
        if time.perf_counter() >= deadline:
            break  # finished after the window closed: not counted, like wrk
        tally.latencies_ns.append(time.perf_counter_ns() - started)
        tally.bytes_read += wire
        if not 200 <= status <= 299 or ERRORS_KEY in body:
            tally.bad += 1
    if writer is not None:
        writer.close()


def _percentile(sorted_values: Sequence[int], pct: float) -> float:
    if not sorted_values:
        return 0.0
    rank = max(0, math.ceil(pct / 100 * len(sorted_values)) - 1)
    return float(sorted_values[rank])


async def drive(port: int, body: bytes, connections: int, seconds: float) -> dict[str, float]:
    """Load POST /graphql on 127.0.0.1:`port` for `seconds`; wrk-shaped totals."""
    request = (
        b"POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
    )
    tally = Tally()
    cpu_started = time.process_time()
    started = time.perf_counter()
    deadline = started + seconds
    await asyncio.gather(
        *(
            _connection(request, port, deadline, tally, read_timeout=10.0)
            for _ in range(connections)
        )
    )
    wall = min(time.perf_counter(), deadline) - started
    cpu = time.process_time() - cpu_started
    latencies = sorted(tally.latencies_ns)
    return {
        "requests": len(latencies),
        "duration_us": wall * 1e6,
        "bytes": tally.bytes_read,
        "bad": tally.bad,
        "connect": tally.connect,
        "read": tally.read,
        "write": tally.write,
        "status": 0,
        "timeout": tally.timeout,
        "p50_us": _percentile(latencies, 50) / 1000,
        "p90_us": _percentile(latencies, 90) / 1000,
        "p99_us": _percentile(latencies, 99) / 1000,
        "max_us": (latencies[-1] / 1000) if latencies else 0.0,
        "mean_us": (sum(latencies) / len(latencies) / 1000) if latencies else 0.0,
        "cpu_seconds": cpu,
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.pyload")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--body-file", type=Path, required=True)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args(argv)
    work = drive(args.port, args.body_file.read_bytes(), args.connections, args.seconds)
    try:
        import uvloop  # the cheapest loop available keeps the generator's share down
    except ImportError:
        result = asyncio.run(work)
    else:
        result = uvloop.run(work)
    print(RESULT_MARKER + json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
