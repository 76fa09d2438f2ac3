"""`python -m bench`: seed, serve, verify, load, report; and clean up whatever happens.

One run:

1. seeds the fixed data set (`bench.dataset`) into a fresh SQLite file in a
   temporary folder, or into a throwaway PostgreSQL database (`--database`);
2. starts the app twice under uvicorn (one worker each, no access log, log level
   warning), on the same database: once with the response cache off
   (`CMS_RESPONSE_CACHE=0`, "uncached") and once with it on ("cached"), and
   waits for `/healthz`;
3. fetches each document's answer from both and checks it (`bench.probe`): the
   same bytes from both, and on the cached app the same ETag, a 304 for it and
   repeats much faster than the first request; then starts the plain baseline
   (`bench.plain`) serving those bytes, in a third uvicorn;
4. for each document, uncached, cached, then plain: a discarded warm-up (which
   also fills the cache), then a measured run, with the server's CPU, the
   generator's CPU and the machine's CPU taken over the same window;
5. prints the table and the targets and writes `bench/results/latest.json`.

`--profile` replaces steps 3 (plain) and 4 with one measured run of one document
while py-spy records one app server (the uncached one unless `--profile-server
cached`), and prints where the time went.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import shutil
import signal
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any
from urllib.parse import urlsplit

from bench import dataset, probe, profiling, report
from bench.documents import DOCUMENTS, Document
from bench.load import LoadResult, Tool, pick_tool, run_load
from bench.procs import (
    BenchError,
    Child,
    Processes,
    cpu_seconds,
    free_port,
    wait_until_healthy,
)

REPO = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Load benchmark of the public GraphQL API against a plain Starlette baseline.",
        epilog="`python -m bench soak --help`: the soak test (two instances on PostgreSQL and"
        " Redis under mixed reads, writes and subscriptions; see bench/soak.py).",
    )
    size = parser.add_argument_group("data set")
    defaults = dataset.Sizes()
    size.add_argument("--feed-items", type=int, default=defaults.feed_items)
    size.add_argument("--articles", type=int, default=defaults.articles)
    size.add_argument("--authors", type=int, default=defaults.authors)
    size.add_argument("--tags", type=int, default=defaults.tags)
    size.add_argument("--videos", type=int, default=defaults.videos)
    size.add_argument("--seed", type=int, default=42, help="random seed of the data set")
    size.add_argument(
        "--database",
        metavar="URL",
        help="postgres://user@host:port/db: seed a throwaway database created on that"
        " server (and dropped afterwards) instead of a temporary SQLite file",
    )

    load = parser.add_argument_group("load")
    load.add_argument("--duration", type=float, default=20.0, help="measured seconds per run")
    load.add_argument("--warmup", type=float, default=5.0, help="discarded seconds before each run")
    load.add_argument("--connections", type=int, default=32)
    load.add_argument(
        "--threads", type=int, default=1, help="wrk threads (one keeps wrk's CPU low)"
    )
    load.add_argument("--loadgen", choices=("auto", "wrk", "python"), default="auto")
    load.add_argument(
        "--queries",
        default="articles,feed",
        help=f"comma-separated documents to run, of: {', '.join(DOCUMENTS)}",
    )
    load.add_argument(
        "--repeat", type=int, default=1, help="measured runs per endpoint (median reported)"
    )
    load.add_argument(
        "--servers",
        default=",".join(report.SERVERS),
        help="comma-separated servers to measure, of: uncached (the app, response cache"
        " off), cached (the app, response cache on), plain (the baseline)",
    )

    prof = parser.add_argument_group("profile")
    prof.add_argument(
        "--profile",
        action="store_true",
        help="instead of the comparison, record the app under py-spy during one document",
    )
    prof.add_argument("--profile-query", default="articles", choices=tuple(DOCUMENTS))
    prof.add_argument(
        "--profile-server",
        default="uncached",
        choices=report.SERVERS,
        help="which server to record: the app with the response cache off (default) or on,"
        " or the plain endpoint (to compare a cache hit with it)",
    )
    prof.add_argument("--profile-rate", type=int, default=100, help="py-spy samples per second")

    app = parser.add_argument_group("app")
    app.add_argument(
        "--redis",
        metavar="URL",
        help="CMS_REDIS_URL for the app servers (redis://host:port/db): the content epoch,"
        " and so every cache hit, then goes through Redis, as with several instances."
        " The apps only read the epoch (no content changes during a run); pick a"
        " database number nobody else uses",
    )
    app.add_argument(
        "--app-factory",
        default="cms.app:app_from_environment",
        metavar="MODULE:FUNCTION",
        help="uvicorn factory of the app under test (to measure a candidate change"
        " side by side without editing the app; it must read the same CMS_* settings)",
    )

    out = parser.add_argument_group("output")
    out.add_argument(
        "--output",
        type=Path,
        help="JSON report (default bench/results/latest.json, or profile.json with --profile,"
        " so a profile never replaces the comparison)",
    )
    out.add_argument("--keep", action="store_true", help="keep the temporary folder (DB, logs)")
    return parser


def _server_env(extra: dict[str, str]) -> dict[str, str]:
    """The environment of a server: ours without any CMS_* (a developer's shell or
    .env must not change what is measured), the checkout importable, and `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CMS_")}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH")) if p)
    env.update(extra)
    return env


def _uvicorn(factory: str, port: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        factory,
        "--host=127.0.0.1",
        f"--port={port}",
        "--workers=1",
        "--no-access-log",
        "--log-level=warning",
    ]


def start_app(
    processes: Processes,
    workdir: Path,
    database_url: str,
    factory: str,
    server: str,
    redis_url: str | None = None,
) -> tuple[Child, int]:
    """The real app, as production runs it (CMS_ENV=production: no GraphiQL), with
    the response cache off (`server` "uncached") or on ("cached")."""
    port = free_port()
    env = _server_env(
        {
            **({"CMS_REDIS_URL": redis_url} if redis_url else {}),
            "CMS_ENV": "production",
            "CMS_DATABASE_URL": database_url,
            "CMS_SECRET_KEY": dataset.BENCH_SECRET,
            "CMS_MEDIA_ROOT": str(workdir / "media"),
            # As in production (a CDN in front of storage); it also keeps media
            # URLs, and so the answers' bytes, independent of the port.
            "CMS_PUBLIC_MEDIA_URL": "https://media.newsroom.example/",
            "CMS_RESPONSE_CACHE": "1" if server == "cached" else "0",
            # the load generator is one client address: a limit it never reaches,
            # so the limiter's work is measured but nothing is refused
            "CMS_RATE_LIMIT_PUBLIC": str(10**9),
        }
    )
    # The working folder is the temporary one, so no .env of the checkout is read.
    child = processes.start(
        f"app server ({server})",
        _uvicorn(factory, port),
        log_path=workdir / "logs" / f"app-{server}.log",
        env=env,
        cwd=workdir,
    )
    wait_until_healthy(child, port)
    return child, port


def start_plain(
    processes: Processes, workdir: Path, checked: list[probe.Checked]
) -> tuple[Child, int]:
    """The baseline, serving the verified answers."""
    folder = workdir / "plain"
    folder.mkdir(parents=True, exist_ok=True)
    for c in checked:
        (folder / f"{c.document.name}.request").write_bytes(c.document.body)
        (folder / f"{c.document.name}.response").write_bytes(c.body)
    port = free_port()
    child = processes.start(
        "plain server",
        _uvicorn("bench.plain:app_from_environment", port),
        log_path=workdir / "logs" / "plain.log",
        env=_server_env({"BENCH_PLAIN_DIR": str(folder)}),
        cwd=workdir,
    )
    wait_until_healthy(child, port)
    for c in checked:
        probe.check_baseline(port, c)
    return child, port


def measure(
    processes: Processes,
    *,
    args: argparse.Namespace,
    tool: Tool,
    server: Child,
    port: int,
    document: Document,
    label: str,
    workdir: Path,
    count_lookups: bool = False,
) -> tuple[LoadResult, float, float, dict[str, int] | None]:
    """Warm up (discarded), then one measured run; with the server's CPU and the
    machine's busy cores over the measured window, and with `count_lookups` the
    response cache's hits and misses over it (from the app's /metrics, read just
    before and after the window; None if the app does not expose them)."""
    common: dict[str, Any] = {
        "tool": tool,
        "port": port,
        "body": document.body,
        "connections": args.connections,
        "threads": args.threads,
        "workdir": workdir / "load",
    }
    if args.warmup > 0:
        warm = run_load(processes, seconds=args.warmup, label=f"{label}-warmup", **common)
        if warm.errors:
            raise BenchError(f"{label}: {warm.errors} errors during warm-up: {warm.error_detail}")
    lookups_before = probe.cache_lookups(port) if count_lookups else None
    cpu_before = cpu_seconds(server.pid)
    machine_before = report.machine_busy_ticks()
    started = time.perf_counter()
    result = run_load(processes, seconds=args.duration, label=label, **common)
    wall = time.perf_counter() - started
    server_cores = (cpu_seconds(server.pid) - cpu_before) / wall
    machine_cores = report.busy_cores_between(machine_before, report.machine_busy_ticks(), wall)
    lookups = None
    if lookups_before is not None:
        lookups_after = probe.cache_lookups(port)
        if lookups_after is not None:
            lookups = {k: lookups_after[k] - lookups_before[k] for k in ("hit", "miss")}
    return result, server_cores, machine_cores, lookups


def _print(*parts: object) -> None:
    print(*parts, flush=True)


def run(args: argparse.Namespace, processes: Processes, workdir: Path) -> dict[str, Any]:
    """One benchmark run; returns the report written to JSON."""
    names = [n.strip() for n in args.queries.split(",") if n.strip()]
    unknown = [n for n in names if n not in DOCUMENTS]
    if unknown:
        raise BenchError(f"--queries: unknown document(s) {unknown}; known: {list(DOCUMENTS)}")
    documents = [DOCUMENTS[n] for n in names]
    chosen = {n.strip() for n in args.servers.split(",") if n.strip()}
    if not chosen or chosen - set(report.SERVERS):
        raise BenchError(f"--servers: choose from {list(report.SERVERS)}, got {args.servers!r}")
    servers = [n for n in report.SERVERS if n in chosen]  # uncached, cached, plain
    if servers == ["plain"]:
        raise BenchError("--servers: plain serves an app's answers; add uncached or cached")
    if args.profile:
        documents = [DOCUMENTS[args.profile_query]]
        # the plain endpoint needs an app's answers to serve
        servers = ["uncached", "plain"] if args.profile_server == "plain" else [args.profile_server]
    app_servers = [n for n in servers if n in report.APP_SERVERS]
    tool = pick_tool(args.loadgen)
    if args.loadgen == "auto" and tool == "python":
        _print("wrk not found: using the Python load generator (apt-get install -y wrk for wrk)")

    machine = report.machine()
    _print(
        f"machine: {machine['nproc']} cores ({machine['cpu_model']}), Python {machine['python']},"
        f" loadavg {' '.join(f'{x:.2f}' for x in machine['loadavg_before'])}"
    )

    sizes = dataset.Sizes(
        feed_items=args.feed_items,
        articles=args.articles,
        authors=args.authors,
        tags=args.tags,
        videos=args.videos,
    )
    if args.database:
        db_name = f"cms_bench_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        database_url = asyncio.run(dataset.create_pg_database(args.database, db_name))
        args.created_pg_database = db_name  # dropped by main()'s finally
        db_label = f"postgres ({urlsplit(args.database).hostname}, throwaway database {db_name})"
    else:
        database_url = f"sqlite://{workdir / 'bench.sqlite3'}"
        db_label = "sqlite (temporary file)"
    _print(f"seeding {sizes} with seed {args.seed} into {db_label} ...")
    seeded = asyncio.run(dataset.seed_database(database_url, sizes, args.seed))
    _print(f"  seeded in {seeded.seconds:.1f} s; feed kinds {seeded.feed_kinds}")

    statements: dict[str, Any] = {}
    try:
        statements = asyncio.run(
            probe.count_statements(database_url, dataset.BENCH_SECRET, documents)
        )
        _print(
            f"SQL statements per request: cache off {statements['uncached']};"
            f" cache on, first request (miss) and repeat (hit, checked by the cache's counter)"
            f" {statements['cached']}"
        )
    except ImportError as exc:  # httpx / asgi-lifespan are dev extras
        _print(f"(SQL statement count skipped: {exc})")

    # Both apps read the same database. The first one's answers are the reference:
    # every other server must send exactly these bytes.
    apps: dict[str, tuple[Child, int]] = {}
    checked: list[probe.Checked] = []
    cache_probe: dict[str, dict[str, Any]] = {}
    for name in app_servers:
        child, port = start_app(
            processes, workdir, database_url, args.app_factory, name, args.redis
        )
        apps[name] = (child, port)
        _print(f"app server ({name}) pid {child.pid} on 127.0.0.1:{port}")
        first_bodies: dict[str, bytes] = {}
        if name == "cached":
            # before anything else asks for the documents: the first request is the miss
            for d in documents:
                first_bodies[d.name], cache_probe[d.name] = probe.check_cached(port, d)
                found = cache_probe[d.name]
                _print(
                    f"  {d.name}: first request {found['first_request_ms']:.1f} ms, repeats"
                    f" {found['repeat_median_ms']:.2f} ms (median), ETag {found['etag']},"
                    f" If-None-Match -> {found['if_none_match_status']}"
                )
        here = [probe.check_answers(port, d) for d in documents]
        for c in here:
            if c.document.name in first_bodies and first_bodies[c.document.name] != c.body:
                raise BenchError(f"{c.document.name}: the {name} app's answers changed")
        if not checked:
            checked = here
            for c in checked:
                digest = hashlib.sha256(c.body).hexdigest()[:12]
                _print(f"  {c.document.name}: {len(c.body)} bytes (sha256 {digest}...), {c.facts}")
        for ours, reference in zip(here, checked, strict=True):
            if ours.body != reference.body:
                raise BenchError(
                    f"{ours.document.name}: the {name} app's answer differs from the"
                    f" {app_servers[0]} app's ({len(ours.body)} vs {len(reference.body)} bytes)"
                )
        if len(apps) > 1:
            _print(f"  the {name} app sends the same bytes as the {app_servers[0]} app")

    result: dict[str, Any] = {
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": " ".join(["python -m bench", *sys.argv[1:]]),
        "machine": machine,
        "code": report.code_revision(REPO),
        "database": db_label.split(" ")[0],
        "app_factory": args.app_factory,
        "redis": urlsplit(args.redis).hostname if args.redis else None,
        "servers": servers,
        "dataset": seeded.as_dict(),
        "load": {
            "tool": tool,
            "connections": args.connections,
            "threads": args.threads if tool == "wrk" else None,
            "warmup_seconds": args.warmup,
            "duration_seconds": args.duration,
            "repeat": args.repeat,
        },
        "documents": {
            c.document.name: {
                "query": c.document.query,
                "response_bytes": len(c.body),
                # equal hashes across runs = the same answer was measured
                "response_sha256": hashlib.sha256(c.body).hexdigest(),
                "facts": c.facts,
                "sql_statements": statements.get("uncached", {}).get(c.document.name),
                "sql_statements_cached": statements.get("cached", {}).get(c.document.name),
                "cache_probe": cache_probe.get(c.document.name),
            }
            for c in checked
        },
    }

    endpoints: dict[str, tuple[Child, int]] = dict(apps)
    if "plain" in servers:
        plain, plain_port = start_plain(processes, workdir, checked)
        endpoints["plain"] = (plain, plain_port)
        _print(f"plain server pid {plain.pid} on 127.0.0.1:{plain_port}")

    if args.profile:
        server, port = endpoints[args.profile_server]
        result["profile"] = run_profile(processes, args, tool, server, port, checked[0], workdir)
        return result

    measured: list[report.Measured] = []
    for repeat in range(1, args.repeat + 1):
        for document in documents:
            for server_name in servers:
                child, port = endpoints[server_name]
                label = f"{document.name}-{server_name}-{repeat}"
                _print(
                    f"running {document.name} on {server_name}: {args.warmup:g} s warm-up,"
                    f" {args.duration:g} s measured ..."
                )
                load, server_cores, machine_cores, lookups = measure(
                    processes,
                    args=args,
                    tool=tool,
                    server=child,
                    port=port,
                    document=document,
                    label=label,
                    workdir=workdir,
                    count_lookups=server_name == "cached",
                )
                m = report.Measured(
                    document.name, server_name, repeat, load, server_cores, machine_cores, lookups
                )
                measured.append(m)
                counted = ""
                if lookups is not None:
                    counted = f", cache hits {lookups['hit']} misses {lookups['miss']}"
                _print(
                    f"  {load.rps:.1f} req/s, p50 {load.p50_ms:.2f} ms, p99 {load.p99_ms:.2f} ms,"
                    f" errors {load.errors}, server CPU {server_cores:.2f}"
                    f" ({m.server_cpu_ms_per_request:.3f} ms/req),"
                    f" generator CPU {load.generator_cpu_cores:.2f},"
                    f" other CPU {m.other_cpu_cores:.2f}{counted}"
                )
    rows = report.rows_of(measured)
    result["runs"] = [m.as_dict() for m in measured]
    result["summary"] = [
        {
            "target": row.target,
            "server": row.server,
            "rps": row.median("rps"),
            "p50_ms": row.median("p50_ms"),
            "p99_ms": row.median("p99_ms"),
            "errors": row.errors,
            "server_cpu_cores": round(row.median("server_cpu_cores"), 3),
            "generator_cpu_cores": round(row.median("generator_cpu_cores"), 3),
            "other_cpu_cores": round(row.median("other_cpu_cores"), 3),
            "server_cpu_ms_per_request": round(row.median("server_cpu_ms_per_request"), 4),
            "disturbed_windows": sum(m.disturbed for m in row.runs),
        }
        for row in rows
    ]
    result["ratios"] = report.ratios(rows)
    result["targets"] = report.verdicts(rows)
    result["cached_miss_share_at_most"] = report.miss_share_bound(rows)
    result["cache_lookups"] = report.lookups(rows)
    _print()
    _print(report.format_table(rows))
    for target, seen in sorted(result["cache_lookups"].items()):
        _print(
            f"{target}: during the cached app's measured windows its cache counted"
            f" {seen['hit']} hits and {seen['miss']} misses; {tool} counted"
            f" {seen['requests']} answers"
        )
    for target, bound in sorted(result["cached_miss_share_at_most"].items()):
        _print(
            f"{target}: misses were at most {100 * bound:.2f}% of the cached app's measured"
            " requests (its CPU per request over the uncached app's)"
        )
    if result["targets"]:
        _print(report.format_verdicts(result["targets"]))
    return result


def run_profile(
    processes: Processes,
    args: argparse.Namespace,
    tool: Tool,
    app: Child,
    port: int,
    checked: probe.Checked,
    workdir: Path,
) -> dict[str, Any]:
    """Load one document while py-spy records one server; summarise the stacks."""
    document = checked.document
    common: dict[str, Any] = {
        "tool": tool,
        "port": port,
        "body": document.body,
        "connections": args.connections,
        "threads": args.threads,
        "workdir": workdir / "load",
    }
    if args.warmup > 0:
        _print(f"warming up {document.name} for {args.warmup:g} s ...")
        run_load(processes, seconds=args.warmup, label=f"{document.name}-profile-warmup", **common)
    # next to the JSON report: profile.txt and profile-summary.txt by default
    args.output.parent.mkdir(parents=True, exist_ok=True)
    raw = args.output.with_suffix(".txt")
    summary_path = args.output.with_name(f"{args.output.stem}-summary.txt")
    raw.unlink(missing_ok=True)
    _print(f"recording {document.name} under py-spy for {args.duration:g} s ...")
    spy = profiling.start_py_spy(
        processes,
        pid=app.pid,
        seconds=args.duration,
        rate_hz=args.profile_rate,
        output=raw,
        log=workdir / "logs" / "py-spy.log",
    )
    time.sleep(0.5)  # let py-spy attach before the window opens
    if spy.proc.poll() is not None:
        raise BenchError(f"py-spy could not attach to pid {app.pid}:\n{spy.log_tail()}")
    load = run_load(processes, seconds=args.duration, label=f"{document.name}-profile", **common)
    processes.wait(spy, timeout=args.duration + 60)
    if not raw.exists():
        raise BenchError(f"py-spy wrote no profile:\n{spy.log_tail()}")
    with raw.open() as fh:
        stacks = profiling.parse_collapsed(fh)
    summary = profiling.summarise(stacks, rate_hz=args.profile_rate, seconds=args.duration)
    text = profiling.format_summary(
        summary, f"{document.name} on the {args.profile_server} server (pid {app.pid})"
    )
    text += (
        f"\n\nThroughput while profiled (py-spy pauses the process to sample, so"
        f" this is lower than an unprofiled run): {load.rps:.1f} req/s,"
        f" p50 {load.p50_ms:.1f} ms, errors {load.errors}"
    )
    summary_path.write_text(text + "\n")
    _print()
    _print(text)
    _print(f"\nraw stacks: {raw} (open in speedscope.app or flamegraph.pl)")
    return {
        "document": document.name,
        "server": args.profile_server,
        "rate_hz": args.profile_rate,
        "raw_stacks": str(raw),
        "load_while_profiled": load.as_dict(),
        "summary": summary.as_dict(),
    }


def _raise_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["soak"]:  # the soak test is its own mode with its own flags
        from bench import soak

        return soak.main(argv[1:])
    args = build_parser().parse_args(argv)
    args.created_pg_database = None
    if args.output is None:
        args.output = RESULTS / ("profile.json" if args.profile else "latest.json")
    if args.duration <= 0 or args.connections < 1 or args.repeat < 1:
        print(
            "bench: error: --duration, --connections and --repeat must be positive", file=sys.stderr
        )
        return 2
    return run_harness("bench", args, run)


def run_harness(
    prog: str,
    args: argparse.Namespace,
    run: Callable[[argparse.Namespace, Processes, Path], dict[str, Any]],
    passed: Callable[[dict[str, Any]], bool] = lambda result: True,
) -> int:
    """Runs `run` with its processes and a temporary folder, writes its report, and
    cleans up (subprocesses, the throwaway database, the folder) however it ends;
    the exit code: 0, 1 (an error, or not `passed`), 130 (interrupted)."""
    # A `kill` of the harness must clean up like Ctrl-C does.
    signal.signal(signal.SIGTERM, _raise_interrupt)
    signal.signal(signal.SIGHUP, _raise_interrupt)
    workdir = Path(tempfile.mkdtemp(prefix=f"cms-{prog.replace(' ', '-')}-"))
    code = 0
    try:
        with Processes() as processes:
            result = run(args, processes, workdir)
        report.write_json(args.output, result)
        _print(f"\nwrote {args.output}")
        code = 0 if passed(result) else 1
    except BenchError as exc:
        print(f"{prog}: error: {exc}", file=sys.stderr)
        code = 1
    except KeyboardInterrupt:
        print(f"\n{prog}: interrupted; every subprocess was stopped", file=sys.stderr)
        code = 130
    finally:
        if args.created_pg_database and not args.keep:
            try:
                asyncio.run(dataset.drop_pg_database(args.database, args.created_pg_database))
            except Exception as exc:  # report, but do not hide the run's own outcome
                print(f"{prog}: could not drop {args.created_pg_database}: {exc}", file=sys.stderr)
        if args.keep:
            print(f"kept {workdir}", file=sys.stderr)
            if args.created_pg_database:
                print(f"kept database {args.created_pg_database}", file=sys.stderr)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    return code
