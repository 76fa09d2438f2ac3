"""The HTTP surface: health checks, GraphQL over POST and GET, and error codes."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager

from cms.app import create_app

from conftest import NOW, GraphQLClient, settings_for
from factories import make_feed_item

FEED = "{ feed(first: 3) { edges { node { headline } } } }"


async def test_healthz_answers_without_dependencies(client: httpx.AsyncClient) -> None:
    """/healthz says the process is up."""
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readyz_checks_the_database(client: httpx.AsyncClient) -> None:
    """/readyz is 200 while the database answers."""
    response = await client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["database"] == "up"


async def test_readyz_is_503_when_the_database_is_unreachable() -> None:
    """/readyz is 503 (not a crash) when the database cannot be reached."""
    app = create_app(settings_for("postgres://postgres@127.0.0.1:1/nowhere"), background=False)
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            response = await http.get("/readyz")
    assert response.status_code == 503
    assert response.json()["database"] == "down"


@pytest.mark.usefixtures("app")
async def test_queries_work_over_get(client: httpx.AsyncClient) -> None:
    """GET /graphql?query=… answers queries, so CDNs can cache them."""
    await make_feed_item(headline="Via GET", published_at=NOW - timedelta(minutes=1))
    response = await client.get("/graphql", params={"query": FEED})
    assert response.status_code == 200
    assert response.json() == {"data": {"feed": {"edges": [{"node": {"headline": "Via GET"}}]}}}


@pytest.mark.usefixtures("app")
async def test_parse_error_has_its_code(gql: GraphQLClient) -> None:
    """A document that does not parse is GRAPHQL_PARSE_FAILED."""
    result = await gql("{ feed(first: 3) { edges ")
    assert result["errors"][0]["extensions"]["code"] == "GRAPHQL_PARSE_FAILED"


@pytest.mark.usefixtures("app")
async def test_validation_error_has_its_code(gql: GraphQLClient) -> None:
    """Unknown fields and wrong argument types are GRAPHQL_VALIDATION_FAILED."""
    for document in ("{ feed { nope } }", '{ feed(first: "many") { edges { cursor } } }'):
        result = await gql(document)
        assert result["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"


@pytest.mark.usefixtures("app")
async def test_unexpected_errors_are_masked(
    gql: GraphQLClient, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A bug reaches the client as INTERNAL_SERVER_ERROR with no detail; the log has it."""
    import schema.tags.queries

    async def broken() -> list[object]:
        raise RuntimeError("SELECT secret FROM internals")

    monkeypatch.setattr(schema.tags.queries, "list_tags", broken)
    response = await gql.http.post(
        "/graphql", json={"query": "{ tags { name } }"}, headers={"X-Request-ID": "req-1234abcd"}
    )
    result = response.json()
    error = result["errors"][0]
    assert error["message"] == "Internal server error."
    assert error["extensions"] == {"code": "INTERNAL_SERVER_ERROR", "requestId": "req-1234abcd"}
    assert response.headers["x-request-id"] == "req-1234abcd"
    assert "secret" not in str(result)
    assert "SELECT secret FROM internals" in caplog.text
    assert "req-1234abcd" in caplog.text  # the log line an operator finds by the id
    logged = [r for r in caplog.records if r.getMessage().startswith("unexpected error")]
    assert len(logged) == 1  # once, not once per list strawberry keeps it in


async def test_metrics_count_and_time_requests(client: httpx.AsyncClient) -> None:
    """/metrics is Prometheus text with the request counter and latency histogram."""
    await client.get("/healthz")
    await client.post("/graphql", json={"query": "{ tags { id } }"})
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    assert 'cms_http_requests_total{method="GET",route="/healthz",status="200"} 1.0' in text
    assert 'cms_http_requests_total{method="POST",route="/graphql",status="200"} 1.0' in text
    assert 'cms_http_request_duration_seconds_bucket{le="0.005",route="/graphql"}' in text
    assert "cms_webhook_backlog 0.0" in text


async def test_security_headers_on_every_response(client: httpx.AsyncClient) -> None:
    """Every response has nosniff, no-referrer, no framing and a request id."""
    for response in (
        await client.get("/healthz"),
        await client.post("/graphql", json={"query": "{ tags { id } }"}),
    ):
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "no-referrer"
        assert response.headers["x-frame-options"] == "DENY"
        assert len(response.headers["x-request-id"]) >= 8


async def test_production_mode(db: str, passwords: Any) -> None:
    """In production: no introspection, no GraphiQL, no schema suggestions, HSTS, and
    CORS only for the configured origins."""
    app = create_app(
        settings_for(db, env="production", cors_origins=("https://news.example",)),
        passwords=passwords,
        background=False,
    )
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            intro = (
                await http.post("/graphql", json={"query": "{ __schema { types { name } } }"})
            ).json()
            assert intro["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
            typo = (
                await http.post("/graphql", json={"query": "{ feeds { edges { cursor } } }"})
            ).json()
            assert "Did you mean" not in typo["errors"][0]["message"]
            page = await http.get("/graphql", headers={"accept": "text/html"})
            assert "graphiql" not in page.text.lower()
            ok = await http.get("/healthz")
            assert "max-age" in ok.headers["strict-transport-security"]
            allowed = await http.options(
                "/graphql",
                headers={"origin": "https://news.example", "access-control-request-method": "POST"},
            )
            assert allowed.headers["access-control-allow-origin"] == "https://news.example"
            refused = await http.options(
                "/graphql",
                headers={"origin": "https://evil.example", "access-control-request-method": "POST"},
            )
            assert "access-control-allow-origin" not in refused.headers


async def test_development_suggests(client: httpx.AsyncClient) -> None:
    """Outside production, validation errors keep graphql's suggestions."""
    typo = (await client.post("/graphql", json={"query": "{ feeds { edges { cursor } } }"})).json()
    assert "Did you mean" in typo["errors"][0]["message"]
