"""The entry points start production's wiring from the environment."""

from __future__ import annotations

from pathlib import Path

import pytest
from litestar import Litestar

from entrypoints import asgi, cli


def test_the_asgi_factory_builds_the_application_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AIRBNB_DATABASE_URL", f"sqlite:///{tmp_path}/unopened.db")
    app = asgi.create_app()
    assert isinstance(app, Litestar)
    assert "/api/v1/properties" in app.openapi_schema.to_schema()["paths"]
    assert not (tmp_path / "unopened.db").exists()  # building opens no connection


def test_the_command_serves_the_asgi_factory() -> None:
    module, _, name = asgi.APP_FACTORY.partition(":")
    assert module == asgi.__name__ and getattr(asgi, name) is asgi.create_app
    assert cli.parser().parse_args(["serve"]).run is cli.serve
