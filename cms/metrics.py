"""Prometheus metrics (`GET /metrics`), with the official client library.

Each app has its own registry (tests build many apps in one process). Run one
worker per container and let the orchestrator scale out: each instance is
scraped on its own.
"""

from __future__ import annotations

import logging
import re
import time

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from tortoise import connections
from tortoise.exceptions import BaseORMException

from cms.assets.models import StorageGarbage
from cms.delivery.models import DeliveryState, WebhookDelivery
from cms.errors import ERROR_CODES, ServiceUnavailable
from cms.logs import OBSERVED_SCOPE_KEY, log_access

log = logging.getLogger("cms.metrics")

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
# operation names are chosen by clients: the label keeps a bounded set of them
MAX_OPERATION_NAMES = 200
_OPERATION_NAME = re.compile(r"^[_A-Za-z][_0-9A-Za-z]{0,63}$")

ROUTES = ("/graphql", "/healthz", "/readyz", "/metrics", "/feed.json", "/feed.xml")


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "cms_http_requests_total",
            "HTTP requests answered, by method, route and status.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.duration = Histogram(
            "cms_http_request_duration_seconds",
            "Time to answer HTTP requests, by route.",
            ["route"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.operations = Histogram(
            "cms_graphql_operation_duration_seconds",
            "Time to run GraphQL operations (parse to result), by operation name and type.",
            ["operation", "type"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.errors = Counter(
            "cms_graphql_errors_total",
            "Errors answered, by extensions.code: in GraphQL results, and refusals"
            " before GraphQL (401, 413, 429, 503...).",
            ["code"],
            registry=self.registry,
        )
        self.db_pool = Gauge(
            "cms_db_pool_connections",
            "Database connections of this instance's pool (PostgreSQL), by state.",
            ["state"],
            registry=self.registry,
        )
        self._names: set[str] = set()
        self.cache = Gauge(
            "cms_response_cache_lookups",
            "Response cache lookups since start.",
            ["result"],
            registry=self.registry,
        )
        self.webhook_backlog = Gauge(
            "cms_webhook_backlog", "Webhook deliveries waiting to be sent.", registry=self.registry
        )
        self.live_subscribers = Gauge(
            "cms_live_subscribers",
            "feedEvents subscriptions open on this instance.",
            registry=self.registry,
        )
        self.storage_garbage = Gauge(
            "cms_storage_garbage",
            "Stored objects waiting to be deleted by the sweep (storage refused so far).",
            registry=self.registry,
        )

    def operation_label(self, name: str | None) -> str:
        """The name as a label: "anonymous", a known name, or "other" once the
        set is full or the name is not a GraphQL name."""
        if name is None:
            return "anonymous"
        if name in self._names:
            return name
        if len(self._names) >= MAX_OPERATION_NAMES or not _OPERATION_NAME.match(name):
            return "other"
        self._names.add(name)
        return name

    def observe_operation(
        self, name: str | None, kind: str, seconds: float, codes: list[str]
    ) -> None:
        self.operations.labels(self.operation_label(name), kind).observe(seconds)
        for code in codes:
            self.count_error(code)

    def count_error(self, code: str) -> None:
        self.errors.labels(code if code in ERROR_CODES else "other").inc()

    def observe_pool(self) -> None:
        """The pool's gauges, read when scraped (asyncpg only: SQLite has no pool)."""
        pool = getattr(connections.get("default"), "_pool", None)
        if pool is None or not hasattr(pool, "get_size"):
            return
        size, idle = pool.get_size(), pool.get_idle_size()
        self.db_pool.labels("open").set(size)
        self.db_pool.labels("idle").set(idle)
        self.db_pool.labels("in_use").set(size - idle)
        self.db_pool.labels("max").set(pool.get_max_size())


def route_of(path: str) -> str:
    """A bounded label: known routes by name, the rest grouped."""
    if path in ROUTES:
        return path
    if path.startswith("/media/"):
        return "/media/{key}"
    if path.endswith(("/feed.xml", "/feed.json")):
        return "/{tags,authors}/{slug}/feed"
    return "other"


class MetricsMiddleware:
    """Counts, times and logs every HTTP request (pure ASGI: no body buffering)."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started = time.perf_counter()
        status = 500
        scope[OBSERVED_SCOPE_KEY] = {}  # filled in by the GraphQL layer

        async def counting_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                if status >= 400:  # refusals before GraphQL carry their code here
                    for name, value in message.get("headers") or ():
                        if name == b"x-error-code":
                            self.metrics.count_error(value.decode("latin-1"))
            await send(message)

        try:
            await self.app(scope, receive, counting_send)
        finally:
            seconds = time.perf_counter() - started
            route = route_of(scope["path"])
            self.metrics.requests.labels(scope["method"], route, str(status)).inc()
            self.metrics.duration.labels(route).observe(seconds)
            log_access(scope, status, seconds)


async def metrics_endpoint(request: Request) -> Response:
    metrics: Metrics = request.state.metrics
    cache = request.state.response_cache
    metrics.cache.labels("hit").set(cache.hits)
    metrics.cache.labels("miss").set(cache.misses)
    metrics.observe_pool()
    metrics.live_subscribers.set(request.state.bus.subscribers)
    try:
        metrics.webhook_backlog.set(
            await WebhookDelivery.filter(state=DeliveryState.PENDING).count()
        )
        metrics.storage_garbage.set(await StorageGarbage.all().count())
    except (BaseORMException, ServiceUnavailable, OSError):
        # the database is down: /readyz says so; the rest of the metrics still help
        log.warning("metrics: the backlogs could not be read", exc_info=True)
    return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)
