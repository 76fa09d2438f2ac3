"""Subprocesses the benchmark starts, and how it makes sure none outlives it.

Every child gets its own session (so its own process group): Ctrl-C in the
terminal reaches only the harness, which then stops each group in turn, TERM
first and KILL after a grace period, from a `finally`. A child's own children (a
uvicorn reloader, wrk's threads) go with its group.

If the harness itself is killed outright (SIGKILL, so no `finally` runs), the
kernel still stops its children: each asks for SIGTERM when its parent dies
(`PR_SET_PDEATHSIG`) before it execs.

CPU accounting: a server's CPU time is read from `/proc/<pid>/stat` (all its
threads) before and after a measured window; a load generator's comes from
`wait4()`'s resource usage when it exits, which counts every CPU second it used.
"""

from __future__ import annotations

import contextlib
import ctypes
import http.client
import os
import signal
import socket
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """Runs in the child between fork and exec: SIGTERM when the harness dies."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)


class BenchError(Exception):
    """The benchmark cannot go on; the message says why, in one line."""


@dataclass
class Child:
    """One started subprocess and where its output goes."""

    name: str
    proc: subprocess.Popen[bytes]
    log_path: Path

    @property
    def pid(self) -> int:
        return self.proc.pid

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


@dataclass
class Exited:
    """How a waited-for child ended and the CPU it used."""

    returncode: int
    wall_seconds: float
    cpu_seconds: float


@dataclass
class Processes:
    """The harness's children; leaving the `with` block stops all that still run."""

    grace_seconds: float = 10.0
    children: list[Child] = field(default_factory=list)

    def __enter__(self) -> Processes:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop_all()

    def start(
        self,
        name: str,
        argv: Sequence[str],
        *,
        log_path: Path,
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
    ) -> Child:
        """Start `argv` in a new session with stdout and stderr in `log_path`."""
        log_path.parent.mkdir(parents=True, exist_ok=True)
        with log_path.open("wb") as log:
            proc = subprocess.Popen(
                list(argv),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=dict(env) if env is not None else None,
                cwd=cwd,
                start_new_session=True,
                preexec_fn=_die_with_parent,  # safe: the harness starts no threads
            )
        child = Child(name, proc, log_path)
        self.children.append(child)
        return child

    def wait(self, child: Child, timeout: float) -> Exited:
        """Wait for `child` to exit on its own and return its CPU use (from
        `wait4`, so nothing it used is missed); kill it if it overstays."""
        started = time.perf_counter()
        deadline = started + timeout
        while True:
            pid, status, usage = os.wait4(child.pid, os.WNOHANG)
            if pid == child.pid:
                child.proc.returncode = os.waitstatus_to_exitcode(status)
                self.children.remove(child)
                return Exited(
                    returncode=child.proc.returncode,
                    wall_seconds=time.perf_counter() - started,
                    cpu_seconds=usage.ru_utime + usage.ru_stime,
                )
            if time.perf_counter() > deadline:
                self.stop(child)
                raise BenchError(f"{child.name} did not finish within {timeout:.0f} s")
            time.sleep(0.05)

    def stop(self, child: Child, sig: signal.Signals = signal.SIGTERM) -> None:
        """Stop `child`'s process group: `sig`, then KILL after the grace period."""
        if child in self.children:
            self.children.remove(child)
        if child.proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(child.pid, sig)
        try:
            child.proc.wait(timeout=self.grace_seconds)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(child.pid, signal.SIGKILL)
            child.proc.wait()
        # Grandchildren left in the group (there should be none) go too.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(child.pid, signal.SIGKILL)

    def stop_all(self) -> None:
        """Stop every child still running, newest first. A second Ctrl-C while
        this runs must not leave the rest behind, so it is shielded."""
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
        try:
            for child in reversed(list(self.children)):
                self.stop(child)
        finally:
            signal.signal(signal.SIGINT, previous)


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a running process, all threads included."""
    with open(f"/proc/{pid}/stat") as fh:
        stat = fh.read()
    # The command name (field 2) may contain spaces: count fields after its ')'.
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    content_type: str
    body: bytes
    # lower-cased header names; the last value of a repeated header
    headers: dict[str, str] = field(default_factory=dict)
    # from sending the request to the last byte of the answer, connection set-up excluded
    seconds: float = 0.0


def request(
    port: int,
    method: str,
    path: str,
    body: bytes | None = None,
    timeout: float = 30.0,
    headers: Mapping[str, str] | None = None,
) -> Answer:
    """One HTTP/1.1 request to 127.0.0.1:`port`."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.connect()
        sent = {"Content-Type": "application/json"} if body is not None else {}
        sent.update(headers or {})
        started = time.perf_counter()
        conn.request(method, path, body=body, headers=sent)
        response = conn.getresponse()
        data = response.read()
        seconds = time.perf_counter() - started
        return Answer(
            response.status,
            response.getheader("content-type", ""),
            data,
            {k.lower(): v for k, v in response.getheaders()},
            seconds,
        )
    finally:
        conn.close()


def wait_until_healthy(
    child: Child, port: int, path: str = "/healthz", timeout: float = 60.0
) -> float:
    """Poll `path` until it answers 200; seconds it took. Fails fast if the
    server exits, showing the end of its log."""
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        if child.proc.poll() is not None:
            raise BenchError(
                f"{child.name} exited with {child.proc.returncode} before it was healthy:\n"
                + child.log_tail()
            )
        try:
            if request(port, "GET", path, timeout=2.0).status == 200:
                return time.perf_counter() - started
        except OSError:
            pass
        time.sleep(0.1)
    raise BenchError(f"{child.name} was not healthy after {timeout:.0f} s:\n" + child.log_tail())
