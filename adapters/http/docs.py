"""The API reference pages: Scalar at ``/schema`` and Swagger UI at ``/schema/swagger``.

Litestar's own render plugins load their scripts from CDNs and put the OpenAPI document in an inline
script; these pages load the versions vendored in ``docs_assets`` (see its README and
``scripts/vendor-docs-assets``) and run no inline code but one hashed line, so they open without the
internet under a strict Content-Security-Policy.
"""

from __future__ import annotations

import json
from html import escape
from pathlib import Path
from typing import Any

from litestar import Request, Router
from litestar.openapi.plugins import OpenAPIRenderPlugin

from adapters.web_pages import inline_source, page_security_headers, vendored_assets_router

DOCS_PATH = "/schema"
ASSETS_PATH = f"{DOCS_PATH}/assets"
ASSETS_DIR = Path(__file__).parent / "docs_assets"
SCALAR = f"{ASSETS_PATH}/scalar-api-reference-1.76.0"
SWAGGER_UI = f"{ASSETS_PATH}/swagger-ui-dist-5.35.0"

# Off: the Scalar defaults that reach out (fonts from fonts.scalar.com, telemetry, the "Ask AI" agent) and the
# developer toolbar, whose buttons share and deploy the document through Scalar's cloud.
SCALAR_CONFIGURATION = {
    "withDefaultFonts": False,
    "telemetry": False,
    "agent": {"disabled": True},
    "showDeveloperTools": "never",
}

# Reads the document's URL from its own tag, so the text, and therefore its CSP hash, never changes.
# No validatorUrl: Swagger UI would otherwise show a badge image from validator.swagger.io.
SWAGGER_INIT = (
    "SwaggerUIBundle({url: document.currentScript.dataset.url, dom_id: '#swagger-ui', deepLinking: true,"
    " showExtensions: true, showCommonExtensions: true, validatorUrl: null});"
)


class ScalarPage(OpenAPIRenderPlugin):
    def __init__(self, *, path: str = "/scalar") -> None:
        super().__init__(path=path)

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        return _page(
            openapi_schema,
            head="",
            body=f'<script id="api-reference" data-url="{escape(self.get_openapi_json_route(request))}"'
            f' data-configuration="{escape(json.dumps(SCALAR_CONFIGURATION))}"></script>\n'
            f'<script src="{SCALAR}/standalone.js"></script>',
        )


class SwaggerPage(OpenAPIRenderPlugin):
    def __init__(self, *, path: str = "/swagger") -> None:
        super().__init__(path=path)

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        return _page(
            openapi_schema,
            head=f'<link rel="stylesheet" href="{SWAGGER_UI}/swagger-ui.css">',
            body=f'<div id="swagger-ui"></div>\n<script src="{SWAGGER_UI}/swagger-ui-bundle.js"></script>\n'
            f'<script data-url="{escape(self.get_openapi_json_route(request))}">{SWAGGER_INIT}</script>',
        )


def _page(openapi_schema: dict[str, Any], *, head: str, body: str) -> bytes:
    # The empty data: icon keeps the browser from asking for /favicon.ico.
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(openapi_schema["info"]["title"])}</title>
<link rel="icon" href="data:,">
{head}
</head>
<body>
{body}
</body>
</html>
""".encode()


def docs_router() -> Router:
    """The router Litestar adds the documentation pages and ``openapi.json`` to, with their assets and headers."""
    return Router(
        DOCS_PATH,
        route_handlers=[vendored_assets_router("/assets", ASSETS_DIR, name="docs-assets")],
        # One policy for both pages: Scalar injects <style> elements at run time (Swagger UI would do without
        # 'unsafe-inline'); the one inline script is Swagger UI's, allowed by its hash.
        response_headers=page_security_headers(script_src=[inline_source(SWAGGER_INIT)], style_src=["'unsafe-inline'"]),
        include_in_schema=False,
    )
