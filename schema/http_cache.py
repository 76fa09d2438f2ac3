"""HTTP caching of public reads, in front of GraphQL.

For a request without credentials: Apollo persisted queries (APQ) are resolved,
then the response cache is asked; a hit is answered with no GraphQL work and no
database. Misses run through strawberry and, when they are successful public
queries, are kept. Every public answer carries an ETag (304 on If-None-Match) and
a shared-cache Cache-Control; any request with credentials gets
`private, no-store`.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qs, urlencode

from graphql import GraphQLError, OperationType, parse
from graphql.language import OperationDefinitionNode
from prometheus_client import Histogram
from starlette.datastructures import Headers
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cms.delivery.response_cache import Entry, etag_of, next_scheduled_publication, raw_key
from cms.http import (
    API_CSP,
    API_HEADERS,
    HSTS,
    REQUEST_ID_SCOPE_KEY,
    cors_headers,
    error_response,
    request_id_of,
)
from cms.logs import log_access
from cms.metrics import Metrics
from cms.ratelimit import charge

PUBLIC_CACHE_CONTROL = "public, max-age=10, s-maxage=30, stale-while-revalidate=30"
PRIVATE_CACHE_CONTROL = "private, no-store"
MAX_PUBLIC_BODY = 1024 * 1024
MAX_PUBLIC_VARIABLES = 64 * 1024  # a reader's variables are ids, slugs and cursors
# editors send article bodies of up to 1 MB, which JSON escaping can grow
MAX_EDITOR_BODY = 4 * 1024 * 1024
MAX_EDITOR_VARIABLES = MAX_EDITOR_BODY
MAX_BATCH = 10  # operations in one editor's request

Run = Callable[[Scope, Receive], Awaitable[Response]]


@lru_cache(maxsize=1024)
def operation_kinds(query: str) -> frozenset[OperationType]:
    """The kinds of operation in a document (cached: misses only)."""
    try:
        document = parse(query)
    except GraphQLError:
        return frozenset()
    return frozenset(
        d.operation for d in document.definitions if isinstance(d, OperationDefinitionNode)
    )


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replayed


def _matches(if_none_match: str | None, etag: str) -> bool:
    if not if_none_match:
        return False
    tags = {t.strip().removeprefix("W/") for t in if_none_match.split(",")}
    return "*" in tags or etag in tags


def _finish(response: Response, etag: str, headers: Headers, public: bool) -> Response:
    if not public:
        response.headers["Cache-Control"] = PRIVATE_CACHE_CONTROL
        return response
    if _matches(headers.get("if-none-match"), etag):
        return Response(
            status_code=304, headers={"ETag": etag, "Cache-Control": PUBLIC_CACHE_CONTROL}
        )
    response.headers["ETag"] = etag
    response.headers["Cache-Control"] = PUBLIC_CACHE_CONTROL
    return response


async def _read_body(receive: Receive, limit: int) -> bytes | None:
    """The whole request body, or None past `limit` bytes."""
    chunks = []
    size = 0
    more = True
    while more:
        message = await receive()
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        more = message.get("more_body", False)
    return b"".join(chunks)


async def serve(scope: Scope, receive: Receive, send: Send, run: Run) -> None:
    """Answers one GraphQL GET or JSON POST, through the response cache and APQ."""
    state = scope["state"]
    headers = Headers(scope=scope)
    public = "authorization" not in headers
    method = scope["method"]
    if method == "GET":
        raw = scope.get("query_string", b"")
        body = b""
    elif CACHE_BODY in scope:  # already read by the cache middleware
        raw = body = scope[CACHE_BODY]
    else:
        if not headers.get("content-type", "").lower().startswith("application/json"):
            return await (await run(scope, receive))(scope, receive, send)
        read = await _read_body(receive, MAX_PUBLIC_BODY if public else MAX_EDITOR_BODY)
        if read is None:
            return await error_response(413, "PAYLOAD_TOO_LARGE", "the request body is too large")(
                scope, receive, send
            )
        raw = body = read

    now: datetime = state["clock"].now()
    epoch = state["epoch"]
    # a public request the cache middleware looked up and missed: keep the answer
    cache = state["response_cache"] if public and CACHE_KEY in scope else None
    key = scope.get(CACHE_KEY)
    current: int = scope[CACHE_EPOCH] if CACHE_EPOCH in scope else await epoch.current()

    if method == "GET":
        params: dict[str, Any] = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
        for name in ("variables", "extensions"):
            if isinstance(params.get(name), str):
                try:
                    params[name] = json.loads(params[name])
                except ValueError:
                    # strawberry says what is wrong with it
                    return await (await run(scope, receive))(scope, receive, send)
    else:
        try:
            loaded = json.loads(body)
        except ValueError:  # not JSON: strawberry says what is wrong with it
            response = await run(scope, _replay(body, receive))
            return await response(scope, receive, send)
        if isinstance(loaded, list):
            return await _serve_batch(scope, receive, send, run, body, loaded, public=public)
        if not isinstance(loaded, dict):
            return await error_response(
                400, "BAD_REQUEST", "the request body must be a JSON object"
            )(scope, receive, send)
        params = loaded

    variables = params.get("variables")
    if variables is not None and len(json.dumps(variables)) > (
        MAX_PUBLIC_VARIABLES if public else MAX_EDITOR_VARIABLES
    ):
        return await error_response(413, "PAYLOAD_TOO_LARGE", "the variables are too large")(
            scope, receive, send
        )
    query = params.get("query")
    extensions = params.get("extensions")
    persisted = extensions.get("persistedQuery") if isinstance(extensions, dict) else None
    if isinstance(persisted, dict) and isinstance(persisted.get("sha256Hash"), str):
        sha = persisted["sha256Hash"]
        store = state["persisted_queries"]
        if not isinstance(query, str):
            query = await store.get(sha)
            if query is None:
                return await error_response(
                    200, "PERSISTED_QUERY_NOT_FOUND", "PersistedQueryNotFound"
                )(scope, receive, send)
        elif hashlib.sha256(query.encode()).hexdigest() != sha:
            return await error_response(
                200, "BAD_REQUEST", "provided sha256Hash does not match the query"
            )(scope, receive, send)
        else:
            await store.put(sha, query)
        params = {**params, "query": query}
        # hand strawberry the document it was not sent
        if method == "GET":
            flat = {k: v if isinstance(v, str) else json.dumps(v) for k, v in params.items()}
            scope = {**scope, "query_string": urlencode(flat).encode()}
        else:
            body = json.dumps(params).encode()

    kinds = operation_kinds(query) if isinstance(query, str) else frozenset()
    response = await run(scope, _replay(body, receive) if method == "POST" else receive)
    answer = bytes(response.body) if hasattr(response, "body") else b""
    ok = response.status_code == 200 and b'"errors"' not in answer
    if cache is not None and key is not None and ok and kinds == {OperationType.QUERY}:
        etag = etag_of(answer)
        cache.put(
            key,
            Entry(
                body=answer,
                etag=etag,
                epoch=current,  # read before running: a change meanwhile retires it
                expires_at=await next_scheduled_publication(now),
                headers=_hit_headers(answer, etag, production=state["settings"].is_production),
            ),
        )
    if OperationType.MUTATION in kinds and ok:
        await epoch.bump()  # this instance reads its own writes at once
    etag = etag_of(answer)
    await _finish(response, etag, headers, public and response.status_code == 200)(
        scope, receive, send
    )


def batch_refusal(batch: list[Any], *, public: bool) -> Response | None:
    """Batching is for editors' scripts: off for the public (one request, one
    operation, one cache entry), at most `MAX_BATCH` operations for editors."""
    if public:
        return error_response(
            400, "BAD_REQUEST", "batched operations need credentials: send one per request"
        )
    if not 1 <= len(batch) <= MAX_BATCH:
        return error_response(
            400, "BAD_REQUEST", f"a batch holds 1 to {MAX_BATCH} operations, not {len(batch)}"
        )
    if not all(isinstance(item, dict) for item in batch):
        return error_response(400, "BAD_REQUEST", "each operation of a batch must be an object")
    return None


async def _serve_batch(
    scope: Scope,
    receive: Receive,
    send: Send,
    run: Run,
    body: bytes,
    batch: list[Any],
    *,
    public: bool,
) -> None:
    """An editor's batch: run by strawberry (concurrently: dependent mutations
    belong in separate requests), never cached."""
    refusal = batch_refusal(batch, public=public)
    if refusal is None and len(batch) > 1:  # the request itself is counted already
        refusal = await charge(scope, len(batch) - 1)
    if refusal is not None:
        return await refusal(scope, receive, send)
    response = await run(scope, _replay(body, receive))
    writes = any(
        OperationType.MUTATION in operation_kinds(item["query"])
        for item in batch
        if isinstance(item.get("query"), str)
    )
    if writes and response.status_code == 200:
        await scope["state"]["epoch"].bump()
    response.headers["Cache-Control"] = PRIVATE_CACHE_CONTROL
    await response(scope, receive, send)


CACHE_KEY = "cms.cache_key"
CACHE_EPOCH = "cms.cache_epoch"
CACHE_BODY = "cms.cache_body"


def _hit_headers(body: bytes, etag: str, *, production: bool) -> list[tuple[bytes, bytes]]:
    """Every header a cache hit sends but the request id and CORS, built once per
    entry: the same as the middleware it skips would add to a miss."""
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"etag", etag.encode()),
        (b"cache-control", PUBLIC_CACHE_CONTROL.encode()),
        (b"content-security-policy", API_CSP.encode()),
    ]
    headers += [(k.lower().encode(), v.encode()) for k, v in API_HEADERS.items()]
    if production:
        headers.append((b"strict-transport-security", HSTS.encode()))
    return headers


class ResponseCacheMiddleware:
    """The hit path, outermost in the app: a public GraphQL GET or JSON POST whose
    exact bytes were answered since the last change is sent from memory, before
    routing, authentication or GraphQL. Misses go on, marked with their key, so the
    endpoint keeps the answer."""

    def __init__(self, app: ASGIApp, *, metrics: Metrics | None = None) -> None:
        self.app = app
        self._timed: Histogram | None
        if metrics is not None:
            self._counted = {
                (method, status): metrics.requests.labels(method, "/graphql", str(status))
                for method in ("GET", "POST")
                for status in (200, 304)
            }
            self._timed = metrics.duration.labels("/graphql")
        else:
            self._counted = {}
            self._timed = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["path"] != "/graphql"
            or scope["method"] not in ("GET", "POST")
            or not scope["state"]["settings"].response_cache
        ):
            return await self.app(scope, receive, send)
        started = time.perf_counter()
        content_type = if_none_match = b""
        for name, value in scope["headers"]:
            if name == b"authorization":
                return await self.app(scope, receive, send)  # never for the public cache
            if name == b"content-type":
                content_type = value
            elif name == b"if-none-match":
                if_none_match = value
        method = scope["method"]
        if method == "GET":
            raw = scope.get("query_string", b"")
        elif content_type.lower().startswith(b"application/json"):
            read = await _read_body(receive, MAX_PUBLIC_BODY)
            if read is None:
                return await error_response(
                    413, "PAYLOAD_TOO_LARGE", "the request body is too large"
                )(scope, receive, send)
            raw = read
            scope[CACHE_BODY] = read
            receive = _replay(read, receive)
        else:
            return await self.app(scope, receive, send)
        state = scope["state"]
        key = raw_key(method, raw)
        current = await state["epoch"].current()
        entry = state["response_cache"].get(key, epoch=current, now=state["clock"].now())
        if entry is None:
            scope[CACHE_KEY] = key
            scope[CACHE_EPOCH] = current
            return await self.app(scope, receive, send)
        request_id = scope[REQUEST_ID_SCOPE_KEY] = request_id_of(scope)
        extra = [
            (b"x-request-id", request_id.encode()),
            *cors_headers(scope, state["settings"].cors_origins),
        ]
        if if_none_match and _matches(if_none_match.decode("latin-1"), entry.etag):
            status, headers, body = 304, [*entry.headers[2:], *extra], b""
        else:
            status, headers, body = 200, [*entry.headers, *extra], entry.body
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})
        seconds = time.perf_counter() - started
        counter = self._counted.get((method, status))
        if counter is not None and self._timed is not None:
            counter.inc()
            self._timed.observe(seconds)
        log_access(scope, status, seconds, cached=True)
