"""Rate limits for GraphQL requests: per client address for the public, per token
for editors and scripts. Fixed one-minute windows, counted in Redis when it is
configured (so the limit holds across instances), else in this process.

The client address is the peer's, or, when the peer is a trusted proxy
(`CMS_TRUSTED_PROXIES`), the right-most address in X-Forwarded-For that is not
one of those proxies (addresses further left are the client's to forge).
Answers from the response cache are not counted: they cost what a static file
costs, which is what the cache is for.
"""

from __future__ import annotations

import ipaddress
import logging
import math
from collections.abc import Sequence

from redis.asyncio import Redis
from redis.exceptions import RedisError
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from cms.http import error_response

log = logging.getLogger("cms.ratelimit")

WINDOW_SECONDS = 60


def parse_networks(
    values: Sequence[str],
) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(v.strip(), strict=False) for v in values if v.strip())


def client_address(
    scope: Scope, trusted: Sequence[ipaddress.IPv4Network | ipaddress.IPv6Network]
) -> str:
    peer = scope["client"][0] if scope.get("client") else "unknown"
    if not trusted or not _within(peer, trusted):
        return peer
    forwarded = b""
    for name, value in scope.get("headers") or ():
        if name == b"x-forwarded-for":
            forwarded = value
    hops = [h.strip() for h in forwarded.decode("latin-1").split(",") if h.strip()]
    for hop in reversed(hops):
        if not _within(hop, trusted):
            return hop
    return peer


def _within(
    address: str, networks: Sequence[ipaddress.IPv4Network | ipaddress.IPv6Network]
) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


class Counter:
    """Counts hits per key and window: Redis when given, else a dict."""

    def __init__(self, redis: Redis | None) -> None:
        self._redis = redis
        self._local: dict[tuple[str, int], int] = {}

    async def hit(self, key: str, window: int, amount: int = 1) -> int:
        if self._redis is not None:
            name = f"cms:rate:{key}:{window}"
            try:
                async with self._redis.pipeline(transaction=True) as pipe:
                    pipe.incrby(name, amount)
                    pipe.expire(name, WINDOW_SECONDS * 2)
                    count, _ = await pipe.execute()
                return int(count)
            except RedisError:
                # counted by this instance alone until Redis is back: the limits
                # still hold per instance, and the API stays up
                log.warning("rate limits: Redis cannot be reached; counting locally")
        if len(self._local) > 100_000:  # old windows go
            self._local = {k: v for k, v in self._local.items() if k[1] >= window}
        count = self._local.get((key, window), 0) + amount
        self._local[(key, window)] = count
        return count


class RateLimitMiddleware:
    """Refuses GraphQL requests over the caller's per-minute limit with 429
    RATE_LIMITED and `retryAfter`."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != "/graphql":
            return await self.app(scope, receive, send)
        refusal = await charge(scope, 1)
        if refusal is not None:
            return await refusal(scope, receive, send)
        await self.app(scope, receive, send)


async def charge(scope: Scope, requests: int) -> Response | None:
    """Counts `requests` against the caller's limit; the 429 to send when that
    goes over it. A batch is charged one request per operation in it."""
    state = scope["state"]
    settings = state["settings"]
    actor = getattr(scope.get("user"), "actor", None)
    if actor is not None and not actor.is_public:
        token = actor.api_token_id or actor.session_id
        key, limit = f"token:{token}", settings.rate_limit_token
    else:
        key = "ip:" + client_address(scope, state["trusted_proxies"])
        limit = settings.rate_limit_public
    if limit <= 0:
        return None
    now = state["clock"].now().timestamp()
    window = int(now // WINDOW_SECONDS)
    if await state["rate_counter"].hit(key, window, requests) <= limit:
        return None
    retry = max(1, math.ceil((window + 1) * WINDOW_SECONDS - now))
    return error_response(
        429,
        "RATE_LIMITED",
        "too many requests; slow down",
        headers={"Retry-After": str(retry)},
        retryAfter=retry,
    )
