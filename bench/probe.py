"""Checks made before any load is sent, and facts about the answers for the report.

A benchmark of failing or empty answers would measure the error path, so each
document is fetched a few times from the real server and must come back 200,
as JSON, without an `errors` key, with a non-empty connection, and byte-identical
every time (the baseline serves those bytes, so they must be *the* answer).
"""

from __future__ import annotations

import json
import logging
import re
import statistics
from collections import Counter
from dataclasses import dataclass
from typing import Any

from bench.documents import Document
from bench.procs import BenchError, request


@dataclass(frozen=True, slots=True)
class Checked:
    """A verified answer and what it contains."""

    document: Document
    body: bytes
    edges: int
    facts: dict[str, Any]


def _facts(document: Document, data: dict[str, Any]) -> dict[str, Any]:
    """What the page holds: objects per type, which decides the per-field cost."""
    nodes = [edge["node"] for edge in data[document.connection]["edges"]]
    facts: dict[str, Any] = {"nodes": len(nodes)}
    if document.name == "articles":
        facts["authors"] = sum(len(n["authors"]) for n in nodes)
        facts["bio_chars"] = sum(len(a["bio"] or "") for n in nodes for a in n["authors"])
    if document.name == "feed":
        facts["kinds"] = dict(Counter(n["kind"] for n in nodes))
        articles = [n["article"] for n in nodes if n["article"]]
        facts["authors"] = sum(len(a["authors"]) for a in articles)
        facts["tags"] = sum(len(a["tags"]) for a in articles)
        facts["videos"] = sum(1 for n in nodes if n["video"])
    return facts


def check_answers(port: int, document: Document, times: int = 3) -> Checked:
    """Fetch `document` `times` times; every answer must be correct and identical."""
    answers = []
    for _ in range(times):
        answer = request(port, "POST", "/graphql", document.body)
        if answer.status != 200:
            raise BenchError(f"{document.name}: HTTP {answer.status}: {answer.body[:500]!r}")
        if not answer.content_type.startswith("application/json"):
            raise BenchError(f"{document.name}: content type {answer.content_type!r}")
        payload = json.loads(answer.body)
        if "errors" in payload:
            raise BenchError(f"{document.name}: the answer has errors: {payload['errors']}")
        edges = payload.get("data", {}).get(document.connection, {}).get("edges") or []
        if not edges:
            raise BenchError(f"{document.name}: the answer has no edges (is the data seeded?)")
        answers.append(answer.body)
    if len(set(answers)) != 1:
        raise BenchError(
            f"{document.name}: the same request got different answers; the baseline"
            " could not stand in for it (is the ordering of the list stable?)"
        )
    payload = json.loads(answers[0])
    return Checked(document, answers[0], len(edges), _facts(document, payload["data"]))


def check_baseline(port: int, checked: Checked) -> None:
    """The plain endpoint must serve exactly the GraphQL answer."""
    answer = request(port, "POST", "/graphql", checked.document.body)
    if answer.status != 200 or answer.body != checked.body:
        raise BenchError(f"{checked.document.name}: the plain endpoint's answer differs")


def check_cached(port: int, document: Document, times: int = 6) -> tuple[bytes, dict[str, Any]]:
    """On a freshly started app with the response cache on, before anything else
    asked it for `document`: the first request is a miss (it runs GraphQL and
    fills the cache), the next ones must be hits.

    A hit cannot be told apart on the wire, so this checks what it can: every
    answer is 200, JSON and byte-identical, all carry the same ETag, that ETag
    gets a 304, and the repeats take a fraction of the first request's time.
    That a repeat is a hit with no SQL is checked in process (`count_statements`);
    under load, the server's CPU per request bounds the share of misses."""
    name = document.name
    answers = [request(port, "POST", "/graphql", document.body) for _ in range(times)]
    for i, answer in enumerate(answers):
        if answer.status != 200 or not answer.content_type.startswith("application/json"):
            raise BenchError(f"{name}: cached app, request {i + 1}: HTTP {answer.status}")
    if len({a.body for a in answers}) != 1:
        raise BenchError(f"{name}: cached app: repeated requests got different answers")
    etags = {a.headers.get("etag") for a in answers}
    etag = etags.pop() if len(etags) == 1 else None
    if etag is None:
        raise BenchError(f"{name}: cached app: ETags missing or different")
    revalidated = request(port, "POST", "/graphql", document.body, headers={"If-None-Match": etag})
    if revalidated.status != 304:
        raise BenchError(f"{name}: cached app: If-None-Match {etag} got HTTP {revalidated.status}")
    return answers[0].body, {
        "etag": etag,
        "cache_control": answers[0].headers.get("cache-control"),
        "first_request_ms": round(answers[0].seconds * 1000, 2),
        "repeat_median_ms": round(statistics.median(a.seconds for a in answers[1:]) * 1000, 2),
        "if_none_match_status": revalidated.status,
    }


_LOOKUPS = re.compile(r'^cms_response_cache_lookups\{result="(hit|miss)"\} ([0-9.e+]+)$', re.M)


def cache_lookups(port: int) -> dict[str, int] | None:
    """The app's response-cache counters since start, from its Prometheus
    `/metrics` (`cms_response_cache_lookups{result="hit"|"miss"}`); None when the
    app has no such endpoint or gauge. Each scrape costs the app a little work
    (and a SQL count), so take it outside measured windows."""
    try:
        answer = request(port, "GET", "/metrics", timeout=10.0)
    except OSError:
        return None
    if answer.status != 200:
        return None
    found = {kind: int(float(value)) for kind, value in _LOOKUPS.findall(answer.body.decode())}
    return found if set(found) == {"hit", "miss"} else None


class _Statements(logging.Handler):
    """Counts the statements Tortoise sends (it logs one DEBUG record for each)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        if not record.getMessage().startswith(("Created connection", "Closed connection")):
            self.count += 1


def _capturing_state(app: Any, into: dict[str, Any]) -> Any:
    """`app`, keeping in `into["state"]` the `scope["state"]` it was last called
    with: the lifespan's state, where the app keeps its response cache."""

    async def capturing(scope: Any, receive: Any, send: Any) -> None:
        into["state"] = scope.get("state")
        await app(scope, receive, send)

    return capturing


async def count_statements(
    database_url: str, secret_key: str, documents: list[Document]
) -> dict[str, Any]:
    """SQL statements per request, measured in process with the real app (httpx over
    ASGI, no background worker, so only the request's own statements are counted).

    - `uncached`: with the response cache off, statements per request for each
      document (the number N+1 would inflate);
    - `cached`: with it on, the first request (a miss, which also looks up the next
      scheduled publication to date the entry) and a repeat, which must be a hit
      (the cache's own counter moves) with no statement and the same bytes.
    """
    import httpx
    from asgi_lifespan import LifespanManager

    from cms.app import create_app
    from cms.settings import Settings

    logger = logging.getLogger("tortoise.db_client")
    handler = _Statements()
    uncached: dict[str, int] = {}
    cached: dict[str, dict[str, Any]] = {}
    for response_cache in (False, True):
        settings = Settings(
            env="production",
            database_url=database_url,
            secret_key=secret_key,
            response_cache=response_cache,
        )
        captured: dict[str, Any] = {}
        app = _capturing_state(create_app(settings, background=False), captured)
        async with LifespanManager(app) as manager:
            transport = httpx.ASGITransport(app=manager.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:

                async def post(document: Document) -> tuple[int, bytes]:
                    handler.count = 0
                    response = await client.post(
                        "/graphql",
                        content=document.body,
                        headers={"content-type": "application/json"},
                    )
                    response.raise_for_status()
                    return handler.count, response.content

                previous = logger.level
                logger.setLevel(logging.DEBUG)
                logger.addHandler(handler)
                try:
                    for document in documents:
                        count, first = await post(document)
                        if not response_cache:
                            uncached[document.name] = count
                            continue
                        cache = captured["state"]["response_cache"]
                        hits_before = cache.hits
                        repeat_count, repeat = await post(document)
                        hit = cache.hits == hits_before + 1
                        if not hit or repeat_count or repeat != first:
                            raise BenchError(
                                f"{document.name}: a repeated public request was not a cache"
                                f" hit (hit counted: {hit}, SQL statements: {repeat_count},"
                                f" same bytes: {repeat == first})"
                            )
                        cached[document.name] = {"miss": count, "hit": repeat_count}
                finally:
                    logger.removeHandler(handler)
                    logger.setLevel(previous)
    return {"uncached": uncached, "cached": cached}
