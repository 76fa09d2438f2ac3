"""HTTP caching of public reads: GET queries, persisted queries (APQ), ETag and 304,
Cache-Control, and a response cache that forgets on every change and at the next
scheduled publication."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta

import httpx
import pytest

from cms.accounts.models import Role
from cms.accounts.passwords import Passwords
from cms.clock import FixedClock
from cms.settings import Settings

from conftest import NOW, SECRET, SQLCounter, settings_for
from factories import make_feed_item, staff

FEED = "{ feed(first: 5) { edges { node { id headline } } } }"


@pytest.fixture
def settings(db: str) -> Settings:
    return settings_for(db, response_cache=True)


def headlines(response: httpx.Response) -> list[str]:
    return [e["node"]["headline"] for e in response.json()["data"]["feed"]["edges"]]


@pytest.mark.usefixtures("app")
async def test_get_etag_304_and_cache_control(
    client: httpx.AsyncClient, passwords: Passwords
) -> None:
    """A public GET carries a strong ETag and shared-cache headers; a matching
    If-None-Match is a 304; a request with credentials is private, no-store."""
    await make_feed_item(headline="One", published_at=NOW - timedelta(minutes=1))
    first = await client.get("/graphql", params={"query": FEED})
    assert first.status_code == 200
    etag = first.headers["etag"]
    assert etag.startswith('"') and "s-maxage" in first.headers["cache-control"]
    assert "public" in first.headers["cache-control"]
    again = await client.get("/graphql", params={"query": FEED}, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    post = await client.post(
        "/graphql", json={"query": FEED}, headers={"If-None-Match": f'"x", {etag}'}
    )
    assert post.status_code == 304
    _, auth = await staff(passwords, Role.EDITOR, NOW, SECRET)
    private = await client.get("/graphql", params={"query": FEED}, headers=auth)
    assert private.headers["cache-control"] == "private, no-store"
    assert "etag" not in private.headers


@pytest.mark.usefixtures("app")
async def test_cache_hits_skip_graphql_and_the_database(
    client: httpx.AsyncClient, sql_counter: SQLCounter
) -> None:
    """The second identical public query is answered without a single SQL statement."""
    await make_feed_item(headline="Cached", published_at=NOW - timedelta(minutes=1))
    await client.post("/graphql", json={"query": FEED})
    sql_counter.statements.clear()
    hit = await client.post("/graphql", json={"query": FEED})
    assert headlines(hit) == ["Cached"]
    assert sql_counter.statements == []


@pytest.mark.usefixtures("app")
async def test_changes_retire_cached_answers(
    client: httpx.AsyncClient, passwords: Passwords
) -> None:
    """Publishing, updating and unpublishing each show at once in the next read."""
    _, auth = await staff(passwords, Role.EDITOR, NOW, SECRET)

    async def mutate(query: str, **variables: object) -> dict:  # type: ignore[type-arg]
        response = await client.post(
            "/graphql", json={"query": query, "variables": variables}, headers=auth
        )
        body = response.json()
        assert "errors" not in body, body
        return body  # type: ignore[no-any-return]

    assert headlines(await client.get("/graphql", params={"query": FEED})) == []
    item = (
        await mutate(
            'mutation { createFeedItem(input: {kind: UPDATE, headline: "New"}) { id version } }'
        )
    )["data"]["createFeedItem"]
    await mutate("mutation($id: ID!) { publishFeedItem(id: $id) { status } }", id=item["id"])
    assert headlines(await client.get("/graphql", params={"query": FEED})) == ["New"]
    await mutate(
        'mutation($id: ID!) { updateFeedItem(id: $id, version: 2, input: {headline: "Renamed"}) { id } }',
        id=item["id"],
    )
    assert headlines(await client.get("/graphql", params={"query": FEED})) == ["Renamed"]
    await mutate("mutation($id: ID!) { unpublishFeedItem(id: $id) { status } }", id=item["id"])
    assert headlines(await client.get("/graphql", params={"query": FEED})) == []


@pytest.mark.usefixtures("app")
async def test_cached_pages_expire_at_the_next_scheduled_publication(
    client: httpx.AsyncClient, clock: FixedClock
) -> None:
    """A page cached before a scheduled item's time is not served after it."""
    await make_feed_item(headline="Now", published_at=NOW - timedelta(minutes=1))
    await make_feed_item(
        headline="Later", status="SCHEDULED", published_at=NOW + timedelta(minutes=5)
    )
    assert headlines(await client.get("/graphql", params={"query": FEED})) == ["Now"]
    clock.set(NOW + timedelta(minutes=5) - timedelta(seconds=1))
    assert headlines(await client.get("/graphql", params={"query": FEED})) == ["Now"]
    clock.set(NOW + timedelta(minutes=5))
    assert headlines(await client.get("/graphql", params={"query": FEED})) == ["Later", "Now"]


@pytest.mark.usefixtures("app")
async def test_persisted_queries(client: httpx.AsyncClient) -> None:
    """An unknown hash is PERSISTED_QUERY_NOT_FOUND; once registered, the hash alone
    works, over GET too (so CDNs can cache it); a wrong hash is refused."""
    sha = hashlib.sha256(FEED.encode()).hexdigest()
    extensions = {"persistedQuery": {"version": 1, "sha256Hash": sha}}
    unknown = await client.post("/graphql", json={"extensions": extensions})
    assert unknown.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
    registered = await client.post("/graphql", json={"query": FEED, "extensions": extensions})
    assert "errors" not in registered.json()
    by_get = await client.get("/graphql", params={"extensions": json.dumps(extensions)})
    assert by_get.status_code == 200 and by_get.json()["data"]["feed"]["edges"] == []
    assert "public" in by_get.headers["cache-control"]
    wrong = await client.post(
        "/graphql", json={"query": "{ tags { id } }", "extensions": extensions}
    )
    assert wrong.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


@pytest.mark.usefixtures("app")
async def test_mutations_are_refused_over_get(client: httpx.AsyncClient) -> None:
    """GET is for queries only."""
    response = await client.get("/graphql", params={"query": "mutation { logout }"})
    assert 400 <= response.status_code < 500


async def test_a_hit_sends_the_headers_of_a_miss(db: str, passwords: Passwords) -> None:
    """In production with CORS: a cached answer carries the same security, CORS and
    caching headers as the miss that filled it, and keeps the caller's request id."""
    from asgi_lifespan import LifespanManager

    from cms.app import create_app

    app = create_app(
        settings_for(
            db, env="production", cors_origins=("https://news.example",), response_cache=True
        ),
        passwords=passwords,
        background=False,
    )
    headers = {"origin": "https://news.example", "x-request-id": "edge-12345678"}
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            miss = await http.post("/graphql", json={"query": FEED}, headers=headers)
            hit = await http.post("/graphql", json={"query": FEED}, headers=headers)
    for name in (
        "etag",
        "cache-control",
        "x-content-type-options",
        "referrer-policy",
        "x-frame-options",
        "content-security-policy",
        "strict-transport-security",
        "access-control-allow-origin",
        "x-request-id",
        "content-type",
    ):
        assert hit.headers.get(name) == miss.headers.get(name), name
    assert hit.headers["x-request-id"] == "edge-12345678"
    assert hit.headers["access-control-allow-origin"] == "https://news.example"
    assert hit.content == miss.content
