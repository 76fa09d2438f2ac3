"""`python -m bench soak`: two app instances on one PostgreSQL and one Redis under
mixed traffic for minutes; every error counted, every acknowledged write read back.

One run:

1. creates a throwaway database on the `--database` server, migrates it and seeds
   a modest data set (`bench.dataset`, smaller than the benchmark's);
2. creates an EDITOR account with `cms createuser`, starts two uvicorn instances of
   the app (production settings, response cache, rate limits and background
   workers on, `CMS_REDIS_URL` shared), logs in and creates an API token;
3. connects `--subscribers` feedEvents subscribers to each instance and waits until
   all of them hear a marker publication;
4. for `--duration` seconds (or until `--reads`/`--writes` operations are done)
   runs public readers, editors and subscribers at once (`bench.traffic`);
5. waits until the subscribers heard every event the writes caused (at most
   `--drain` seconds), reads every written object back as the editor and every
   published item as the public, and compares;
6. prints a Markdown table and writes `bench/results/soak.json`; exits 1 if there
   was any error, lost write or published item the public cannot see.

It needs httpx and websockets (dev extras), a PostgreSQL server it may create
databases on, and a Redis database number nobody else uses (the soak never
flushes it; the apps' keys there are the content epoch and rate-limit counters).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bench import dataset, report, traffic
from bench.cli import REPO, RESULTS, _server_env, _uvicorn, run_harness
from bench.probe import cache_lookups
from bench.procs import BenchError, Child, Processes, cpu_seconds, free_port, wait_until_healthy

EDITOR_EMAIL = "soak-editor@example.org"
EDITOR_PASSWORD = "soak password, long enough"  # noqa: S105 (a throwaway database)
DEFAULT_DURATION = 300.0
# A `--reads`/`--writes` run has no deadline of its own, only this safety net.
BUDGET_CAP_SECONDS = 600.0
SOAK_SIZES = dataset.Sizes(feed_items=2000, articles=100, authors=20, tags=30, videos=20)
LOG_PROBLEM = re.compile(r"Traceback|\bERROR\b|\bCRITICAL\b|\"levelname\": \"(ERROR|CRITICAL)\"")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench soak",
        description="Soak test: two app instances on PostgreSQL and Redis under mixed public"
        " reads, editor writes and live subscriptions; errors and lost writes must be 0.",
    )
    where = parser.add_argument_group("servers")
    where.add_argument(
        "--database",
        metavar="URL",
        default=os.environ.get("CMS_TEST_POSTGRES_URL"),
        help="postgres://user@host:port/db: the soak creates a throwaway database on that"
        " server and drops it afterwards (default $CMS_TEST_POSTGRES_URL)",
    )
    where.add_argument(
        "--redis",
        metavar="URL",
        default=os.environ.get("CMS_TEST_REDIS_URL"),
        help="CMS_REDIS_URL of both instances (default $CMS_TEST_REDIS_URL); use a database"
        " number nobody else uses",
    )
    length = parser.add_argument_group("length (the run ends at the first limit reached)")
    length.add_argument(
        "--duration",
        type=float,
        help=f"seconds of traffic (default {DEFAULT_DURATION:g}, or no deadline with"
        " --reads/--writes)",
    )
    length.add_argument("--reads", type=int, help="stop reading after this many requests")
    length.add_argument("--writes", type=int, help="stop writing after this many operations")
    length.add_argument(
        "--drain",
        type=float,
        default=30.0,
        help="at most this many seconds to wait for subscribers to hear the last events",
    )
    load = parser.add_argument_group("traffic")
    load.add_argument("--readers", type=int, default=16, help="concurrent public readers")
    load.add_argument(
        "--read-rate", type=float, default=60.0, help="reads a second in all; 0: unpaced"
    )
    load.add_argument("--writers", type=int, default=2, help="concurrent editors")
    load.add_argument(
        "--write-rate",
        type=float,
        default=2.0,
        help="write operations a second in all (create+publish is one); 0: back to back",
    )
    load.add_argument(
        "--subscribers", type=int, default=4, help="feedEvents subscribers per instance"
    )
    load.add_argument(
        "--edited-articles", type=int, default=12, help="seeded articles the editors update"
    )
    load.add_argument("--seed", type=int, default=42, help="seed of the data set and the traffic")
    size = parser.add_argument_group("data set")
    size.add_argument("--feed-items", type=int, default=SOAK_SIZES.feed_items)
    size.add_argument("--articles", type=int, default=SOAK_SIZES.articles)
    size.add_argument("--authors", type=int, default=SOAK_SIZES.authors)
    size.add_argument("--tags", type=int, default=SOAK_SIZES.tags)
    size.add_argument("--videos", type=int, default=SOAK_SIZES.videos)
    out = parser.add_argument_group("output")
    out.add_argument("--output", type=Path, default=RESULTS / "soak.json", help="JSON report path")
    out.add_argument(
        "--keep", action="store_true", help="keep the temporary folder (logs) and the database"
    )
    return parser


def _print(*parts: object) -> None:
    print(*parts, flush=True)


def _plan(args: argparse.Namespace) -> traffic.Plan:
    bounded = args.reads is not None or args.writes is not None
    duration = args.duration
    if duration is None:
        duration = BUDGET_CAP_SECONDS if bounded else DEFAULT_DURATION
    return traffic.Plan(
        readers=args.readers,
        read_rate=args.read_rate,
        reads=args.reads,
        writers=args.writers,
        write_rate=args.write_rate,
        writes=args.writes,
        subscribers=args.subscribers,
        edited_articles=args.edited_articles,
        duration=duration,
        drain_seconds=args.drain,
        seed=args.seed,
        run_id=uuid.uuid4().hex[:6],
    )


def _createuser(env: dict[str, str], workdir: Path) -> None:
    """The editor, made the way an operator makes one: `cms createuser`."""
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "cms.cli",
            "createuser",
            "--email",
            EDITOR_EMAIL,
            "--name",
            "Soak Editor",
            "--role",
            "EDITOR",
        ],
        input=EDITOR_PASSWORD + "\n",
        env=env,
        cwd=workdir,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    if done.returncode != 0:
        raise BenchError(f"cms createuser failed: {done.stderr.strip() or done.stdout.strip()}")


def _app_env(database_url: str, redis_url: str, workdir: Path) -> dict[str, str]:
    return _server_env(
        {
            "CMS_ENV": "production",
            "CMS_DATABASE_URL": database_url,
            "CMS_REDIS_URL": redis_url,
            "CMS_SECRET_KEY": dataset.BENCH_SECRET,
            "CMS_MEDIA_ROOT": str(workdir / "media"),
            "CMS_PUBLIC_MEDIA_URL": "https://media.newsroom.example/",
            # the readers' load balancer: X-Forwarded-For from loopback is believed
            "CMS_TRUSTED_PROXIES": "127.0.0.1/32",
        }
    )


def start_instances(
    processes: Processes, workdir: Path, env: dict[str, str], count: int = 2
) -> list[tuple[Child, int]]:
    """`count` uvicorn processes of the app on one database and Redis, started
    together (each with its background worker), healthy before this returns."""
    started: list[tuple[Child, int]] = []
    for n in range(count):
        port = free_port()
        argv = [*_uvicorn("cms.app:app_from_environment", port), "--no-proxy-headers"]
        child = processes.start(
            f"app instance {n}",
            argv,
            log_path=workdir / "logs" / f"app-{n}.log",
            env=env,
            cwd=workdir,
        )
        started.append((child, port))
    for child, port in started:
        wait_until_healthy(child, port)
    return started


def log_problems(children: Sequence[Child]) -> dict[str, list[str]]:
    """Lines of the instances' logs that report an error or a traceback."""
    found: dict[str, list[str]] = {}
    for child in children:
        try:
            lines = child.log_path.read_text(errors="replace").splitlines()
        except OSError:
            continue
        hits = [line for line in lines if LOG_PROBLEM.search(line)]
        if hits:
            found[child.name] = hits
    return found


async def drive(plan: traffic.Plan, bases: list[str], stats: traffic.Stats) -> dict[str, Any]:
    """Everything that talks to the instances: set-up, the traffic, the checks."""
    rng = random.Random(plan.seed)
    api = traffic.Api(bases, stats)
    try:
        return await _drive(plan, api, stats, rng)
    finally:
        await api.aclose()


async def _drive(
    plan: traffic.Plan, api: traffic.Api, stats: traffic.Stats, rng: random.Random
) -> dict[str, Any]:
    login = await api.call("setup", 0, traffic.LOGIN, {"e": EDITOR_EMAIL, "p": EDITOR_PASSWORD})
    if not login.ok or login.data is None:
        raise traffic.SoakError(f"login failed: {stats.error_samples[-1:]}")
    session = login.data["login"]["token"]
    tokens = [session]
    for n in range(1, max(2, plan.writers)):
        made = await api.call(
            "setup",
            n % 2,
            traffic.CREATE_SCRIPT_ACCESS,
            {"name": f"soak writer {n}"},
            token=session,
        )
        if not made.ok or made.data is None:
            raise traffic.SoakError(f"createApiToken failed: {stats.error_samples[-1:]}")
        tokens.append(made.data["createApiToken"]["token"])
    found = await api.call(
        "setup", 1, traffic.EDITED_ARTICLES, {"n": plan.edited_articles}, token=session
    )
    tag_list = await api.call("setup", 0, traffic.TAGS)
    if not found.ok or found.data is None or not tag_list.ok or tag_list.data is None:
        raise traffic.SoakError(f"set-up reads failed: {stats.error_samples[-1:]}")
    edited = [
        traffic.EditedArticle(e["node"]["id"], e["node"]["version"])
        for e in found.data["articles"]["edges"]
    ]
    tags = [t["slug"] for t in tag_list.data["tags"]] or ["none"]
    writers = [
        traffic.Writer(
            n,
            api,
            stats,
            tokens[n % len(tokens)],
            edited[n :: plan.writers],
            random.Random(rng.random()),
            plan.run_id,
        )
        for n in range(plan.writers)
    ]

    # Subscribers first, then a marker they must all hear: only then are they
    # surely listening, and the traffic may start.
    stop_subscribers = asyncio.Event()
    changed = asyncio.Event()
    subs = [
        traffic.Subscriber(i, n) for i in range(len(api.bases)) for n in range(plan.subscribers)
    ]
    readies = [asyncio.Event() for _ in subs]
    listening = [
        asyncio.ensure_future(
            traffic.subscribe(api.bases[s.instance], s, r, changed, stop_subscribers)
        )
        for s, r in zip(subs, readies, strict=True)
    ]
    try:
        for r in readies:
            await asyncio.wait_for(r.wait(), 30)
        marker = await writers[0].create_and_publish(op="marker")
        if marker is None:
            raise traffic.SoakError(f"the marker write failed: {stats.error_samples[-1:]}")
        waited = await traffic.until_heard(stats, subs, changed, 30)
        if traffic.missing_events(stats, subs):
            broken = [e for s in subs for e in s.errors]
            raise traffic.SoakError(
                f"subscribers did not hear the marker within {waited:.0f} s: {broken[:3]}"
            )
        _print(f"  {len(subs)} subscribers heard the marker in {waited:.2f} s")
        before_lookups = [cache_lookups(_port(b)) for b in api.bases]
        run = await _traffic(plan, api, stats, rng, writers, tags)
        after_lookups = [cache_lookups(_port(b)) for b in api.bases]
        drained = await traffic.until_heard(stats, subs, changed, plan.drain_seconds)
        _print(f"  subscribers drained in {drained:.2f} s")
    finally:
        stop_subscribers.set()
        await asyncio.gather(*listening, return_exceptions=True)

    # Read everything back: as the editor (the writes) and as the public (the
    # published feed items must be visible to everyone).
    ids = list(stats.objects)
    as_editor = await traffic.read_back(api, stats, session, "read-back (editor)", ids)
    published = [gid for gid, e in stats.objects.items() if e.published]
    as_public = await traffic.read_back(api, stats, None, "read-back (public)", published)
    checked = traffic.compare_back(stats, as_editor, as_public)

    heard_total = sum(sum(s.heard.values()) for s in subs)
    expected_total = sum(stats.expected_events.values()) * len(subs)
    missed = traffic.missing_events(stats, subs)
    duplicates = sum(
        max(0, s.heard[key] - count) for s in subs for key, count in stats.expected_events.items()
    )
    lookups: dict[str, int] | None = None
    pairs = [(a, b) for a, b in zip(after_lookups, before_lookups, strict=True) if a and b]
    if len(pairs) == len(api.bases):
        lookups = {k: sum(a[k] - b[k] for a, b in pairs) for k in ("hit", "miss")}
    return {
        **run,
        "readback": checked,
        "events": {
            "subscribers": len(subs),
            "expected": expected_total,
            "heard_expected": expected_total - missed,
            "missed": missed,
            "duplicates": duplicates,
            "other_heard": heard_total - (expected_total - missed) - duplicates,
            "subscriber_errors": [e for s in subs for e in s.errors],
            "drain_seconds": round(drained, 2),
        },
        "cache_lookups": lookups,
    }


def _port(base: str) -> int:
    return int(urlsplit(base).port or 80)


async def _traffic(
    plan: traffic.Plan,
    api: traffic.Api,
    stats: traffic.Stats,
    rng: random.Random,
    writers: list[traffic.Writer],
    tags: list[str],
) -> dict[str, Any]:
    """Readers and writers until the deadline or their budgets; returns the window."""
    stop = asyncio.Event()
    read_budget, write_budget = traffic.Budget(plan.reads), traffic.Budget(plan.writes)
    # the table is about the window: set-up requests (login, marker) are left out
    stats.kinds.clear()
    started = time.perf_counter()
    cpu_before = report.machine_busy_ticks()
    own_before = time.process_time()
    read_tasks = [
        asyncio.ensure_future(
            traffic.reader(api, stats, plan, read_budget, stop, random.Random(rng.random()), tags)
        )
        for _ in range(plan.readers)
    ]
    write_tasks = [asyncio.ensure_future(w.run(plan, write_budget, stop)) for w in writers]
    bounded = [
        t for t, b in ((read_tasks, plan.reads), (write_tasks, plan.writes)) if b is not None
    ]
    everything = read_tasks + write_tasks
    deadline = started + plan.duration if plan.duration is not None else None
    progress_every = 30.0
    next_progress = started + progress_every
    try:
        while True:
            now = time.perf_counter()
            if deadline is not None and now >= deadline:
                break
            waiting = [t for group in bounded for t in group] or everything
            if all(t.done() for t in waiting):
                break
            timeout = min(
                next_progress - now, (deadline - now) if deadline is not None else progress_every
            )
            await asyncio.wait(
                waiting, timeout=max(0.0, timeout), return_when=asyncio.ALL_COMPLETED
            )
            if time.perf_counter() >= next_progress:
                next_progress += progress_every
                requests = sum(k.requests for k in stats.kinds.values())
                errors = sum(k.errors for k in stats.kinds.values())
                _print(
                    f"  {time.perf_counter() - started:5.0f} s: {requests} requests,"
                    f" {len(stats.writes)} acknowledged writes, {errors} errors"
                )
    finally:
        stop.set()
        # in-flight requests finish (a write's outcome must be known), none start
        results = await asyncio.gather(*everything, return_exceptions=True)
    wall = time.perf_counter() - started
    crashed = [r for r in results if isinstance(r, BaseException)]
    for exc in crashed:
        stats.error("harness", f"a traffic task failed: {type(exc).__name__}: {exc}")
    return {
        "window_seconds": round(wall, 2),
        "machine_busy_cores": round(
            report.busy_cores_between(cpu_before, report.machine_busy_ticks(), wall), 2
        ),
        # the harness's own CPU (readers, writers, subscribers: one Python process)
        "harness_cpu_cores": round((time.process_time() - own_before) / wall, 2),
    }


def summarise(stats: traffic.Stats, window: float) -> list[dict[str, Any]]:
    rows = []
    for name, kind in stats.kinds.items():
        ordered = sorted(kind.seconds)
        rows.append(
            {
                "kind": name,
                "requests": kind.requests,
                "errors": kind.errors,
                "p50_ms": round(1000 * traffic.percentile(ordered, 50), 1),
                "p95_ms": round(1000 * traffic.percentile(ordered, 95), 1),
                "p99_ms": round(1000 * traffic.percentile(ordered, 99), 1),
                "max_ms": round(1000 * (ordered[-1] if ordered else 0.0), 1),
                "rps": round(kind.requests / window, 2) if window > 0 else 0.0,
            }
        )
    order = [n for n, _ in traffic.READ_MIX] + list(traffic.WRITE_KINDS)
    rows.sort(
        key=lambda r: (order.index(r["kind"]) if r["kind"] in order else len(order), r["kind"])
    )
    return rows


def format_table(rows: list[dict[str, Any]], window: float) -> str:
    lines = [
        "| kind | requests | errors | p50 ms | p95 ms | p99 ms | max ms | req/s |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in rows:
        lines.append(
            f"| {r['kind']} | {r['requests']} | {r['errors']} | {r['p50_ms']} | {r['p95_ms']}"
            f" | {r['p99_ms']} | {r['max_ms']} | {r['rps']} |"
        )
    # the traffic's own requests: the read-back comes after the window
    window_rows = [r for r in rows if not r["kind"].startswith("read-back")]
    total = sum(r["requests"] for r in window_rows)
    rate = total / window if window > 0 else 0.0
    lines.append(
        f"| **all in the window** | {total} | {sum(r['errors'] for r in window_rows)}"
        f" | | | | | {rate:.1f} |"
    )
    return "\n".join(lines)


def run(args: argparse.Namespace, processes: Processes, workdir: Path) -> dict[str, Any]:
    if not args.database or not args.redis:
        raise BenchError(
            "the soak needs --database postgres://... and --redis redis://... (or"
            " CMS_TEST_POSTGRES_URL and CMS_TEST_REDIS_URL)"
        )
    if urlsplit(args.database).scheme not in ("postgres", "postgresql"):
        raise BenchError("--database: a postgres:// URL (the soak runs on PostgreSQL)")
    plan = _plan(args)
    machine = report.machine()
    code = report.code_revision(REPO)
    _print(
        f"machine: {machine['nproc']} cores ({machine['cpu_model']}), Python {machine['python']},"
        f" loadavg {' '.join(f'{x:.2f}' for x in machine['loadavg_before'])};"
        f" commit {code['commit']} ({code['uncommitted_app_changes']} app files changed)"
    )
    sizes = dataset.Sizes(
        feed_items=args.feed_items,
        articles=args.articles,
        authors=args.authors,
        tags=args.tags,
        videos=args.videos,
    )
    db_name = f"cms_soak_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    database_url = asyncio.run(dataset.create_pg_database(args.database, db_name))
    args.created_pg_database = db_name  # dropped by main()'s finally
    _print(f"seeding {sizes} into throwaway database {db_name} ...")
    seeded = asyncio.run(dataset.seed_database(database_url, sizes, args.seed))
    env = _app_env(database_url, args.redis, workdir)
    _createuser(env, workdir)
    instances = start_instances(processes, workdir, env)
    bases = [f"http://127.0.0.1:{port}" for _, port in instances]
    _print(
        "instances: "
        + ", ".join(f"pid {c.pid} on {b}" for (c, _), b in zip(instances, bases, strict=True))
    )
    _print(
        f"soak: at most {plan.duration:g} s; {plan.readers} readers at {plan.read_rate:g}/s"
        f" (budget {plan.reads}), {plan.writers} writers at {plan.write_rate:g} ops/s"
        f" (budget {plan.writes}), {plan.subscribers} subscribers per instance ..."
    )
    stats = traffic.Stats()
    cpu_before = [cpu_seconds(c.pid) for c, _ in instances]
    try:
        outcome = asyncio.run(drive(plan, bases, stats))
    except traffic.SoakError as exc:
        problems = log_problems([c for c, _ in instances])
        raise BenchError(f"{exc}; instance log problems: {problems}") from exc
    cpu_after = [cpu_seconds(c.pid) for c, _ in instances]
    problems = log_problems([c for c, _ in instances])
    window = outcome["window_seconds"]
    rows = summarise(stats, window)
    errors = sum(k.errors for k in stats.kinds.values()) + len(
        outcome["events"]["subscriber_errors"]
    )
    readback = outcome["readback"]
    failed = errors > 0 or readback["lost_writes"] > 0 or readback["published_not_public"] > 0
    result: dict[str, Any] = {
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": " ".join(["python -m bench soak", *args.argv]),
        "machine": machine,
        "code": code,
        "database": "postgres",
        "redis": urlsplit(args.redis).hostname,
        "dataset": seeded.as_dict(),
        "plan": {k: v for k, v in vars(plan).items()},
        "window_seconds": window,
        "machine_busy_cores": outcome["machine_busy_cores"],
        "harness_cpu_cores": outcome["harness_cpu_cores"],
        "instance_cpu_cores": [
            round((a - b) / window, 2) if window > 0 else 0.0
            for a, b in zip(cpu_after, cpu_before, strict=True)
        ],
        "operations": dict(stats.operations),
        "acknowledged_writes": len(stats.writes),
        "expected_conflicts": stats.expected_conflicts,
        "errors": errors,
        "error_samples": stats.error_samples,
        "lost_writes": readback["lost_writes"],
        "readback": readback,
        "events": outcome["events"],
        "cache_lookups": outcome["cache_lookups"],
        "instance_log_problems": problems,
        "kinds": rows,
        "passed": not failed,
    }
    _print()
    _print(format_table(rows, window))
    _print()
    ev = outcome["events"]
    lookups = outcome["cache_lookups"] or {}
    _print(
        f"window {window:.0f} s; operations {dict(stats.operations)};"
        f" {len(stats.writes)} acknowledged writes ({stats.expected_conflicts} version races,"
        f" each refused once with CONFLICT as it must be)"
    )
    _print(
        f"errors: {errors}; lost writes: {readback['lost_writes']} of {len(stats.writes)}"
        f" ({readback['objects_checked']} objects read back, {readback['objects_unchecked']}"
        f" not); published but not public: {readback['published_not_public']}"
    )
    _print(
        f"events: {ev['expected']} expected over {ev['subscribers']} subscribers, missed"
        f" {ev['missed']}, duplicates {ev['duplicates']}, others heard {ev['other_heard']}"
        f" (not checked: the feed entries of updated articles, say), subscriber errors"
        f" {len(ev['subscriber_errors'])}"
    )
    if lookups:
        _print(f"response cache over the window: {lookups['hit']} hits, {lookups['miss']} misses")
    _print(
        f"CPU: instances {result['instance_cpu_cores']} cores, harness"
        f" {result['harness_cpu_cores']}, whole machine {result['machine_busy_cores']} of"
        f" {machine['nproc']} cores (the rest: PostgreSQL, Redis, anything else running)"
    )
    if problems:
        _print(f"instance logs report problems: { {k: len(v) for k, v in problems.items()} }")
        for name, lines in problems.items():
            for line in lines[:5]:
                _print(f"  {name}: {line[:300]}")
    for sample in stats.error_samples[:10]:
        _print(f"  error: {sample}")
    for sample in readback["lost_samples"][:10]:
        _print(f"  lost: {sample}")
    _print("PASSED" if not failed else "FAILED: errors, lost writes or invisible publications")
    return result


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    args.argv = list(argv if argv is not None else sys.argv[1:])
    args.created_pg_database = None
    if (args.duration is not None and args.duration <= 0) or args.readers < 1 or args.writers < 1:
        print(
            "bench soak: error: --duration, --readers and --writers must be positive",
            file=sys.stderr,
        )
        return 2
    return run_harness("bench soak", args, run, passed=lambda result: bool(result["passed"]))
