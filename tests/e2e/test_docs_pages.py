"""The API docs (Scalar, Swagger UI) and GraphiQL render in a real browser that cannot reach the internet.

Chromium runs headless with every host name but 127.0.0.1 unresolvable and a dead proxy for anything
else, so a page that needs a CDN stays blank; the first test shows that the cut holds even on a
machine that is online. Chromium is required, never optional: without it these tests fail.
"""

from __future__ import annotations

import html
import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.stack import LiveServer

CHROMIUM = Path("/usr/bin/chromium")
OFFLINE = [
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
    "--proxy-server=127.0.0.1:9",
    "--proxy-bypass-list=127.0.0.1",
]
PAGES = ["/schema", "/schema/swagger", "/graphql"]


@dataclass(frozen=True)
class Rendered:
    dom: str
    console: list[str]

    @property
    def text(self) -> str:
        """What a reader sees: the DOM without scripts, styles and tags."""
        visible = re.sub(r"<(script|style)\b.*?</\1>", " ", self.dom, flags=re.S)
        return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", visible)).split())

    @property
    def policy_violations(self) -> list[str]:
        return [line for line in self.console if "Content Security Policy" in line]


def render(url: str, profile: Path) -> Rendered:
    """The DOM of ``url`` once its scripts have run, and what the page logged to the console."""
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"Chromium is required at {CHROMIUM} (apt-get install chromium)")
    result = subprocess.run(
        [
            str(CHROMIUM),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={profile}",
            *OFFLINE,
            "--enable-logging=stderr",
            "--v=0",
            # Lets the page's timers and requests run their course before the DOM is taken.
            "--virtual-time-budget=15000",
            "--dump-dom",
            url,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return Rendered(result.stdout, [line for line in result.stderr.splitlines() if "CONSOLE" in line])


def search_operation(server: LiveServer) -> tuple[str, dict[str, Any]]:
    """The path and operation of searchProperties in the OpenAPI document the pages render."""
    document = httpx.get(server.url + "/schema/openapi.json", timeout=10).json()
    return next(
        (path, operation)
        for path, item in document["paths"].items()
        for operation in item.values()
        if operation.get("operationId") == "searchProperties"
    )


def test_the_browser_under_test_cannot_reach_the_internet_and_reports_policy_violations(tmp_path: Path) -> None:
    page = tmp_path / "cdn.html"
    page.write_text(
        """<meta http-equiv="Content-Security-Policy" content="img-src 'none'">
        <script src="https://unpkg.com/react@18.3.1/umd/react.production.min.js"></script>
        <p>React <script>document.write(typeof React)</script></p>
        <img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" alt="">"""
    )

    rendered = render(page.as_uri(), tmp_path / "profile")

    assert "React undefined" in rendered.text
    assert rendered.policy_violations


def test_scalar_lists_the_operations_without_the_internet(live_server: LiveServer, tmp_path: Path) -> None:
    path, operation = search_operation(live_server)
    check_in = next(parameter for parameter in operation["parameters"] if parameter["name"] == "check_in")

    rendered = render(f"{live_server.url}/schema#tag/properties/GET{path}", tmp_path)

    assert path in rendered.text
    assert check_in["description"] in rendered.text
    assert rendered.policy_violations == []


def test_swagger_ui_lists_the_operations_without_the_internet(live_server: LiveServer, tmp_path: Path) -> None:
    _, operation = search_operation(live_server)
    check_in = next(parameter for parameter in operation["parameters"] if parameter["name"] == "check_in")

    rendered = render(f"{live_server.url}/schema/swagger#/properties/searchProperties", tmp_path)

    assert operation["summary"] in rendered.text
    assert check_in["description"] in rendered.text
    assert rendered.policy_violations == []


def test_graphiql_opens_its_editor_without_the_internet(live_server: LiveServer, tmp_path: Path) -> None:
    rendered = render(f"{live_server.url}/graphql", tmp_path)

    assert 'class="graphiql-container"' in rendered.dom
    assert "graphiql-query-editor" in rendered.dom
    assert "# Welcome to GraphiQL" in rendered.text
    assert "Loading GraphiQL" not in rendered.text
    assert rendered.policy_violations == []


@pytest.mark.parametrize("page", PAGES)
def test_the_pages_load_everything_from_this_server_under_a_strict_policy(live_server: LiveServer, page: str) -> None:
    with httpx.Client(base_url=live_server.url, timeout=10) as client:
        response = client.get(page)
        policy = dict(
            directive.strip().split(" ", 1) for directive in response.headers["content-security-policy"].split(";")
        )
        assets = re.findall(r'<(?:script|link)\b[^>]* (?:src|href)="([^"]+)"', response.text)
        served = [client.get(asset) for asset in assets if not asset.startswith("data:")]

    assert response.status_code == 200
    assert policy["default-src"] == "'self'"
    assert policy["connect-src"] == "'self'"
    assert "unsafe" not in policy["script-src"]
    assert response.headers["referrer-policy"] == "no-referrer"
    assert served and all(asset.status_code == 200 for asset in served)
    assert all("immutable" in asset.headers["cache-control"] for asset in served)
