"""What the browser pages of the web adapters (the API docs, GraphiQL) share: their scripts come from this
package rather than a CDN, so they open without the internet, and the pages may load nothing from elsewhere.

Outside the adapters' independence contract in pyproject.toml, like adapters.web.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence
from pathlib import Path

from litestar import Router
from litestar.datastructures import CacheControlHeader, ResponseHeader
from litestar.static_files import create_static_files_router

ONE_YEAR = 365 * 24 * 3600


def inline_source(source: str) -> str:
    """The CSP source expression that allows exactly this inline ``<script>`` or ``<style>`` body."""
    return f"'sha256-{base64.b64encode(hashlib.sha256(source.encode()).digest()).decode()}'"


def page_security_headers(*, script_src: Sequence[str] = (), style_src: Sequence[str] = ()) -> list[ResponseHeader]:
    """Headers for a page whose every script, style, font and request stays on this origin; ``script_src``
    and ``style_src`` add to ``'self'`` what the page's own markup needs."""
    policy = "; ".join(
        [
            "default-src 'self'",
            " ".join(["script-src 'self'", *script_src]),
            " ".join(["style-src 'self'", *style_src]),
            "img-src 'self' data:",
            "font-src 'self' data:",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )
    return [
        ResponseHeader(name="Content-Security-Policy", value=policy),
        # Nothing on these pages is anyone else's business, not even which API they document.
        ResponseHeader(name="Referrer-Policy", value="no-referrer"),
    ]


def vendored_assets_router(path: str, directory: Path, *, name: str) -> Router:
    """Serves the files under ``directory``. Their folders carry the package version
    (``graphiql-3.8.3/…``), so an upgrade changes every URL and browsers may keep a file for a year."""
    return create_static_files_router(
        path,
        [directory],
        name=name,
        cache_control=CacheControlHeader(public=True, max_age=ONE_YEAR, immutable=True),
        include_in_schema=False,
    )
