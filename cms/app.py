"""The composition root: `create_app(settings)` builds the whole application."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route, WebSocketRoute
from tortoise import connections
from tortoise.contrib.starlette import RegisterTortoise

from cms.clock import Clock, SystemClock
from cms.db import tortoise_config
from cms.pagination import CursorCodec
from cms.settings import Settings
from schema import build_schema
from schema.http import GraphQLEndpoint


async def healthz(request: Request) -> JSONResponse:
    """The process is up (no dependency is checked)."""
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> JSONResponse:
    """The database answers; 503 otherwise."""
    try:
        await connections.get("default").execute_query("SELECT 1")
    except Exception:  # any failure means "not ready"; the reason goes to the log
        request.app.state.log.warning("readiness check failed", exc_info=True)
        return JSONResponse({"status": "unavailable", "database": "down"}, status_code=503)
    return JSONResponse({"status": "ok", "database": "up"})


def _media_base_url(settings: Settings) -> str | None:
    """Base of `MediaAsset.url`; None means the server's own `/media/`."""
    if settings.public_media_url:
        return settings.public_media_url.rstrip("/") + "/"
    return None


def create_app(settings: Settings, *, clock: Clock | None = None) -> Starlette:
    """The ASGI application for `settings`. Nothing is opened until its lifespan
    starts; `clock` lets tests decide what time it is."""
    import logging

    schema = build_schema()
    graphql = GraphQLEndpoint(
        schema,
        graphql_ide=None if settings.is_production else "graphiql",
        allow_queries_via_get=True,
    )

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[dict[str, Any]]:
        async with RegisterTortoise(app, config=tortoise_config(settings.database_url)):
            yield {
                "settings": settings,
                "clock": clock or SystemClock(),
                "cursors": CursorCodec(settings.secret_key),
                "media_base_url": _media_base_url(settings),
            }

    app = Starlette(
        routes=[
            Route("/healthz", healthz, methods=["GET"]),
            Route("/readyz", readyz, methods=["GET"]),
            Route("/graphql", graphql, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql),
        ],
        lifespan=lifespan,
    )
    app.state.log = logging.getLogger("cms.app")
    return app


def app_from_environment() -> Starlette:
    """The application configured from the environment (`cms serve` workers)."""
    from cms.settings import load_settings

    return create_app(load_settings())
