"""HTTPS served by ``airbnb serve`` itself, and HSTS only where the request really came over TLS."""

from __future__ import annotations

import ssl
from pathlib import Path

import httpx
import pytest
import trustme

from adapters.http.headers import HSTS
from tests.e2e.test_trusted_proxies import client_from
from tests.support.serving import airbnb_serve
from tests.support.stack import served_on


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


def test_serve_with_a_certificate_answers_over_https_with_hsts(tmp_path: Path, ca: trustme.CA) -> None:
    cert = ca.issue_cert("127.0.0.1", "localhost")
    cert.private_key_pem.write_to_path(tmp_path / "server.key")
    cert.cert_chain_pems[0].write_to_path(tmp_path / "server.pem")
    trusted = ssl.create_default_context()
    ca.configure_trust(trusted)
    args = ("--ssl-certfile", str(tmp_path / "server.pem"), "--ssl-keyfile", str(tmp_path / "server.key"))
    env = {"AIRBNB_DATABASE_URL": f"sqlite:///{tmp_path}/tls.db"}
    with (
        airbnb_serve(tmp_path, env, *args, scheme="https", verify=trusted) as server,
        httpx.Client(base_url=server.url, verify=trusted) as https,
    ):
        health = https.get("/health")
        assert health.status_code == 200
        assert health.headers["strict-transport-security"] == "max-age=31536000; includeSubDomains"
        body = {"name": "Ana", "email": "ana@example.com", "password": "pass-word-1"}
        registered = https.post("/api/v1/auth/register", json=body)
        assert registered.status_code == 201, registered.text
        assert registered.headers["strict-transport-security"] == HSTS
        assert https.get("/api/v1/no-such-thing").headers["strict-transport-security"] == HSTS

        # The certificate is what makes this HTTPS: a client that does not trust its CA refuses it.
        with pytest.raises(httpx.ConnectError):
            httpx.get(server.url + "/health")


def test_behind_a_trusted_proxy_hsts_follows_the_scheme_it_forwards_and_no_one_else_s(tmp_path: Path) -> None:
    with (
        served_on("sqlite", lambda: "", tmp_path, trusted_proxies=("127.0.0.1",)) as server,
        client_from("127.0.0.1", server.url) as proxy,
        client_from("127.0.0.2", server.url) as stranger,
    ):
        over_tls = proxy.get("/health", headers={"X-Forwarded-Proto": "https"})
        assert over_tls.headers["strict-transport-security"] == HSTS
        assert "strict-transport-security" not in proxy.get("/health", headers={"X-Forwarded-Proto": "http"}).headers
        assert "strict-transport-security" not in proxy.get("/health").headers
        # Plain HTTP from a client that is no proxy of ours: its claim of HTTPS is not believed.
        plain = stranger.get("/health")
        spoofed = stranger.get("/health", headers={"X-Forwarded-Proto": "https"})
        assert plain.status_code == spoofed.status_code == 200
        assert "strict-transport-security" not in plain.headers
        assert "strict-transport-security" not in spoofed.headers
