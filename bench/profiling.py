"""`--profile`: where one server process spends its time under load.

py-spy attaches to the running uvicorn worker (no restart, no code change, so the
server measured is the server benchmarked) for the measured window only, and
records collapsed stacks (`--format raw`, readable by speedscope.app and
flamegraph.pl). The harness then summarises them as text:

- by layer: each sample is charged to the innermost frame that belongs to a
  known layer (graphql-core execution, strawberry's wrappers, Tortoise row
  building, SQL building, the SQLite driver, JSON, ...), skipping generic stdlib
  frames (asyncio, enum, typing, functools...) so that `enum.__call__` under
  Tortoise counts as Tortoise. The layers add up to 100 % of busy samples.
- by function, own time (the sample's leaf) and cumulative time (anywhere on the
  stack).

Idle samples (a thread waiting in epoll or on a queue) are left out by py-spy,
so percentages are of busy time; the event-loop thread's busy share is reported
separately against the wall clock.
"""

from __future__ import annotations

import re
import shutil
import sys
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bench.procs import BenchError, Child, Processes

REPO = str(Path(__file__).resolve().parent.parent)

_FRAME = re.compile(r"^(?P<func>.*) \((?P<file>.*?)(?::(?P<line>\d+))?\)$")

# Frames that do work on behalf of their caller: a sample whose leaf is here is
# charged to the nearest caller outside them.
_GENERIC = (
    "/asyncio/",
    "uvloop",
    "/functools.py",
    "/typing.py",
    "/enum.py",
    "/contextlib.py",
    "/inspect.py",
    "/abc.py",
    "/dataclasses.py",
    "/copy.py",
    "/weakref.py",
    "/_weakrefset.py",
    "/re/",
    "/collections/",
    "/types.py",
    "/threading.py",
    "/queue.py",
    "/concurrent/",
    "<frozen",
)

# (substring of the file path, layer); the first match wins.
_LAYERS: tuple[tuple[str, str], ...] = (
    ("/aiosqlite/", "SQLite driver (aiosqlite thread, sqlite3)"),
    ("/sqlite3/", "SQLite driver (aiosqlite thread, sqlite3)"),
    ("/asyncpg/", "asyncpg driver"),
    ("/pypika", "Tortoise: SQL text building (pypika)"),
    ("/tortoise/backends/", "Tortoise: executor, row decoding"),
    ("/tortoise/models.py", "Tortoise: Model instances from rows"),
    ("/tortoise/fields/", "Tortoise: field conversion (to_python)"),
    ("/tortoise/queryset.py", "Tortoise: queryset building"),
    ("/tortoise/query_utils.py", "Tortoise: queryset building"),
    ("/tortoise/expressions.py", "Tortoise: queryset building"),
    ("/tortoise/filters.py", "Tortoise: queryset building"),
    ("/tortoise/", "Tortoise: other"),
    ("/graphql/execution/", "graphql-core: execution"),
    ("/graphql/validation/", "graphql-core: validation"),
    # the AST visitor is validation's engine (parsing does not use it)
    ("/graphql/language/visitor.py", "graphql-core: validation"),
    ("/graphql/language/", "graphql-core: parsing"),
    # collect_fields' group_by and RefMap live in pyutils: execution's helpers
    ("/graphql/pyutils/", "graphql-core: execution"),
    ("/graphql/", "graphql-core: other (types, utilities)"),
    ("/strawberry/dataloader.py", "strawberry: DataLoader"),
    ("/strawberry/schema/schema_converter.py", "strawberry: field/resolver wrappers"),
    ("/strawberry/types/fields/resolver.py", "strawberry: field/resolver wrappers"),
    ("/strawberry/extensions/", "strawberry: extensions"),
    ("/strawberry/http/", "strawberry: HTTP view"),
    ("/strawberry/asgi/", "strawberry: HTTP view"),
    ("/strawberry/schema/", "strawberry: schema execute"),
    ("/strawberry/", "strawberry: other (types, relay)"),
    ("/json/", "JSON (stdlib json)"),
    ("/starlette/", "Starlette"),
    ("/uvicorn/", "uvicorn, httptools"),
    ("/httptools/", "uvicorn, httptools"),
    ("/logging/", "logging"),
    # the response cache in front of GraphQL (the whole of a hit's own work)
    (f"{REPO}/schema/http_cache.py", "app: HTTP cache (schema/http_cache.py)"),
    (f"{REPO}/cms/delivery/response_cache.py", "app: HTTP cache (cms/delivery/response_cache.py)"),
    (f"{REPO}/cms/", "app: cms/"),
    (f"{REPO}/schema/", "app: schema/"),
)
EVENT_LOOP = "event loop, other"

# Frames every request passes through (process start-up, the middleware chain):
# they would fill the top of the cumulative list and tell nothing.
_PLUMBING = (
    *_GENERIC,
    "/click/",
    "/uvicorn/main.py",
    "/uvicorn/server.py",
    "/uvicorn/__main__.py",
    "/uvicorn/_compat.py",
    "/uvicorn/middleware/",
    "/starlette/middleware/",
    "/starlette/routing.py",
    "/starlette/_exception_handler.py",
    "/starlette/applications.py",
)


@dataclass(frozen=True, slots=True)
class Frame:
    func: str
    file: str

    @property
    def short(self) -> str:
        """`func (pkg/module.py)` without the site-packages or checkout prefix."""
        path = self.file
        for marker in ("/site-packages/", "/lib/python3.", f"{REPO}/"):
            if marker in path:
                path = path.split(marker, 1)[1]
                if marker == "/lib/python3.":
                    path = "stdlib/" + path.split("/", 1)[-1]
                break
        return f"{self.func} ({path})"


def parse_frame(text: str) -> Frame:
    match = _FRAME.match(text)
    if match is None:
        return Frame(text, "")
    return Frame(match["func"], match["file"])


def parse_collapsed(lines: Iterable[str]) -> list[tuple[list[Frame], int]]:
    """py-spy's raw format: `root;...;leaf COUNT` per line."""
    stacks: list[tuple[list[Frame], int]] = []
    for line in lines:
        line = line.rstrip("\n")
        if not line:
            continue
        stack, _, count = line.rpartition(" ")
        stacks.append(([parse_frame(f) for f in stack.split(";")], int(count)))
    return stacks


def layer_of(stack: list[Frame]) -> str:
    """The layer a sample is charged to: its innermost non-generic known frame."""
    for frame in reversed(stack):
        if any(g in frame.file for g in _GENERIC):
            continue
        for marker, layer in _LAYERS:
            if marker in frame.file:
                return layer
    return EVENT_LOOP


def _is_worker_thread(stack: list[Frame]) -> bool:
    # Threads other than the main one start in threading's bootstrap.
    return bool(stack) and stack[0].file.endswith("threading.py")


def _is_driver_wait(stack: list[Frame]) -> bool:
    """aiosqlite's worker thread blocked in its queue's `get()` (for work, or to
    take the GIL back from the busy event loop). py-spy does not see that wait as
    idle, but it burns no CPU: such samples are counted apart, not as busy."""
    leaf = stack[-1]
    return leaf.func == "_connection_worker_thread" and "/aiosqlite/" in leaf.file


@dataclass(frozen=True, slots=True)
class ProfileSummary:
    samples: int
    rate_hz: int
    seconds: float
    loop_thread_samples: int
    worker_thread_samples: int
    driver_wait_samples: int  # left out of every percentage (see _is_driver_wait)
    groups: list[tuple[str, float]]  # layers rolled up by library
    layers: list[tuple[str, float]]  # (layer, % of busy samples), largest first
    loop_layers: list[tuple[str, float]]  # the same, event-loop thread only
    own: list[tuple[str, float]]  # (function, % of busy samples)
    cumulative: list[tuple[str, float]]

    @property
    def loop_busy_share(self) -> float:
        """The event-loop thread's busy time over the wall clock (1.0 = never idle)."""
        expected = self.rate_hz * self.seconds
        return self.loop_thread_samples / expected if expected else 0.0

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["loop_busy_share"] = round(self.loop_busy_share, 3)
        return data


def summarise(
    stacks: list[tuple[list[Frame], int]], *, rate_hz: int, seconds: float, top: int = 25
) -> ProfileSummary:
    driver_wait = sum(n for stack, n in stacks if _is_driver_wait(stack))
    stacks = [(stack, n) for stack, n in stacks if not _is_driver_wait(stack)]
    total = sum(n for _, n in stacks) or 1
    layers: Counter[str] = Counter()
    loop_layers: Counter[str] = Counter()
    own: Counter[str] = Counter()
    cumulative: Counter[str] = Counter()
    groups: Counter[str] = Counter()
    loop_samples = worker_samples = 0
    for stack, n in stacks:
        layer = layer_of(stack)
        layers[layer] += n
        groups[layer.split(":")[0].split(" (")[0]] += n
        if _is_worker_thread(stack):
            worker_samples += n
        else:
            loop_samples += n
            loop_layers[layer] += n
        own[stack[-1].short] += n
        for name in {f.short for f in stack if not any(p in f.file for p in _PLUMBING)}:
            cumulative[name] += n

    def pct(counter: Counter[str], of: int, limit: int | None = None) -> list[tuple[str, float]]:
        return [(k, round(100 * v / (of or 1), 1)) for k, v in counter.most_common(limit)]

    return ProfileSummary(
        samples=total,
        rate_hz=rate_hz,
        seconds=seconds,
        loop_thread_samples=loop_samples,
        worker_thread_samples=worker_samples,
        driver_wait_samples=driver_wait,
        groups=pct(groups, total),
        layers=pct(layers, total),
        loop_layers=pct(loop_layers, loop_samples),
        own=pct(own, total, top),
        cumulative=pct(cumulative, total, top),
    )


def format_summary(summary: ProfileSummary, title: str) -> str:
    """The text printed after a profile run (and saved next to the raw stacks)."""
    out = [
        f"Profile of {title}: {summary.samples} busy samples at {summary.rate_hz} Hz"
        f" over {summary.seconds:.0f} s",
        f"  event-loop thread busy {100 * summary.loop_busy_share:.0f}% of wall time;"
        f" {summary.worker_thread_samples} busy samples in worker threads (the SQLite"
        f" driver's); {summary.driver_wait_samples} samples of the driver thread waiting"
        " on its queue left out",
        "",
        "Where the time goes, by library (% of busy samples, all threads):",
    ]
    out += [f"  {share:5.1f}%  {group}" for group, share in summary.groups]
    out += ["", "By layer (% of busy samples, all threads):"]
    out += [f"  {share:5.1f}%  {layer}" for layer, share in summary.layers]
    out += ["", "Event-loop thread only (% of its busy samples):"]
    out += [f"  {share:5.1f}%  {layer}" for layer, share in summary.loop_layers]
    out += ["", "Top functions by own time (% of busy samples):"]
    out += [f"  {share:5.1f}%  {name}" for name, share in summary.own]
    out += ["", "Top functions by cumulative time (% of busy samples):"]
    out += [f"  {share:5.1f}%  {name}" for name, share in summary.cumulative]
    return "\n".join(out)


def py_spy() -> str:
    """The py-spy executable (the venv's first, then PATH)."""
    beside = Path(sys.executable).parent / "py-spy"
    if beside.exists():
        return str(beside)
    found = shutil.which("py-spy")
    if found is None:
        raise BenchError(
            "--profile needs py-spy: .venv/bin/pip install py-spy (it attaches to the"
            " running server; on a machine that forbids ptrace, run as root)"
        )
    return found


def start_py_spy(
    processes: Processes, *, pid: int, seconds: float, rate_hz: int, output: Path, log: Path
) -> Child:
    """Attach py-spy to `pid` for `seconds`, writing collapsed stacks to `output`."""
    return processes.start(
        "py-spy",
        [
            py_spy(),
            "record",
            f"--pid={pid}",
            f"--duration={max(1, round(seconds))}",
            f"--rate={rate_hz}",
            "--format=raw",
            "--full-filenames",
            f"--output={output}",
        ],
        log_path=log,
    )


def per_request(report: Path) -> tuple[Counter[str], Counter[str], float]:
    """From a `--profile` JSON report: busy microseconds per answered request, by
    layer and by function (own time), and in all. Samples ÷ rate is time on CPU
    (py-spy leaves idle samples out), divided by the requests answered while
    sampled. py-spy slows the process, so absolute figures are inflated;
    comparing two profiles taken the same way is what they are for."""
    import json

    data = json.loads(report.read_text())["profile"]
    requests = data["load_while_profiled"]["requests"] or 1
    scale = 1e6 / data.get("rate_hz", 100) / requests
    with Path(data["raw_stacks"]).open() as fh:
        stacks = [(s, n) for s, n in parse_collapsed(fh) if not _is_driver_wait(s)]
    layers: Counter[str] = Counter()
    own: Counter[str] = Counter()
    for stack, n in stacks:
        layers[layer_of(stack)] += n * scale
        own[stack[-1].short] += n * scale
    return layers, own, sum(n for _, n in stacks) * scale


def format_comparison(a: Path, b: Path, top: int = 25) -> str:
    """Two profiles side by side, in busy µs per request: where `a` spends more."""
    layers_a, own_a, total_a = per_request(a)
    layers_b, own_b, total_b = per_request(b)
    out = [
        f"Busy microseconds per answered request: A = {a.name}, B = {b.name}"
        " (py-spy inflates both; compare the difference)",
        f"  {total_a:8.1f} {total_b:8.1f} {total_a - total_b:+8.1f}  all",
        "",
        "By layer (A, B, A minus B):",
    ]
    for counter_a, counter_b, limit in ((layers_a, layers_b, None), (own_a, own_b, top)):
        keys = sorted(set(counter_a) | set(counter_b), key=lambda k: counter_b[k] - counter_a[k])[
            :limit
        ]
        out += [
            f"  {counter_a[k]:8.2f} {counter_b[k]:8.2f} {counter_a[k] - counter_b[k]:+8.2f}  {k}"
            for k in keys
            if abs(counter_a[k] - counter_b[k]) >= 0.05
        ]
        if limit is None:
            out += ["", f"By function, own time (A, B, A minus B; the {top} largest):"]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    """`python -m bench.profiling STACKS`: summarise a saved raw profile again;
    `--compare A.json B.json`: two `--profile` reports per request, side by side."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m bench.profiling")
    parser.add_argument("stacks", type=Path, nargs="?", help="py-spy --format raw output")
    parser.add_argument("--rate", type=int, default=100, help="samples per second it was taken at")
    parser.add_argument("--seconds", type=float, default=20.0, help="how long it was taken for")
    parser.add_argument(
        "--compare",
        nargs=2,
        type=Path,
        metavar=("A_JSON", "B_JSON"),
        help="two reports of `python -m bench --profile --output X.json`: busy µs per"
        " request by layer and function, and A minus B",
    )
    args = parser.parse_args(argv)
    if args.compare:
        print(format_comparison(*args.compare))
        return 0
    if args.stacks is None:
        parser.error("give STACKS, or --compare A_JSON B_JSON")
    with args.stacks.open() as fh:
        stacks = parse_collapsed(fh)
    summary = summarise(stacks, rate_hz=args.rate, seconds=args.seconds)
    print(format_summary(summary, str(args.stacks)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
