"""The baseline: a plain Starlette endpoint that answers the benchmarked requests
with the very bytes the GraphQL app returned for them.

It runs under the same uvicorn (one worker, same loop and HTTP implementation,
no access log) and, like `/graphql`, reads the whole request body before it
answers, so the gap between the two is what parsing, validating and executing the
query, reading the database and serialising the result cost; HTTP, ASGI and the
bytes on the wire are the same.

Started by the harness as `uvicorn --factory bench.plain:app_from_environment`
with `BENCH_PLAIN_DIR` naming a folder of `NAME.request` / `NAME.response` pairs.
"""

from __future__ import annotations

import os
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

ENV_DIR = "BENCH_PLAIN_DIR"


def load_pairs(folder: Path) -> dict[bytes, bytes]:
    """Request body → response body, for every pair in `folder`."""
    return {
        request.read_bytes(): request.with_suffix(".response").read_bytes()
        for request in sorted(folder.glob("*.request"))
    }


def create_plain_app(answers: dict[bytes, bytes]) -> Starlette:
    """An app that serves `answers` from memory on POST /graphql."""

    async def graphql(request: Request) -> Response:
        body = await request.body()
        answer = answers.get(body)
        if answer is None:
            return JSONResponse({"error": "unknown request body"}, status_code=404)
        return Response(answer, media_type="application/json")

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    return Starlette(
        routes=[
            Route("/graphql", graphql, methods=["POST"]),
            Route("/healthz", healthz, methods=["GET"]),
        ]
    )


def app_from_environment() -> Starlette:
    """The uvicorn factory: answers read once, at start-up, from `BENCH_PLAIN_DIR`."""
    folder = os.environ.get(ENV_DIR)
    if not folder:
        raise RuntimeError(f"{ENV_DIR} must name a folder of .request/.response pairs")
    return create_plain_app(load_pairs(Path(folder)))
