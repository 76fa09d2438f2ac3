"""The soak's traffic (`python -m bench soak`): public readers, editors writing,
live subscribers, and the final read-back, all in one asyncio loop.

Every request is timed and checked. An error is a transport failure, a status
outside 2xx, an answer that is not JSON, or a GraphQL error other than the one a
request expects (a `CONFLICT` for the loser of a deliberate version race). Every
acknowledged write is recorded with the state it must leave behind, and read
back at the end; every feed event it must cause is counted at every subscriber.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import random
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx
import websockets

from bench.dataset import _WORDS
from bench.documents import ARTICLES, FEED

# --- documents ---------------------------------------------------------------------

FEED_PAGE = (
    "query FeedPage($first: Int!, $after: String) { feed(first: $first, after: $after)"
    " { edges { node { id kind headline summary publishedAt pinned breaking"
    " article { id title dek } video { id title } } } pageInfo { hasNextPage endCursor } } }"
)
ARTICLES_BY_TAG = (
    "query ArticlesByTag($tag: String!) { articles(first: 10, filter: {tag: $tag})"
    " { edges { node { id slug title dek publishedAt tags { slug } authors { name } } } } }"
)
SUBSCRIBE = "subscription { feedEvents { type id } }"

LOGIN = "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }"
CREATE_SCRIPT_ACCESS = (
    "mutation($name: String!) { createApiToken(input: {name: $name,"
    " scopes: [CONTENT_READ, CONTENT_WRITE, CONTENT_PUBLISH]}) { token } }"
)
EDITED_ARTICLES = (
    "query($n: Int!) { articles(first: $n) { edges { node { id title dek status version } } } }"
)
TAGS = "{ tags { slug } }"
CREATE_FEED_ITEM = (
    "mutation($input: FeedItemInput!) { createFeedItem(input: $input)"
    " { id headline summary status version } }"
)
PUBLISH_FEED_ITEM = "mutation($id: ID!) { publishFeedItem(id: $id) { id status version } }"
UPDATE_FEED_ITEM = (
    "mutation($id: ID!, $version: Int!, $input: FeedItemPatch!) { updateFeedItem(id: $id,"
    " version: $version, input: $input) { id headline summary status version } }"
)
UPDATE_ARTICLE = (
    "mutation($id: ID!, $version: Int!, $input: ArticlePatch!) { updateArticle(id: $id,"
    " version: $version, input: $input) { id title dek status version } }"
)
READBACK_FIELDS = (
    "__typename ... on FeedItem { headline summary status version }"
    " ... on Article { title dek status version }"
)
READBACK_BATCH = 15  # the API's alias limit

# Public readers come from many addresses (documentation ranges, RFC 5737) through
# a trusted proxy, as behind a load balancer: each stays far below the per-address
# rate limit, which is counted in Redis across both instances.
CLIENT_ADDRESSES = tuple(
    f"{net}.{host}" for net in ("198.51.100", "203.0.113") for host in range(1, 255)
)

# What public readers send, with weights: the front page's two documents as they
# are (cache hits between writes), by POST and GET, and varied ones (mostly misses).
READ_MIX: tuple[tuple[str, int], ...] = (
    ("articles POST", 20),
    ("articles GET", 15),
    ("feed POST", 20),
    ("feed GET", 15),
    ("feed page POST", 18),
    ("articles by tag GET", 12),
)
# Editors' operations, with weights.
WRITE_MIX: tuple[tuple[str, int], ...] = (
    ("create+publish", 50),
    ("update feed item", 15),
    ("update article", 25),
    ("article race", 10),
)
# The requests the editors' operations make, in the table's order.
WRITE_KINDS = (
    "createFeedItem",
    "publishFeedItem",
    "updateFeedItem",
    "updateArticle",
    "updateArticle (race)",
)
ERROR_SAMPLES = 20
KEEPALIVE_SECONDS = 2.0


class SoakError(Exception):
    """The soak cannot go on (set-up failed); the message says why."""


# --- bookkeeping ---------------------------------------------------------------------


@dataclass
class Kind:
    """One kind of request: how many, how many failed, and how long each took."""

    requests: int = 0
    errors: int = 0
    seconds: list[float] = field(default_factory=list)


@dataclass
class Expected:
    """What the last acknowledged write left an object as (the fields compared)."""

    typename: str
    fields: dict[str, Any]
    writes: int = 0  # acknowledged writes to it
    published: bool = False  # a feed item the public must see


@dataclass
class Stats:
    kinds: dict[str, Kind] = field(default_factory=dict)
    error_samples: list[dict[str, Any]] = field(default_factory=list)
    expected_conflicts: int = 0  # the losers of version races, refused as they must be
    operations: Counter[str] = field(default_factory=Counter)
    writes: list[dict[str, Any]] = field(default_factory=list)  # every acknowledged write
    objects: dict[str, Expected] = field(default_factory=dict)
    # feed events every subscriber must hear: (type, id) -> how many
    expected_events: Counter[tuple[str, str]] = field(default_factory=Counter)
    cursors: list[str] = field(default_factory=list)

    def kind(self, name: str) -> Kind:
        return self.kinds.setdefault(name, Kind())

    def error(self, kind: str, what: str, **detail: Any) -> None:
        self.kind(kind).errors += 1
        if len(self.error_samples) < ERROR_SAMPLES:
            self.error_samples.append(
                {"kind": kind, "error": what, "at": round(time.time(), 3), **detail}
            )

    def acknowledge(self, op: str, gid: str, typename: str, instance: int, **fields: Any) -> None:
        """An acknowledged write: `fields` is what reading `gid` back must show."""
        self.writes.append({"op": op, "id": gid, "instance": instance, "expected": fields})
        entry = self.objects.setdefault(gid, Expected(typename, {}))
        entry.fields.update(fields)
        entry.writes += 1


def percentile(sorted_values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile of an ascending list (0 when empty)."""
    if not sorted_values:
        return 0.0
    rank = max(1, math.ceil(p / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


# --- HTTP ------------------------------------------------------------------------------


@dataclass
class Answer:
    ok: bool
    data: dict[str, Any] | None
    codes: list[str]


class Api:
    """GraphQL over HTTP to the instances, timing and checking every request."""

    def __init__(self, bases: Sequence[str], stats: Stats) -> None:
        self.bases = list(bases)
        self.stats = stats
        self.clients = [
            httpx.AsyncClient(
                base_url=b,
                timeout=httpx.Timeout(60.0),
                limits=httpx.Limits(
                    max_connections=64,
                    max_keepalive_connections=64,
                    # Below uvicorn's keep-alive timeout (5 s), as for any client or
                    # proxy in front of it: httpx's default (also 5 s) reuses idle
                    # connections just as the server closes them, and the request is
                    # lost (one ReadError in 18 554 requests in the first soak).
                    keepalive_expiry=KEEPALIVE_SECONDS,
                ),
            )
            for b in bases
        ]

    async def aclose(self) -> None:
        for client in self.clients:
            await client.aclose()

    async def call(
        self,
        kind: str,
        instance: int,
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        token: str | None = None,
        method: str = "POST",
        allowed: frozenset[str] = frozenset(),
        headers: dict[str, str] | None = None,
    ) -> Answer:
        """One request; an answer whose errors all have a code in `allowed` is
        not an error (its codes are returned for the caller to judge)."""
        sent = dict(headers or {})
        if token is not None:
            sent["Authorization"] = f"Bearer {token}"
        client = self.clients[instance]
        counted = self.stats.kind(kind)
        counted.requests += 1
        started = time.perf_counter()
        try:
            if method == "GET":
                params = {"query": query}
                if variables:
                    params["variables"] = json.dumps(variables, separators=(",", ":"))
                response = await client.get("/graphql", params=params, headers=sent)
            else:
                body: dict[str, Any] = {"query": query}
                if variables:
                    body["variables"] = variables
                response = await client.post("/graphql", json=body, headers=sent)
            content = response.content
        except httpx.HTTPError as exc:
            elapsed = time.perf_counter() - started
            counted.seconds.append(elapsed)
            self.stats.error(
                kind,
                f"{type(exc).__name__}: {exc}",
                instance=instance,
                after_ms=round(1000 * elapsed, 1),
                cause=repr(exc.__cause__ or exc.__context__),
            )
            return Answer(False, None, [])
        counted.seconds.append(time.perf_counter() - started)
        request_id = response.headers.get("x-request-id")
        try:
            payload = json.loads(content)
        except ValueError:
            payload = None
        if not 200 <= response.status_code < 300 or not isinstance(payload, dict):
            self.stats.error(
                kind,
                f"HTTP {response.status_code}",
                instance=instance,
                request_id=request_id,
                body=content[:300].decode(errors="replace"),
            )
            return Answer(False, None, [])
        errors = payload.get("errors") or []
        codes = [str((e.get("extensions") or {}).get("code")) for e in errors]
        if errors and not set(codes) <= allowed:
            self.stats.error(
                kind,
                "GraphQL error " + ",".join(codes),
                instance=instance,
                request_id=request_id,
                errors=errors[:3],
                variables=variables,
            )
            return Answer(False, payload.get("data"), codes)
        data = payload.get("data")
        if not errors and not isinstance(data, dict):
            self.stats.error(kind, "no data", instance=instance, request_id=request_id)
            return Answer(False, None, codes)
        return Answer(not errors, data, codes)


# --- the run's shape ---------------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    """How much traffic, and when it stops: at `deadline` (monotonic seconds,
    None: no deadline) or when a group's budget of operations is spent."""

    readers: int
    read_rate: float  # requests a second, all readers together; 0: as fast as they go
    reads: int | None
    writers: int
    write_rate: float  # operations a second, all writers together; 0: back to back
    writes: int | None
    subscribers: int  # per instance
    edited_articles: int
    duration: float | None
    drain_seconds: float
    seed: int
    run_id: str


@dataclass
class Budget:
    """A group's operations left (None: unbounded)."""

    left: int | None

    def take(self) -> bool:
        if self.left is None:
            return True
        if self.left <= 0:
            return False
        self.left -= 1
        return True


class Pacer:
    """Spaces one worker's operations `interval` seconds apart on a fixed
    schedule (a slow operation is not made up for by bunching the next ones)."""

    def __init__(self, interval: float, rng: random.Random) -> None:
        self.interval = interval
        self.next = time.perf_counter() + rng.random() * interval

    async def wait(self, stop: asyncio.Event) -> None:
        if self.interval <= 0:
            return
        delay = self.next - time.perf_counter()
        self.next = max(self.next + self.interval, time.perf_counter())
        if delay > 0:
            # not a sleep for time's sake: the schedule, ended early by the stop
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), delay)


# --- public readers ----------------------------------------------------------------------


async def reader(
    api: Api,
    stats: Stats,
    plan: Plan,
    budget: Budget,
    stop: asyncio.Event,
    rng: random.Random,
    tags: list[str],
) -> None:
    names = [n for n, _ in READ_MIX]
    weights = [w for _, w in READ_MIX]
    interval = plan.readers / plan.read_rate if plan.read_rate > 0 else 0.0
    pacer = Pacer(interval, rng)
    while not stop.is_set():
        await pacer.wait(stop)
        if stop.is_set() or not budget.take():
            return
        kind = rng.choices(names, weights)[0]
        instance = rng.randrange(len(api.bases))
        forwarded = {"X-Forwarded-For": rng.choice(CLIENT_ADDRESSES)}
        if kind.startswith("articles by tag"):
            answer = await api.call(
                kind,
                instance,
                ARTICLES_BY_TAG,
                {"tag": rng.choice(tags)},
                method="GET",
                headers=forwarded,
            )
            if answer.ok and answer.data is not None:
                _check_connection(stats, kind, answer.data, "articles", instance, empty_ok=True)
            continue
        if kind.startswith("feed page"):
            variables: dict[str, Any] = {"first": rng.randint(5, 30)}
            if stats.cursors and rng.random() < 0.7:
                variables["after"] = rng.choice(stats.cursors)
            answer = await api.call(kind, instance, FEED_PAGE, variables, headers=forwarded)
            if answer.ok and answer.data is not None:
                _check_connection(stats, kind, answer.data, "feed", instance, empty_ok=True)
                cursor = answer.data["feed"]["pageInfo"]["endCursor"]
                if cursor and len(stats.cursors) < 500:
                    stats.cursors.append(cursor)
            continue
        document, connection = (
            (ARTICLES, "articles") if kind.startswith("articles") else (FEED, "feed")
        )
        method = "GET" if kind.endswith("GET") else "POST"
        answer = await api.call(kind, instance, document, method=method, headers=forwarded)
        if answer.ok and answer.data is not None:
            _check_connection(stats, kind, answer.data, connection, instance)


def _check_connection(
    stats: Stats,
    kind: str,
    data: dict[str, Any],
    name: str,
    instance: int,
    *,
    empty_ok: bool = False,
) -> None:
    connection = data.get(name)
    edges = connection.get("edges") if isinstance(connection, dict) else None
    if not isinstance(edges, list) or (not edges and not empty_ok):
        stats.error(kind, f"{name}: no edges in the answer", instance=instance)


# --- editors -------------------------------------------------------------------------------


@dataclass
class EditedArticle:
    gid: str
    version: int


@dataclass
class OwnItem:
    gid: str
    version: int


class Writer:
    """One editor: create and publish feed items, update them and articles with
    their version, and race itself on an article through both instances."""

    def __init__(
        self,
        number: int,
        api: Api,
        stats: Stats,
        token: str,
        articles: list[EditedArticle],
        rng: random.Random,
        run_id: str,
    ) -> None:
        self.number = number
        self.api = api
        self.stats = stats
        self.token = token
        self.articles = articles
        self.rng = rng
        self.run_id = run_id
        self.items: list[OwnItem] = []
        self.count = 0
        self.turn = number  # which instance is next: alternates request by request

    def _instance(self) -> int:
        self.turn += 1
        return self.turn % len(self.api.bases)

    def _text(self, what: str) -> str:
        self.count += 1
        words = " ".join(self.rng.choice(_WORDS) for _ in range(self.rng.randint(3, 9)))
        return f"{what} {self.run_id}-{self.number}-{self.count}: {words}"

    async def run(self, plan: Plan, budget: Budget, stop: asyncio.Event) -> None:
        names = [n for n, _ in WRITE_MIX]
        weights = [w for _, w in WRITE_MIX]
        interval = plan.writers / plan.write_rate if plan.write_rate > 0 else 0.0
        pacer = Pacer(interval, self.rng)
        while not stop.is_set():
            await pacer.wait(stop)
            if stop.is_set() or not budget.take():
                return
            op = self.rng.choices(names, weights)[0]
            if op == "update feed item" and not self.items:
                op = "create+publish"
            if op in ("update article", "article race") and not self.articles:
                op = "create+publish"
            self.stats.operations[op] += 1
            # A write in flight is never cancelled: its outcome must be known.
            if op == "create+publish":
                await self.create_and_publish()
            elif op == "update feed item":
                await self.update_feed_item()
            elif op == "update article":
                await self.update_article()
            else:
                await self.article_race()

    async def create_and_publish(self, op: str = "create+publish") -> str | None:
        headline = self._text("Оновлення")  # Cyrillic on purpose: encodings round-trip
        summary = self._text("summary")
        instance = self._instance()
        answer = await self.api.call(
            "createFeedItem",
            instance,
            CREATE_FEED_ITEM,
            {"input": {"kind": "UPDATE", "headline": headline, "summary": summary}},
            token=self.token,
        )
        if not answer.ok or answer.data is None:
            return None
        created = answer.data["createFeedItem"]
        gid = created["id"]
        fields = {"headline": headline, "summary": summary, "status": "DRAFT", "version": 1}
        self._compare("createFeedItem", gid, created, fields, instance)
        self.stats.acknowledge(op, gid, "FeedItem", instance, **fields)
        instance = self._instance()
        answer = await self.api.call(
            "publishFeedItem", instance, PUBLISH_FEED_ITEM, {"id": gid}, token=self.token
        )
        if not answer.ok or answer.data is None:
            return None
        published = answer.data["publishFeedItem"]
        fields = {"status": "PUBLISHED", "version": 2}
        self._compare("publishFeedItem", gid, published, fields, instance)
        self.stats.acknowledge("publish", gid, "FeedItem", instance, **fields)
        self.stats.objects[gid].published = True
        self.stats.expected_events[("PUBLISHED", gid)] += 1
        self.items.append(OwnItem(gid, 2))
        return gid

    async def update_feed_item(self) -> None:
        item = self.rng.choice(self.items)
        headline = self._text("Updated")
        instance = self._instance()
        answer = await self.api.call(
            "updateFeedItem",
            instance,
            UPDATE_FEED_ITEM,
            {"id": item.gid, "version": item.version, "input": {"headline": headline}},
            token=self.token,
        )
        if not answer.ok or answer.data is None:
            return
        item.version += 1
        fields = {"headline": headline, "version": item.version}
        self._compare("updateFeedItem", item.gid, answer.data["updateFeedItem"], fields, instance)
        self.stats.acknowledge("update feed item", item.gid, "FeedItem", instance, **fields)
        self.stats.expected_events[("UPDATED", item.gid)] += 1

    async def update_article(self) -> None:
        article = self.rng.choice(self.articles)
        title, dek = self._text("Title"), self._text("Dek")
        instance = self._instance()
        answer = await self.api.call(
            "updateArticle",
            instance,
            UPDATE_ARTICLE,
            {"id": article.gid, "version": article.version, "input": {"title": title, "dek": dek}},
            token=self.token,
        )
        if not answer.ok or answer.data is None:
            return
        article.version += 1
        fields = {"title": title, "dek": dek, "version": article.version}
        self._compare("updateArticle", article.gid, answer.data["updateArticle"], fields, instance)
        self.stats.acknowledge("update article", article.gid, "Article", instance, **fields)

    async def article_race(self) -> None:
        """Two updates with the same version, at once, one per instance: exactly
        one must win, the other must be refused with CONFLICT (no lost update)."""
        article = self.rng.choice(self.articles)
        titles = [self._text("Race title"), self._text("Race title")]
        kind = "updateArticle (race)"

        async def attempt(instance: int, title: str) -> Answer:
            return await self.api.call(
                kind,
                instance,
                UPDATE_ARTICLE,
                {"id": article.gid, "version": article.version, "input": {"title": title}},
                token=self.token,
                allowed=frozenset({"CONFLICT"}),
            )

        answers = await asyncio.gather(
            *(attempt(i % len(self.api.bases), t) for i, t in enumerate(titles))
        )
        winners = [
            (i, a) for i, a in enumerate(answers) if a.ok and a.data and a.data.get("updateArticle")
        ]
        refused = [a for a in answers if a.codes == ["CONFLICT"]]
        if any(not a.ok and a.codes != ["CONFLICT"] for a in answers):
            # already counted as an error; the article's version is now unknown
            self.articles.remove(article)
            return
        if len(winners) != 1 or len(refused) != 1:
            self.stats.error(
                kind,
                f"version race: {len(winners)} won, {len(refused)} refused (exactly one must win)",
                article=article.gid,
            )
            self.articles.remove(article)
            return
        self.stats.expected_conflicts += 1
        index, answer = winners[0]
        assert answer.data is not None
        article.version += 1
        fields = {"title": titles[index], "version": article.version}
        self._compare(kind, article.gid, answer.data["updateArticle"], fields, index)
        self.stats.acknowledge("article race", article.gid, "Article", index, **fields)

    def _compare(
        self, kind: str, gid: str, got: dict[str, Any], fields: dict[str, Any], instance: int
    ) -> None:
        """The mutation's own answer must already show the write."""
        wrong = {k: (got.get(k), v) for k, v in fields.items() if got.get(k) != v}
        if got.get("id") != gid or wrong:
            self.stats.error(
                kind, f"answer does not show the write: {wrong}", id=gid, instance=instance
            )


# --- subscribers -----------------------------------------------------------------------------


@dataclass
class Subscriber:
    """One graphql-transport-ws connection listening to feedEvents on one instance."""

    instance: int
    number: int
    heard: Counter[tuple[str, str]] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    closed_cleanly: bool = False


async def subscribe(
    base: str, sub: Subscriber, ready: asyncio.Event, changed: asyncio.Event, stop: asyncio.Event
) -> None:
    url = base.replace("http://", "ws://") + "/graphql"
    try:
        async with websockets.connect(url, subprotocols=["graphql-transport-ws"]) as ws:  # type: ignore[list-item]
            await ws.send(json.dumps({"type": "connection_init"}))
            first = json.loads(await asyncio.wait_for(ws.recv(), 30))
            if first.get("type") != "connection_ack":
                raise SoakError(f"no connection_ack: {first}")
            await ws.send(
                json.dumps({"id": "1", "type": "subscribe", "payload": {"query": SUBSCRIBE}})
            )
            ready.set()
            receiving = asyncio.ensure_future(_receive(ws, sub, changed))
            stopping = asyncio.ensure_future(stop.wait())
            done, _ = await asyncio.wait({receiving, stopping}, return_when=asyncio.FIRST_COMPLETED)
            if receiving in done:
                stopping.cancel()
                receiving.result()  # raises what ended it
                sub.errors.append("the server ended the subscription early")
                return
            receiving.cancel()
            await ws.send(json.dumps({"id": "1", "type": "complete"}))
            sub.closed_cleanly = True
    except (OSError, websockets.exceptions.WebSocketException, SoakError, TimeoutError) as exc:
        sub.errors.append(f"{type(exc).__name__}: {exc}")
    finally:
        ready.set()
        changed.set()


async def _receive(ws: Any, sub: Subscriber, changed: asyncio.Event) -> None:
    async for raw in ws:
        message = json.loads(raw)
        kind = message.get("type")
        if kind == "ping":
            await ws.send(json.dumps({"type": "pong"}))
        elif kind == "next":
            payload = message.get("payload") or {}
            if payload.get("errors"):
                sub.errors.append(f"error event: {payload['errors'][:2]}")
                continue
            event = (payload.get("data") or {}).get("feedEvents") or {}
            sub.heard[(str(event.get("type")), str(event.get("id")))] += 1
            changed.set()
        elif kind in ("error", "complete"):
            sub.errors.append(f"{kind}: {message}")
            return
        elif kind != "pong":
            sub.errors.append(f"unexpected message: {message}")


def missing_events(stats: Stats, subs: Sequence[Subscriber]) -> int:
    return sum(
        max(0, count - sub.heard[key])
        for sub in subs
        for key, count in stats.expected_events.items()
    )


async def until_heard(
    stats: Stats, subs: Sequence[Subscriber], changed: asyncio.Event, within: float
) -> float:
    """Wait (at most `within` seconds) until every subscriber heard every expected event,
    or lost its connection; the seconds it took."""
    started = time.perf_counter()
    deadline = started + within
    while True:
        changed.clear()
        live = [s for s in subs if not s.errors]
        if missing_events(stats, live) == 0:
            break
        remaining = deadline - time.perf_counter()
        if remaining <= 0:
            break
        try:
            await asyncio.wait_for(changed.wait(), remaining)
        except TimeoutError:
            break
    return time.perf_counter() - started


# --- read-back -------------------------------------------------------------------------------


def _batch_query(count: int) -> str:
    variables = ", ".join(f"$i{n}: ID!" for n in range(count))
    selections = " ".join(f"n{n}: node(id: $i{n}) {{ {READBACK_FIELDS} }}" for n in range(count))
    return f"query ReadBack({variables}) {{ {selections} }}"


async def read_back(
    api: Api, stats: Stats, token: str | None, kind: str, ids: list[str]
) -> dict[str, dict[str, Any] | None]:
    """The current state of every id, 15 to a request, alternating instances;
    ids whose request failed are left out (the failure is an error)."""
    found: dict[str, dict[str, Any] | None] = {}
    for start in range(0, len(ids), READBACK_BATCH):
        chunk = ids[start : start + READBACK_BATCH]
        instance = (start // READBACK_BATCH) % len(api.bases)
        headers = {"X-Forwarded-For": CLIENT_ADDRESSES[start // READBACK_BATCH % 254]}
        answer = await api.call(
            kind,
            instance,
            _batch_query(len(chunk)),
            {f"i{n}": gid for n, gid in enumerate(chunk)},
            token=token,
            headers=headers,
        )
        if answer.ok and answer.data is not None:
            for n, gid in enumerate(chunk):
                found[gid] = answer.data.get(f"n{n}")
    return found


def compare_back(
    stats: Stats,
    as_editor: dict[str, dict[str, Any] | None],
    as_public: dict[str, dict[str, Any] | None],
) -> dict[str, Any]:
    """Every acknowledged write against what the API now says: lost writes are the
    acknowledged writes whose effect is missing from the read-back."""
    lost: list[dict[str, Any]] = []
    lost_writes = 0
    unchecked = 0
    not_public: list[str] = []
    for gid, expected in stats.objects.items():
        if gid not in as_editor:
            unchecked += 1  # its read-back request failed, an error already
            continue
        got = as_editor[gid]
        if got is None or got.get("__typename") != expected.typename:
            lost.append({"id": gid, "expected": expected.fields, "got": got})
            lost_writes += expected.writes
            continue
        wrong = {k: {"expected": v, "got": got.get(k)} for k, v in expected.fields.items()
                 if got.get(k) != v}  # fmt: skip
        if wrong:
            lost.append({"id": gid, "differences": wrong})
            # each version step is one write: a version short by n means n writes
            # lost; a wrong field at the right version means the last one was
            version_gap = expected.fields.get("version", 0) - (got.get("version") or 0)
            lost_writes += max(1, version_gap)
        if expected.published and gid in as_public and as_public[gid] is None:
            not_public.append(gid)
    return {
        "objects_checked": len(stats.objects) - unchecked,
        "objects_unchecked": unchecked,
        "acknowledged_writes": len(stats.writes),
        "lost_writes": lost_writes,
        "lost_samples": lost[:ERROR_SAMPLES],
        "published_not_public": len(not_public),
        "published_not_public_samples": not_public[:ERROR_SAMPLES],
    }
