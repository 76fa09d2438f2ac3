"""HTTP concerns of every response: a request id, and security headers."""

from __future__ import annotations

import os
import re

from starlette.datastructures import MutableHeaders
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cms.logs import REQUEST_ID, REQUEST_ID_SCOPE_KEY

_SANE_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")

API_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Resource-Policy": "same-site",
}
ERROR_CODE_HEADER = "X-Error-Code"
# JSON and feeds need no active content; GraphiQL (development only) does
API_CSP = "default-src 'none'; frame-ancestors 'none'"
HSTS = "max-age=63072000; includeSubDomains"


def request_id_of(scope: Scope) -> str:
    """A sane incoming X-Request-ID (a load balancer's), else a new random one."""
    for name, value in scope.get("headers") or ():
        if name == b"x-request-id":
            incoming = value.decode("latin-1")
            if _SANE_ID.match(incoming):
                return incoming
            break
    return os.urandom(16).hex()  # as random as uuid4, a quarter of its cost


def cors_headers(scope: Scope, allowed: tuple[str, ...]) -> list[tuple[bytes, bytes]]:
    """What CORSMiddleware adds to a simple request from an allowed origin."""
    if not allowed:
        return []
    for name, value in scope.get("headers") or ():
        if name == b"origin":
            if value.decode("latin-1") in allowed:
                return [
                    (b"access-control-allow-origin", value),
                    (b"access-control-expose-headers", b"etag, x-request-id"),
                    (b"vary", b"Origin"),
                ]
            break
    return []


def error_response(
    status: int,
    code: str,
    message: str,
    *,
    headers: dict[str, str] | None = None,
    **extensions: object,
) -> JSONResponse:
    """An answer refused before GraphQL ran, shaped like a GraphQL error so clients
    read it like any other; never cached. `X-Error-Code` repeats the code for
    whatever counts answers without reading them (the metrics, a proxy's log)."""
    return JSONResponse(
        {"errors": [{"message": message, "extensions": {"code": code, **extensions}}]},
        status_code=status,
        headers={"Cache-Control": "private, no-store", ERROR_CODE_HEADER: code, **(headers or {})},
    )


class RequestContextMiddleware:
    """Gives each request an id (a sane incoming X-Request-ID is kept, so a load
    balancer's id follows the request) and every response the security headers."""

    def __init__(self, app: ASGIApp, *, production: bool) -> None:
        self.app = app
        self.production = production

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            return await self.app(scope, receive, send)
        request_id = request_id_of(scope)
        scope[REQUEST_ID_SCOPE_KEY] = request_id
        REQUEST_ID.set(request_id)  # for every record logged while it is handled

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["X-Request-ID"] = request_id
                for name, value in API_HEADERS.items():
                    headers.setdefault(name, value)
                if self.production or scope["path"] != "/graphql" or scope["method"] != "GET":
                    headers.setdefault("Content-Security-Policy", API_CSP)
                if self.production:
                    headers.setdefault("Strict-Transport-Security", HSTS)
            await send(message)

        await self.app(scope, receive, with_headers)
