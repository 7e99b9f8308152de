"""What operators see of a running ``airbnb serve``: its log lines, its metrics and its readiness."""

from __future__ import annotations

import json
import uuid
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families

from tests.support.serving import airbnb_serve

LISTING = {
    "title": "Dune hut", "location": "1 Beach Road", "city": "Knokke", "country": "BE", "latitude": 51.35,
    "longitude": 3.28, "price_per_night": 10_000, "currency": "EUR", "cleaning_fee": 2_000, "max_guests": 3,
    "cancellation_policy": "moderate",
}  # fmt: skip
PASSWORDS = {"host": "host-Secret-pass-1", "guest": "guest-Secret-pass-2"}
WRONG_PASSWORD = "not-my-Secret-pass-3"
CARD_NUMBER = "4242424242424242"
PAYMENT_METHOD = "pm_card_visa"


class Traced:
    """Sends each request with a fresh X-Request-ID and remembers it, to find the request's line in the log."""

    def __init__(self, http: httpx.Client) -> None:
        self.http = http
        self.sent: dict[str, tuple[str, int]] = {}  # request id -> method, status

    def __call__(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        request_id = f"test-{uuid.uuid4().hex}"
        headers = {**kwargs.pop("headers", {}), "X-Request-ID": request_id}
        response = self.http.request(method, path, headers=headers, **kwargs)
        assert response.headers["x-request-id"] == request_id
        self.sent[request_id] = (method, response.status_code)
        return response


def test_each_request_is_one_json_line_and_no_secret_reaches_the_log(tmp_path: Path) -> None:
    env = {"AIRBNB_DATABASE_URL": f"sqlite:///{tmp_path}/logs.db", "AIRBNB_LOG_FORMAT": "json"}
    secrets: list[str] = [*PASSWORDS.values(), WRONG_PASSWORD, CARD_NUMBER, PAYMENT_METHOD]
    with airbnb_serve(tmp_path, env) as server, httpx.Client(base_url=server.url + "/api/v1", timeout=30) as http:
        call = Traced(http)
        tokens: dict[str, dict[str, str]] = {}
        for role, password in PASSWORDS.items():
            email = f"{role}@example.com"
            body = {"name": role, "email": email, "password": password, "is_host": role == "host"}
            assert call("POST", "/auth/register", json=body).status_code == 201
            login = call("POST", "/auth/login", json={"email": email, "password": password})
            assert login.status_code == 200
            tokens[role] = login.json()
        wrong = call("POST", "/auth/login", json={"email": "guest@example.com", "password": WRONG_PASSWORD})
        assert wrong.status_code == 401
        host = {"Authorization": f"Bearer {tokens['host']['access_token']}"}
        guest = {"Authorization": f"Bearer {tokens['guest']['access_token']}"}

        place = call("POST", "/properties", json=LISTING, headers=host).json()["id"]
        check_in = date.today() + timedelta(days=30)
        stay = {"property_id": place, "guests": 1, "check_in": str(check_in), "check_out": str(check_in + timedelta(3))}
        booking = call("POST", "/bookings", json=stay, headers=guest).json()["id"]
        card = call("POST", f"/bookings/{booking}/payments", json={"payment_method": CARD_NUMBER}, headers=guest)
        assert card.status_code == 422  # a card number is refused, and not repeated in the log
        paid = call("POST", f"/bookings/{booking}/payments", json={"payment_method": PAYMENT_METHOD}, headers=guest)
        assert paid.status_code == 201, paid.text
        assert call("GET", f"/bookings/{booking}", headers=guest).status_code == 200
        refreshed = call("POST", "/auth/refresh", json={"refresh_token": tokens["guest"]["refresh_token"]})
        assert refreshed.status_code == 200
        assert call("GET", "/no-such-endpoint").status_code == 404
        for pair in [*tokens.values(), refreshed.json()]:
            secrets += [pair["access_token"], pair["refresh_token"]]

    log = server.log_text()
    for secret in secrets:
        assert secret not in log
    assert "Bearer" not in log and "authorization" not in log.lower()

    lines = [json.loads(line) for line in log.splitlines() if line.strip()]  # every line, uvicorn's too, is JSON
    assert any(line["logger"].startswith("uvicorn") for line in lines)
    access = [line for line in lines if line["logger"] == "airbnb.access"]
    for request_id, (method, status) in call.sent.items():
        [line] = [line for line in access if line["request_id"] == request_id]
        assert line["method"] == method and line["status"] == status
        assert line["client"] == "127.0.0.1"
        assert isinstance(line["duration_ms"], float | int) and line["duration_ms"] >= 0
    routes = {line["route"] for line in access if line["request_id"] in call.sent}
    assert {"/api/v1/auth/login", "/api/v1/bookings/{booking_id}", "/api/v1/bookings/{booking_id}/payments"} <= routes
    assert str(booking) not in json.dumps(list(routes))  # templates, not the raw paths
    assert None in routes  # the 404, which no route matched, has its line too


def test_text_is_the_development_default(tmp_path: Path) -> None:
    env = {"AIRBNB_DATABASE_URL": f"sqlite:///{tmp_path}/text.db"}
    with airbnb_serve(tmp_path, env) as server:
        httpx.get(server.url + "/health", headers={"X-Request-ID": "plain-text-line"})
    [line] = [line for line in server.log_text().splitlines() if "plain-text-line" in line]
    assert "airbnb.access [plain-text-line]: GET /health 200" in line


METRICS_TOKEN = "scrape-token-for-the-tests"


def samples(body: str, name: str, **labels: str) -> list[float]:
    return [
        sample.value
        for family in text_string_to_metric_families(body)
        for sample in family.samples
        if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items())
    ]


def a_listing(base_url: str) -> str:
    """A new host's new listing, through the API."""
    email, password = f"h-{uuid.uuid4().hex[:12]}@example.com", "pass-word-1"
    api = base_url + "/api/v1"
    httpx.post(api + "/auth/register", json={"name": "Hal", "email": email, "password": password, "is_host": True})
    token = httpx.post(api + "/auth/login", json={"email": email, "password": password}).json()["access_token"]
    body = {
        "title": "Dune house", "location": "Zeedijk 1", "city": "Knokke", "country": "BE", "latitude": 51.35,
        "longitude": 3.29, "price_per_night": 15_000, "currency": "EUR", "max_guests": 4,
    }  # fmt: skip
    created = httpx.post(api + "/properties", json=body, headers={"Authorization": f"Bearer {token}"})
    assert created.status_code == 201, created.text
    return str(created.json()["id"])


def test_metrics_add_up_every_worker_s_requests(tmp_path: Path, redis_url: str) -> None:
    env = {
        "AIRBNB_DATABASE_URL": f"sqlite:///{tmp_path}/metrics.db",
        "AIRBNB_REDIS_URL": redis_url,
        "AIRBNB_METRICS_TOKEN": METRICS_TOKEN,
        "TMPDIR": str(tmp_path),  # where `serve` makes its multiprocess directory, for the test to look into
    }
    scrape_token = {"Authorization": f"Bearer {METRICS_TOKEN}"}
    requests = 60
    with airbnb_serve(tmp_path, env, "--workers", "2") as server:
        assert httpx.get(server.url + "/metrics").status_code == 401
        for _ in range(requests):
            # A new connection each time, so both workers take their share.
            assert httpx.get(server.url + "/ready").status_code == 200
        for _ in range(2):
            assert httpx.get(server.url + "/api/v1/properties", params={"city": "Knokke"}).status_code == 200
        calendar = server.url + f"/api/v1/properties/{a_listing(server.url)}/availability"
        for _ in range(2):
            assert httpx.get(calendar).status_code == 200
        [metrics_dir] = tmp_path.glob("airbnb-metrics-*")
        assert len(list(metrics_dir.glob("counter_*.db"))) == 2  # both workers counted requests
        for _ in range(6):  # whichever worker answers the scrape, it reports both workers' counts
            scrape = httpx.get(server.url + "/metrics", headers=scrape_token)
            assert scrape.status_code == 200
            body = scrape.text
            assert sum(samples(body, "airbnb_requests_total", path="/ready", method="GET")) == requests
        assert sum(samples(body, "airbnb_request_duration_seconds_count", path="/ready")) == requests
        assert samples(body, "airbnb_requests_total", path="/api/v1/properties", status_code="200") == [2]
        assert samples(body, "airbnb_cache_lookups_total", result="miss") == [1]
        assert samples(body, "airbnb_cache_lookups_total", result="hit") == [1]
        assert samples(body, "airbnb_db_pool_checked_out_connections") == [0]  # nothing holds one between requests
        assert samples(body, "airbnb_jobs_queued") == [0]
        assert samples(body, "airbnb_jobs_failed") == [0]
    assert not metrics_dir.exists()  # removed when the server stops
