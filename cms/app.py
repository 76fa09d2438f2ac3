"""The composition root: `create_app(settings)` builds the whole application."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import datetime, timedelta
from typing import Any

import anyio
import httpx
from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.authentication import AuthenticationMiddleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route, WebSocketRoute
from tortoise import connections
from tortoise.contrib.starlette import RegisterTortoise

from cms.accounts.auth import BearerTokenBackend, unauthenticated_response
from cms.accounts.passwords import Passwords
from cms.accounts.throttle import DatabaseThrottle, RedisThrottle
from cms.accounts.tokens import TokenHasher
from cms.accounts.totp import SecretBox
from cms.articles.preview import PreviewTokens
from cms.assets.service import sweep_storage
from cms.clock import Clock, SystemClock
from cms.db import tortoise_config
from cms.delivery.bus import EventBus, LocalBus, RedisBus
from cms.delivery.epoch import Epoch, LocalEpoch, RedisEpoch
from cms.delivery.response_cache import PersistedQueries, ResponseCache
from cms.delivery.webhooks import TIMEOUT as WEBHOOK_TIMEOUT
from cms.delivery.webhooks import deliver_due
from cms.delivery.worker import run_worker
from cms.errors import ServiceUnavailable
from cms.feed.feeds_http import json_feed, rss_feed
from cms.http import RequestContextMiddleware, error_response
from cms.logs import install_redaction
from cms.metrics import Metrics, MetricsMiddleware, metrics_endpoint
from cms.pagination import CursorCodec
from cms.ratelimit import Counter as RateCounter
from cms.ratelimit import RateLimitMiddleware, parse_networks
from cms.settings import Settings
from cms.storage import storage_for
from media.errors import MediaError
from media.http import receive_direct_upload, serve_media
from media.storage import Storage
from schema import build_schema
from schema.http import GraphQLEndpoint
from schema.http_cache import ResponseCacheMiddleware

log = logging.getLogger("cms.app")

REDIS_TIMEOUT = 2.0  # seconds to connect to Redis, and for each command


async def healthz(request: Request) -> JSONResponse:
    """The process is up (no dependency is checked)."""
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> JSONResponse:
    """The database and the media storage answer; 503 otherwise. Redis, when
    configured, is reported but does not decide: without it every instance still
    serves (uncached, rate limits per instance, no live events across instances),
    and taking them all out of the balancer would be an outage."""
    checks = {"database": "up", "storage": "up"}
    try:
        await connections.get("default").execute_query("SELECT 1")
    except Exception:  # any failure means "not ready"; the reason goes to the log
        log.warning("readiness check failed: database", exc_info=True)
        checks["database"] = "down"
    try:
        await request.state.storage.check()
    except MediaError:
        log.warning("readiness check failed: storage", exc_info=True)
        checks["storage"] = "down"
    ready = all(v == "up" for v in checks.values())
    body = {"status": "ok" if ready else "unavailable", **checks}
    redis = request.state.redis
    if redis is not None:
        try:
            await redis.ping()
            body["redis"] = "up"
        except RedisError:
            log.warning("readiness check: Redis cannot be reached (degraded, still ready)")
            body["redis"] = "down"
    return JSONResponse(body, status_code=200 if ready else 503)


async def service_unavailable(request: Request, exc: Exception) -> JSONResponse:
    """A dependency is down under a route outside GraphQL (feeds, media): a 503 that
    says so, not a bare 500 (GraphQL reports the same error in its own answer)."""
    assert isinstance(exc, ServiceUnavailable)
    return error_response(503, exc.code, exc.message, headers={"Retry-After": "5"})


def create_app(
    settings: Settings,
    *,
    clock: Clock | None = None,
    passwords: Passwords | None = None,
    storage: Storage | None = None,
    background: bool = True,
) -> Starlette:
    """The ASGI application for `settings`. Nothing is opened until its lifespan
    starts; `clock` lets tests decide what time it is, `passwords` how hard
    argon2 works, `background` whether this instance runs the background work
    (tests run its rounds themselves)."""
    install_redaction()
    schema = build_schema(production=settings.is_production)
    metrics = Metrics()
    graphql = GraphQLEndpoint(
        schema,
        graphql_ide=None if settings.is_production else "graphiql",
        allow_queries_via_get=True,
        multipart_uploads_enabled=True,
        # websocket limits: a slow or silent client cannot hold a connection open,
        # one connection cannot multiply subscriptions, other sites cannot connect
        connection_init_wait_timeout=timedelta(seconds=10),
        max_subscriptions_per_connection=10,
        allowed_origins=settings.cors_origins,
    )

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[dict[str, Any]]:
        async with AsyncExitStack() as stack:
            await stack.enter_async_context(
                RegisterTortoise(app, config=tortoise_config(settings.database_url))
            )
            redis = None
            if settings.redis_url is not None:
                # a Redis that does not answer must not hang requests: every
                # command gives up after REDIS_TIMEOUT (subscriptions wait on)
                redis = Redis.from_url(
                    settings.redis_url,
                    socket_connect_timeout=REDIS_TIMEOUT,
                    socket_timeout=REDIS_TIMEOUT,
                    # a pooled connection that died with a Redis restart is found
                    # out by the command using it, which tries once more on a new
                    # one; more tries would only make requests wait out an outage
                    retry=Retry(ExponentialBackoff(cap=0.05, base=0.01), retries=1),
                    retry_on_error=[RedisConnectionError, RedisTimeoutError],
                    health_check_interval=15,
                )
                stack.push_async_callback(redis.aclose)
            the_clock = clock or SystemClock()
            the_storage = storage or storage_for(settings)
            bus: EventBus = RedisBus(redis) if redis is not None else LocalBus()
            epoch: Epoch = RedisEpoch(redis) if redis is not None else LocalEpoch()
            tasks = await stack.enter_async_context(anyio.create_task_group())
            stack.callback(tasks.cancel_scope.cancel)
            if isinstance(bus, RedisBus):
                listening = anyio.Event()
                tasks.start_soon(bus.listen, listening)
                with anyio.move_on_after(REDIS_TIMEOUT * 2):
                    await listening.wait()
                if not listening.is_set():  # it keeps trying; the API works meanwhile
                    log.warning("live events: Redis cannot be reached at start-up")
            http = await stack.enter_async_context(
                httpx.AsyncClient(timeout=WEBHOOK_TIMEOUT, follow_redirects=False)
            )
            if background:

                async def deliver() -> int:
                    return await deliver_due(
                        now=the_clock.now(),
                        client=http,
                        allow_private=settings.webhook_allow_private,
                    )

                swept_at: datetime | None = None

                async def sweep() -> int:
                    nonlocal swept_at
                    now = the_clock.now()
                    if swept_at is not None and now - swept_at < SWEEP_INTERVAL:
                        return 0
                    swept_at = now
                    return await sweep_storage(storage=the_storage, now=now)

                stopping, stopped = anyio.Event(), anyio.Event()
                tasks.start_soon(_worker, the_clock, bus, epoch, deliver, sweep, stopping, stopped)
                stack.push_async_callback(_stop_worker, stopping, stopped)
            yield {
                "settings": settings,
                "clock": the_clock,
                "bus": bus,
                "epoch": epoch,
                "response_cache": ResponseCache(),
                "persisted_queries": PersistedQueries(redis),
                "metrics": metrics,
                "rate_counter": RateCounter(redis),
                "trusted_proxies": parse_networks(settings.trusted_proxies),
                "cursors": CursorCodec(settings.secret_key),
                "storage": the_storage,
                "passwords": passwords or Passwords(),
                "token_hasher": TokenHasher(settings.secret_key),
                "totp_box": SecretBox(settings.secret_key),
                "previews": PreviewTokens(settings.secret_key),
                "throttle": RedisThrottle(redis) if redis is not None else DatabaseThrottle(),
                "redis": redis,
            }

    app = Starlette(
        routes=[
            Route("/healthz", healthz, methods=["GET"]),
            Route("/readyz", readyz, methods=["GET"]),
            Route("/metrics", metrics_endpoint, methods=["GET"]),
            Route("/graphql", graphql, methods=["GET", "POST"]),
            Route("/media/upload", receive_direct_upload, methods=["POST"]),
            Route("/media/{key:path}", serve_media, methods=["GET", "HEAD"]),
            Route("/feed.json", json_feed, methods=["GET", "HEAD"]),
            Route("/feed.xml", rss_feed, methods=["GET", "HEAD"]),
            Route("/tags/{tag}/feed.json", json_feed, methods=["GET", "HEAD"]),
            Route("/tags/{tag}/feed.xml", rss_feed, methods=["GET", "HEAD"]),
            Route("/authors/{author}/feed.json", json_feed, methods=["GET", "HEAD"]),
            Route("/authors/{author}/feed.xml", rss_feed, methods=["GET", "HEAD"]),
            WebSocketRoute("/graphql", graphql),
        ],
        middleware=[
            # first, so a cache hit costs as little as a static answer
            Middleware(ResponseCacheMiddleware, metrics=metrics),
            Middleware(MetricsMiddleware, metrics=metrics),
            Middleware(RequestContextMiddleware, production=settings.is_production),
            *(
                [
                    Middleware(
                        CORSMiddleware,
                        allow_origins=list(settings.cors_origins),
                        allow_methods=["GET", "POST"],
                        allow_headers=[
                            "authorization",
                            "content-type",
                            "apollo-require-preflight",
                            "x-cms-csrf",
                            "if-none-match",
                        ],
                        expose_headers=["etag", "x-request-id"],
                        max_age=600,
                    )
                ]
                if settings.cors_origins
                else []
            ),
            Middleware(
                AuthenticationMiddleware,
                backend=BearerTokenBackend(),
                on_error=unauthenticated_response,
            ),
            Middleware(RateLimitMiddleware),  # after authentication: tokens have their own
        ],
        exception_handlers={ServiceUnavailable: service_unavailable},
        lifespan=lifespan,
    )
    return app


# Shutdown lets the background round under way finish (each of its steps is a
# transaction) for at most this long, then cancels it, within uvicorn's 25 s.
WORKER_STOP_SECONDS = 10
# media storage garbage is looked for once a minute, not every round
SWEEP_INTERVAL = timedelta(minutes=1)


async def _worker(
    clock: Clock,
    bus: EventBus,
    epoch: Epoch,
    deliver: Callable[[], Awaitable[int]],
    sweep: Callable[[], Awaitable[int]],
    stopping: anyio.Event,
    stopped: anyio.Event,
) -> None:
    try:
        await run_worker(
            clock=clock, bus=bus, epoch=epoch, deliver=deliver, sweep=sweep, stopping=stopping
        )
    finally:
        stopped.set()


async def _stop_worker(stopping: anyio.Event, stopped: anyio.Event) -> None:
    """First step of shutdown: the worker stops at its next safe point."""
    stopping.set()
    with anyio.move_on_after(WORKER_STOP_SECONDS):
        await stopped.wait()
    if not stopped.is_set():
        log.warning("background work did not stop within %d s; cancelled", WORKER_STOP_SECONDS)


def app_from_environment() -> Starlette:
    """The application configured from the environment (`cms serve` workers)."""
    from cms.settings import load_settings

    return create_app(load_settings())
