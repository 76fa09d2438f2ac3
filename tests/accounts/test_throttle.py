"""Login throttling: more than 5 failures for an account, or 20 from one address,
within 5 minutes is RATE_LIMITED (the right password included) until the window
passes; counted per attempt, so aliases and batches cannot multiply tries."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from redis.asyncio import Redis

from cms.accounts.passwords import Passwords
from cms.accounts.throttle import ACCOUNT_LIMIT, RedisThrottle
from cms.clock import FixedClock
from cms.errors import RateLimited

from conftest import NOW, REDIS_URL, GraphQLClient
from factories import make_user

LOGIN = """mutation($email: String!, $password: String!) {
  login(email: $email, password: $password) { token }
}"""
PASSWORD = "correct horse battery staple"


def code_of(result: dict) -> str:  # type: ignore[type-arg]
    return result["errors"][0]["extensions"]["code"]


@pytest.mark.usefixtures("app")
async def test_account_locks_after_five_failures(
    gql: GraphQLClient, passwords: Passwords, clock: FixedClock
) -> None:
    """The sixth attempt is refused even with the right password, until 5 minutes pass."""
    await make_user(passwords, email="target@example.org")
    for _ in range(5):
        result = await gql(LOGIN, {"email": "target@example.org", "password": "wrong password!"})
        assert code_of(result) == "UNAUTHENTICATED"
        clock.advance(seconds=10)
    locked = await gql(LOGIN, {"email": "target@example.org", "password": PASSWORD})
    assert code_of(locked) == "RATE_LIMITED"
    retry_after = locked["errors"][0]["extensions"]["retryAfter"]
    assert retry_after == 300 - 50  # the first failure leaves the window 250 s from now
    clock.advance(seconds=retry_after - 1)
    assert code_of(await gql(LOGIN, {"email": "target@example.org", "password": PASSWORD})) == (
        "RATE_LIMITED"
    )
    clock.advance(seconds=1)
    ok = await gql(LOGIN, {"email": "target@example.org", "password": PASSWORD})
    assert ok["data"]["login"]["token"]


@pytest.mark.usefixtures("app")
async def test_aliases_in_one_document_count_one_by_one(
    gql: GraphQLClient, passwords: Passwords
) -> None:
    """Documents of eight aliased logins get no more than five tries in all: each
    login field is an attempt, and mutations run one by one."""
    await make_user(passwords, email="alias@example.org")
    document = (
        "mutation {"
        + " ".join(
            f'a{i}: login(email: "alias@example.org", password: "guess number {i}") {{ token }}'
            for i in range(8)
        )
        + "}"
    )
    codes = []
    for _ in range(4):
        result = await gql(document)
        assert result["data"] is None
        codes.extend(e["extensions"]["code"] for e in result["errors"])
    assert codes.count("UNAUTHENTICATED") <= 5
    assert "RATE_LIMITED" in codes or len(codes) == 4
    for _ in range(5):
        result = await gql(LOGIN, {"email": "alias@example.org", "password": "one more guess"})
        codes.append(code_of(result))
    assert codes.count("UNAUTHENTICATED") == 5
    after = await gql(LOGIN, {"email": "alias@example.org", "password": PASSWORD})
    assert code_of(after) == "RATE_LIMITED"


@pytest.mark.usefixtures("app")
async def test_address_locks_after_twenty_failures(
    gql: GraphQLClient, passwords: Passwords
) -> None:
    """Twenty failures from one address over many accounts lock that address."""
    await make_user(passwords, email="victim@example.org")
    for i in range(20):
        result = await gql(LOGIN, {"email": f"spray{i}@example.org", "password": "password123456"})
        assert code_of(result) == "UNAUTHENTICATED"
    result = await gql(LOGIN, {"email": "victim@example.org", "password": PASSWORD})
    assert code_of(result) == "RATE_LIMITED"


@pytest.mark.usefixtures("app")
async def test_success_does_not_count(gql: GraphQLClient, passwords: Passwords) -> None:
    """Right passwords are forgiven: a busy editor is never locked out by logging in."""
    await make_user(passwords, email="busy@example.org")
    for _ in range(8):
        result = await gql(LOGIN, {"email": "busy@example.org", "password": PASSWORD})
        assert result["data"]["login"]["token"]


@pytest.mark.skipif(REDIS_URL is None, reason="CMS_TEST_REDIS_URL is not set")
async def test_redis_counters_are_shared_between_instances() -> None:
    """Two instances (two Redis clients) see each other's failures."""
    assert REDIS_URL is not None
    prefix = f"cms-test:{uuid.uuid4().hex}:"
    first, second = Redis.from_url(REDIS_URL), Redis.from_url(REDIS_URL)
    try:
        a, b = RedisThrottle(first, prefix), RedisThrottle(second, prefix)
        for i in range(ACCOUNT_LIMIT.max_failures):
            await (a if i % 2 else b).record("account:x", ACCOUNT_LIMIT, NOW)
        with pytest.raises(RateLimited) as caught:
            await a.record("account:x", ACCOUNT_LIMIT, NOW + timedelta(seconds=30))
        assert caught.value.retry_after == 270
        # the window passes: allowed again, with the refused attempt not counted
        await b.record("account:x", ACCOUNT_LIMIT, NOW + timedelta(minutes=5, seconds=1))
    finally:
        keys = [k async for k in first.scan_iter(match=prefix + "*")]
        if keys:
            await first.delete(*keys)
        await first.aclose()
        await second.aclose()


@pytest.mark.skipif(REDIS_URL is None, reason="CMS_TEST_REDIS_URL is not set")
async def test_app_uses_redis_when_configured(
    db: str, clock: FixedClock, passwords: Passwords
) -> None:
    """With CMS_REDIS_URL set, the login counters live in Redis, not the database."""
    import httpx
    from asgi_lifespan import LifespanManager

    from cms.accounts.models import LoginFailure
    from cms.app import create_app

    from conftest import settings_for

    assert REDIS_URL is not None
    app = create_app(
        settings_for(db, redis_url=REDIS_URL), clock=clock, passwords=passwords, background=False
    )
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            email = f"{uuid.uuid4().hex}@example.org"
            response = await http.post(
                "/graphql",
                json={"query": LOGIN, "variables": {"email": email, "password": "x" * 12}},
            )
            assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
            assert await LoginFailure.all().count() == 0
            probe = Redis.from_url(REDIS_URL)
            try:
                assert await probe.zcard(f"cms:throttle:account:{email}") == 1
                await probe.delete(
                    f"cms:throttle:account:{email}", "cms:throttle:address:127.0.0.1"
                )
            finally:
                await probe.aclose()
