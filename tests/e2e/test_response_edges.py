"""What every response carries, who may call from a browser, who may scrape metrics, and what production hides."""

from __future__ import annotations

import dataclasses
import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest

from adapters.persistence import upgrade
from tests.support.server import free_port
from tests.support.stack import LiveServer, live_server, production_like_settings


@contextmanager
def sqlite_server(sqlite_url: str, **overrides: object) -> Iterator[LiveServer]:
    upgrade(sqlite_url)
    settings = dataclasses.replace(production_like_settings(sqlite_url, None), **overrides)  # type: ignore[arg-type]
    with live_server(settings) as server:
        yield server


@pytest.mark.parametrize("path", ["/health", "/api/v1/users/me", "/api/v1/no-such-thing", "/graphql"])
def test_every_response_names_its_request_and_refuses_sniffing(live_server: LiveServer, path: str) -> None:
    generated = httpx.get(live_server.url + path)
    assert generated.headers["x-content-type-options"] == "nosniff"
    assert generated.headers["referrer-policy"] == "no-referrer"
    assert len(generated.headers["x-request-id"]) == 32
    assert httpx.get(live_server.url + path).headers["x-request-id"] != generated.headers["x-request-id"]

    mine = str(uuid.uuid4())
    assert httpx.get(live_server.url + path, headers={"X-Request-ID": mine}).headers["x-request-id"] == mine
    # Ids that could forge log lines or bloat headers are replaced, not echoed.
    for hostile in ("x" * 500, "two words"):
        echoed = httpx.get(live_server.url + path, headers={"X-Request-ID": hostile}).headers["x-request-id"]
        assert echoed != hostile and len(echoed) == 32


def test_browsers_on_other_sites_get_no_access_unless_their_origin_is_configured(
    live_server: LiveServer, sqlite_url: str
) -> None:
    preflight = {"Origin": "https://app.example.com", "Access-Control-Request-Method": "POST"}
    closed = httpx.options(live_server.url + "/api/v1/auth/login", headers=preflight)
    assert "access-control-allow-origin" not in closed.headers

    with sqlite_server(sqlite_url, cors_origins=("https://app.example.com",)) as server:
        allowed = httpx.options(server.url + "/api/v1/auth/login", headers=preflight)
        assert allowed.status_code in (200, 204)
        assert allowed.headers["access-control-allow-origin"] == "https://app.example.com"
        other = httpx.options(
            server.url + "/api/v1/auth/login", headers={**preflight, "Origin": "https://evil.example.net"}
        )
        assert other.headers.get("access-control-allow-origin") != "https://evil.example.net"
        simple = httpx.get(server.url + "/health", headers={"Origin": "https://app.example.com"})
        assert simple.headers["access-control-allow-origin"] == "https://app.example.com"
        assert "x-request-id" in simple.headers["access-control-expose-headers"].lower()


def test_metrics_answer_only_to_the_scrape_token_when_one_is_set(sqlite_url: str) -> None:
    with sqlite_server(sqlite_url, metrics_token="scrape-token-0123456789") as server:
        anonymous = httpx.get(server.url + "/metrics")
        assert anonymous.status_code == 401
        assert anonymous.headers["www-authenticate"] == "Bearer"
        wrong = httpx.get(server.url + "/metrics", headers={"Authorization": "Bearer scrape-token-01234567890"})
        assert wrong.status_code == 401
        scraped = httpx.get(server.url + "/metrics", headers={"Authorization": "Bearer scrape-token-0123456789"})
        assert scraped.status_code == 200 and "airbnb_requests_total" in scraped.text


def test_production_hides_the_graphql_schema(sqlite_url: str) -> None:
    with sqlite_server(sqlite_url, env="production", graphql_introspection=False) as server:
        introspection = httpx.post(server.url + "/graphql", json={"query": "{ __schema { types { name } } }"})
        assert introspection.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
        assert "data" not in introspection.json()
        typo = httpx.post(server.url + "/graphql", json={"query": "{ mee { id } }"}).json()["errors"][0]["message"]
        assert "mee" in typo and "Did you mean" not in typo
        assert httpx.get(server.url + "/graphql").status_code == 404  # no GraphiQL either


def test_development_keeps_introspection_and_suggestions(live_server: LiveServer) -> None:
    typo = httpx.post(live_server.url + "/graphql", json={"query": "{ mee { id } }"}).json()["errors"][0]["message"]
    assert "Did you mean 'me'?" in typo
    schema = httpx.post(live_server.url + "/graphql", json={"query": "{ __schema { queryType { name } } }"})
    assert schema.json()["data"]["__schema"]["queryType"]["name"] == "Query"


def test_log_lines_name_the_request_they_belong_to(sqlite_url: str) -> None:
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append  # type: ignore[method-assign]
    logger = logging.getLogger("adapters.http.system")
    logger.addHandler(handler)
    try:
        with sqlite_server(sqlite_url, redis_url=f"redis://127.0.0.1:{free_port()}/0") as server:
            assert httpx.get(server.url + "/ready", headers={"X-Request-ID": "probe-42"}).status_code == 503
    finally:
        logger.removeHandler(handler)
    assert [getattr(r, "request_id", None) for r in records if "redis" in r.getMessage()] == ["probe-42"]
