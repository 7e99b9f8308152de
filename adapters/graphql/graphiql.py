"""GraphiQL, the in-browser IDE on ``GET /graphql``, with React and GraphiQL vendored in ``graphiql_assets``
(see its README and ``scripts/vendor-docs-assets``) so that it opens without the internet."""

from __future__ import annotations

from pathlib import Path

from litestar import Router

from adapters.web_pages import inline_source, page_security_headers, vendored_assets_router

ASSETS_DIR = Path(__file__).parent / "graphiql_assets"

# Relative to /graphql, wherever the router is mounted.
GRAPHIQL = "graphiql-3.8.3"
REACT = "react-18.3.1"
REACT_DOM = "react-dom-18.3.1"

PAGE_STYLE = "html, body, #graphiql { height: 100%; margin: 0; }"
# The page posts to the URL it was served from, so it keeps working wherever the router is mounted.
BOOT_SCRIPT = (
    "const fetcher = GraphiQL.createFetcher({ url: window.location.pathname });"
    " ReactDOM.createRoot(document.getElementById('graphiql')).render(React.createElement(GraphiQL, { fetcher }));"
)


def graphiql_html(base: str) -> str:
    """The page, loading its assets from ``base``/assets."""
    assets = f"{base}/assets"
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>GraphiQL</title>
  <link rel="icon" href="data:,">
  <style>{PAGE_STYLE}</style>
  <link rel="stylesheet" href="{assets}/{GRAPHIQL}/graphiql.min.css">
</head>
<body>
  <div id="graphiql">Loading GraphiQL…</div>
  <script src="{assets}/{REACT}/react.production.min.js"></script>
  <script src="{assets}/{REACT_DOM}/react-dom.production.min.js"></script>
  <script src="{assets}/{GRAPHIQL}/graphiql.min.js"></script>
  <script>{BOOT_SCRIPT}</script>
</body>
</html>
"""


PAGE_HEADERS = page_security_headers(script_src=[inline_source(BOOT_SCRIPT)], style_src=[inline_source(PAGE_STYLE)])


def graphiql_assets_router() -> Router:
    return vendored_assets_router("/assets", ASSETS_DIR, name="graphiql-assets")
