"""What a run found: the machine, the table, and `bench/results/latest.json`.

Everything that could explain a number is recorded with it: core count and CPU
model, versions of the stack, the load generator and its own CPU use, and how
busy the rest of the machine was during each measured window.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import sys
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from bench.load import LoadResult, wrk_version
from bench.procs import CLOCK_TICKS

PACKAGES = (
    "starlette",
    "strawberry-graphql",
    "graphql-core",
    "tortoise-orm",
    "pypika-tortoise",
    "aiosqlite",
    "asyncpg",
    "uvicorn",
    "uvloop",
    "httptools",
    "ciso8601",  # Tortoise parses SQLite's datetime text with it when installed
    "orjson",
    "prometheus-client",  # the app's /metrics, whose middleware every request passes
)

# The app servers measured against the plain endpoint: the same app with the
# response cache off (every request runs GraphQL and SQL) and on (after the
# warm-up every measured request is a hit).
APP_SERVERS = ("uncached", "cached")
SERVERS = (*APP_SERVERS, "plain")

# The targets, as (target, server, at least this times plain's req/s). None: every
# document. A cache hit must come close to serving bytes from memory; the
# uncached target for the articles query is the old one.
TARGETS: tuple[tuple[str | None, str, float], ...] = (
    ("articles", "uncached", 0.12),
    (None, "cached", 0.8),
)

# A window in which other processes kept more than this many cores busy is
# flagged: on 2 cores the server (1 core) and the generator then compete with
# them, and the figure says more about the neighbours than about the app.
DISTURBED_CORES = 0.25


def code_revision(repo: Path) -> dict[str, Any]:
    """The commit measured and whether the app's code differed from it: several
    people edit the tree at once, so a figure is tied to what actually ran."""
    import subprocess

    def git(*args: str) -> str:
        out = subprocess.run(
            ["git", "-C", str(repo), *args], capture_output=True, text=True, check=False
        )
        return out.stdout.strip() if out.returncode == 0 else ""

    changed = git("status", "--porcelain", "--", "cms", "schema", "media", "pyproject.toml")
    return {
        "commit": git("rev-parse", "--short", "HEAD") or None,
        "uncommitted_app_changes": len(changed.splitlines()) if changed else 0,
    }


def machine() -> dict[str, Any]:
    """The facts about this machine and stack that a reader needs to compare runs."""
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    versions: dict[str, str | None] = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return {
        "nproc": len(os.sched_getaffinity(0)),
        "cpu_model": model,
        "python": sys.version.split()[0],
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "loadavg_before": list(os.getloadavg()),
        "packages": versions,
        "wrk": wrk_version(),
    }


def machine_busy_ticks() -> tuple[int, int]:
    """(busy, total) CPU ticks of the whole machine since boot, from /proc/stat."""
    with open("/proc/stat") as fh:
        values = [int(v) for v in fh.readline().split()[1:]]
    # user nice system idle iowait irq softirq steal (guest time is already in user)
    idle = values[3] + values[4]
    total = sum(values[:8])
    return total - idle, total


def busy_cores_between(before: tuple[int, int], after: tuple[int, int], wall: float) -> float:
    """Cores the whole machine kept busy between two `machine_busy_ticks()`."""
    return (after[0] - before[0]) / CLOCK_TICKS / wall if wall > 0 else 0.0


@dataclass(frozen=True, slots=True)
class Measured:
    """One measured window: the load result plus the server's and machine's CPU."""

    target: str  # "articles" or "feed"
    server: str  # "uncached", "cached" or "plain"
    repeat: int
    load: LoadResult
    server_cpu_cores: float
    machine_busy_cores: float
    # the response cache's {"hit": n, "miss": n} over the window (cached app only,
    # when it exposes them on /metrics)
    cache_lookups: dict[str, int] | None = None

    @property
    def other_cpu_cores(self) -> float:
        """CPU used by neither the server nor the generator (the rest of the machine)."""
        return max(
            0.0, self.machine_busy_cores - self.server_cpu_cores - self.load.generator_cpu_cores
        )

    @property
    def disturbed(self) -> bool:
        return self.other_cpu_cores > DISTURBED_CORES

    @property
    def server_cpu_ms_per_request(self) -> float:
        """The server's CPU per answered request (its background work included)."""
        return 1000 * self.server_cpu_cores / self.load.rps if self.load.rps else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "server": self.server,
            "repeat": self.repeat,
            **self.load.as_dict(),
            "server_cpu_cores": round(self.server_cpu_cores, 3),
            "machine_busy_cores": round(self.machine_busy_cores, 3),
            "other_cpu_cores": round(self.other_cpu_cores, 3),
            "server_cpu_ms_per_request": round(self.server_cpu_ms_per_request, 4),
            "cache_lookups": self.cache_lookups,
            "disturbed": self.disturbed,
        }


@dataclass(frozen=True, slots=True)
class Row:
    """The table's line for one (target, server): medians over repeats."""

    target: str
    server: str
    runs: list[Measured]

    def median(self, attr: str) -> float:
        values: list[float] = []
        for run in self.runs:
            source: Any = run.load if hasattr(run.load, attr) else run
            values.append(float(getattr(source, attr)))
        return statistics.median(values)

    @property
    def errors(self) -> int:
        return sum(r.load.errors for r in self.runs)


def rows_of(measured: list[Measured]) -> list[Row]:
    keys: list[tuple[str, str]] = []
    for m in measured:
        if (m.target, m.server) not in keys:
            keys.append((m.target, m.server))
    return [Row(t, s, [m for m in measured if (m.target, m.server) == (t, s)]) for t, s in keys]


def ratios(rows: list[Row]) -> dict[str, dict[str, float]]:
    """App req/s ÷ plain req/s per target and app server (`uncached`, `cached`):
    the median of the per-repeat ratios.

    Each repeat runs the three servers back to back, so a slow spell of a shared
    machine tends to hit all of them; pairing them keeps the ratio steadier than
    the absolute rates (which moved by up to 25 % between repeats here)."""
    by_key = {(r.target, r.server): r for r in rows}
    out: dict[str, dict[str, float]] = {}
    for (target, server), row in by_key.items():
        plain = by_key.get((target, "plain"))
        if server == "plain" or plain is None:
            continue
        plain_rps = {m.repeat: m.load.rps for m in plain.runs}
        paired = [
            m.load.rps / plain_rps[m.repeat] for m in row.runs if plain_rps.get(m.repeat, 0) > 0
        ]
        if paired:
            out.setdefault(target, {})[server] = round(statistics.median(paired), 4)
    return out


def miss_share_bound(rows: list[Row]) -> dict[str, float]:
    """Per target, an upper bound on the share of measured requests to the cached
    app that were not hits: its CPU per request over the uncached app's. A miss
    runs the whole query, so it costs at least what an uncached request does;
    hits cost more than nothing, which makes this an over-estimate."""
    by_key = {(r.target, r.server): r for r in rows}
    out = {}
    for target in {r.target for r in rows}:
        cached, uncached = by_key.get((target, "cached")), by_key.get((target, "uncached"))
        if cached is None or uncached is None:
            continue
        per_uncached = uncached.median("server_cpu_ms_per_request")
        if per_uncached > 0:
            out[target] = round(
                min(1.0, cached.median("server_cpu_ms_per_request") / per_uncached), 4
            )
    return out


def lookups(rows: list[Row]) -> dict[str, dict[str, int]]:
    """Per target, the cached app's cache hits and misses summed over its measured
    windows, next to the answers the load generator counted in them. Hits can
    exceed answers by up to the number of connections per window: answers still
    in flight when the generator stops are served, but not counted."""
    out = {}
    for row in rows:
        counted = [m for m in row.runs if m.cache_lookups is not None]
        if row.server != "cached" or not counted:
            continue
        out[row.target] = {
            "hit": sum(m.cache_lookups["hit"] for m in counted if m.cache_lookups),
            "miss": sum(m.cache_lookups["miss"] for m in counted if m.cache_lookups),
            "requests": sum(m.load.requests for m in counted),
            "windows": len(counted),
        }
    return out


def verdicts(rows: list[Row]) -> list[dict[str, Any]]:
    """Each target that this run measured, with the ratio found and whether it is met."""
    found = ratios(rows)
    out = []
    for target, server, at_least in TARGETS:
        for document in found:
            if (target is None or document == target) and server in found[document]:
                ratio = found[document][server]
                out.append(
                    {
                        "target": document,
                        "server": server,
                        "ratio_at_least": at_least,
                        "ratio": ratio,
                        "met": ratio >= at_least,
                    }
                )
    return out


def format_verdicts(found: list[dict[str, Any]]) -> str:
    return "\n".join(
        f"target: {v['target']} {v['server']} >= {v['ratio_at_least']}x plain:"
        f" {v['ratio']:.4f}x, {'met' if v['met'] else 'NOT met'}"
        for v in found
    )


def format_table(rows: list[Row]) -> str:
    """The human table: one line per (target, server)."""
    ratio = ratios(rows)
    header = (
        f"{'target':<10} {'server':<9} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}"
        f" {'server CPU':>10} {'gen CPU':>8} {'other CPU':>9} {'CPU ms/req':>10} {'÷ plain':>8}"
    )
    lines = [header, "-" * len(header)]
    disturbed = 0
    for row in rows:
        r = ratio.get(row.target, {}).get(row.server)
        shown = f"{r:.4f}" if r is not None else ""
        spread = ""
        if len(row.runs) > 1:
            rps = [m.load.rps for m in row.runs]
            spread = f"  (req/s {min(rps):.0f}-{max(rps):.0f} over {len(rps)} runs)"
        flag = sum(m.disturbed for m in row.runs)
        disturbed += flag
        if flag:
            spread += f"  ! {flag} disturbed"
        lines.append(
            f"{row.target:<10} {row.server:<9} {row.median('rps'):>9.1f}"
            f" {row.median('p50_ms'):>8.1f} {row.median('p99_ms'):>8.1f} {row.errors:>7d}"
            f" {row.median('server_cpu_cores'):>10.2f} {row.median('generator_cpu_cores'):>8.2f}"
            f" {row.median('other_cpu_cores'):>9.2f}"
            f" {row.median('server_cpu_ms_per_request'):>10.3f} {shown:>8}{spread}"
        )
    lines.append(
        "CPU columns are in cores (1.00 = one core busy for the whole window);"
        " CPU ms/req is the server's."
    )
    if disturbed:
        lines.append(
            f"! {disturbed} measured window(s) had other processes using more than"
            f" {DISTURBED_CORES} cores: rerun on a quiet machine before trusting those rows."
        )
    return "\n".join(lines)


def write_json(path: Path, report: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(report, indent=2, default=str) + "\n")
    tmp.replace(path)
