"""Prometheus metrics (`GET /metrics`), with the official client library.

Each app has its own registry (tests build many apps in one process). Run one
worker per container and let the orchestrator scale out: each instance is
scraped on its own.
"""

from __future__ import annotations

import time

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cms.delivery.models import DeliveryState, WebhookDelivery

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
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
            registry=self.registry,
        )
        self.cache = Gauge(
            "cms_response_cache_lookups",
            "Response cache lookups since start.",
            ["result"],
            registry=self.registry,
        )
        self.webhook_backlog = Gauge(
            "cms_webhook_backlog", "Webhook deliveries waiting to be sent.", registry=self.registry
        )


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
    """Counts and times every HTTP request (pure ASGI: no body buffering)."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started = time.perf_counter()
        status = 500

        async def counting_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, counting_send)
        finally:
            route = route_of(scope["path"])
            self.metrics.requests.labels(scope["method"], route, str(status)).inc()
            self.metrics.duration.labels(route).observe(time.perf_counter() - started)


async def metrics_endpoint(request: Request) -> Response:
    metrics: Metrics = request.state.metrics
    cache = request.state.response_cache
    metrics.cache.labels("hit").set(cache.hits)
    metrics.cache.labels("miss").set(cache.misses)
    metrics.webhook_backlog.set(await WebhookDelivery.filter(state=DeliveryState.PENDING).count())
    return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)
