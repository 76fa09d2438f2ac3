"""Rate limits: anonymous GraphQL per client address (through trusted proxies only),
and per token, answered with 429 RATE_LIMITED and retryAfter."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
from asgi_lifespan import LifespanManager

from cms.accounts.models import Role
from cms.accounts.passwords import Passwords
from cms.app import create_app
from cms.clock import FixedClock
from cms.ratelimit import client_address, parse_networks

from conftest import NOW, SECRET, settings_for
from factories import staff

QUERY = {"query": "{ tags { id } }"}


@pytest.fixture
async def limited(
    db: str, clock: FixedClock, passwords: Passwords
) -> AsyncIterator[httpx.AsyncClient]:
    settings = settings_for(
        db, rate_limit_public=3, rate_limit_token=5, trusted_proxies=("10.0.0.0/8",)
    )
    app = create_app(settings, clock=clock, passwords=passwords, background=False)
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app, client=("10.1.2.3", 1234))
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            yield client


async def test_public_limit_per_address(limited: httpx.AsyncClient, clock: FixedClock) -> None:
    """The fourth anonymous request of a minute from one address is refused until the
    window turns; another address is not affected."""
    clock.set(NOW.replace(second=0) + timedelta(seconds=45))
    for _ in range(3):
        assert (
            await limited.post("/graphql", json=QUERY, headers={"x-forwarded-for": "203.0.113.7"})
        ).status_code == 200
    refused = await limited.post("/graphql", json=QUERY, headers={"x-forwarded-for": "203.0.113.7"})
    assert refused.status_code == 429
    assert refused.json()["errors"][0]["extensions"] == {"code": "RATE_LIMITED", "retryAfter": 15}
    assert refused.headers["retry-after"] == "15"
    other = await limited.post("/graphql", json=QUERY, headers={"x-forwarded-for": "203.0.113.8"})
    assert other.status_code == 200
    clock.advance(seconds=15)
    assert (
        await limited.post("/graphql", json=QUERY, headers={"x-forwarded-for": "203.0.113.7"})
    ).status_code == 200


async def test_tokens_have_their_own_limit(
    limited: httpx.AsyncClient, passwords: Passwords
) -> None:
    """An editor's session counts apart from the public, up to its own limit."""
    _, auth = await staff(passwords, Role.EDITOR, NOW, SECRET)
    codes = [
        (await limited.post("/graphql", json=QUERY, headers=auth)).status_code for _ in range(6)
    ]
    assert codes == [200] * 5 + [429]


async def test_a_batch_counts_each_of_its_operations(
    limited: httpx.AsyncClient, passwords: Passwords
) -> None:
    """Batching is no way around the limit: a batch of four is four requests, so
    with a limit of five a batch of two after it is refused."""
    _, auth = await staff(passwords, Role.EDITOR, NOW, SECRET)
    four = await limited.post("/graphql", json=[QUERY] * 4, headers=auth)
    assert four.status_code == 200 and len(four.json()) == 4
    two = await limited.post("/graphql", json=[QUERY] * 2, headers=auth)
    assert two.status_code == 429
    assert two.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"


def test_forwarded_for_is_believed_only_from_trusted_proxies() -> None:
    """The right-most untrusted hop is the client; an untrusted peer's header is ignored."""
    trusted = parse_networks(["10.0.0.0/8"])
    headers = [(b"x-forwarded-for", b"198.51.100.9, 203.0.113.7, 10.0.0.2")]
    assert client_address({"client": ("10.0.0.1", 1), "headers": headers}, trusted) == "203.0.113.7"
    assert client_address({"client": ("192.0.2.5", 1), "headers": headers}, trusted) == "192.0.2.5"
    assert client_address({"client": ("10.0.0.1", 1), "headers": []}, trusted) == "10.0.0.1"
    assert client_address({"client": ("10.0.0.1", 1), "headers": headers}, ()) == "10.0.0.1"
