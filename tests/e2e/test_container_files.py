"""The Containerfile, compose.yaml and the GitHub workflow, read by real parsers and checked against their schemas;
and the wheel the Containerfile builds, installed in a clean virtualenv and serving.

No container engine runs where the tests run, so the image itself is not built here: the checks are what an
engine would act on (stages, user, health check, entry point) plus the proof that the wheel it installs works.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest
import yaml
from dockerfile_parse import DockerfileParser

from tests.support.server import free_port

ROOT = Path(__file__).resolve().parents[2]
# Inside a container the server must listen on every interface: the engine's port mapping reaches it there.
ALL_INTERFACES = "0.0.0.0"  # noqa: S104
SERVICES = {"api", "worker", "migrate", "postgres", "redis"}
APP_SERVICES = {"api", "worker", "migrate"}
# Anything that compiles: none of it may reach the runtime image.
BUILD_TOOLS = re.compile(r"\b(build-essential|gcc|g\+\+|clang|make|cmake|libc6-dev|python3?-dev|libpq-dev)\b")


def vendored_schema(name: str) -> dict[str, Any]:
    """A schema as check-jsonschema ships it (its ``vendor`` folder copies the upstream files verbatim)."""
    text = resources.files("check_jsonschema.builtin_schemas.vendor").joinpath(name).read_text(encoding="utf-8")
    return json.loads(text)  # type: ignore[no-any-return]


def validate(document: object, schema: dict[str, Any]) -> None:
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    errors = sorted(validator_class(schema).iter_errors(document), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors)


# ---- Containerfile ----


@pytest.fixture(scope="module")
def stages() -> list[list[dict[str, Any]]]:
    """The Containerfile's instructions, stage by stage (a stage starts at its FROM)."""
    with (ROOT / "Containerfile").open("rb") as f:
        parser = DockerfileParser(fileobj=f)
        assert parser.is_multistage
        structure = parser.structure
    result: list[list[dict[str, Any]]] = []
    for instruction in structure:
        if instruction["instruction"] == "FROM":
            result.append([])
        if instruction["instruction"] != "COMMENT":
            assert result, "an instruction before the first FROM"
            result[-1].append(instruction)
    return result


def instructions(stage: list[dict[str, Any]], name: str) -> list[str]:
    return [i["value"] for i in stage if i["instruction"] == name]


def test_the_containerfile_builds_wheels_in_a_builder_stage_and_runs_on_slim_python(
    stages: list[list[dict[str, Any]]],
) -> None:
    assert len(stages) == 2
    builder, final = stages
    assert re.fullmatch(r"python:3\.11-slim(-\w+)? AS builder", builder[0]["value"])
    assert re.fullmatch(r"python:3\.11-slim(-\w+)?", final[0]["value"])
    assert "python -m pip wheel --no-cache-dir --wheel-dir /wheels ." in instructions(builder, "RUN")


def test_the_final_stage_installs_only_the_builder_wheels_and_no_build_tool(
    stages: list[list[dict[str, Any]]],
) -> None:
    builder, final = stages
    assert any("build-essential" in run for run in instructions(builder, "RUN"))
    runs = instructions(final, "RUN")
    assert not [run for run in runs if BUILD_TOOLS.search(run)]
    assert not [run for run in runs if "apt-get install" in run]
    (install,) = [run for run in runs if "pip install" in run]
    # --no-index: every package comes from the builder's wheels, none from an index at build time.
    assert "--mount=type=bind,from=builder,source=/wheels,target=/wheels" in install
    assert re.search(r"pip install .*--no-index --find-links=/wheels airbnb-clone$", install)
    assert not instructions(final, "COPY"), "the runtime stage takes nothing but the wheels"


def test_the_final_stage_runs_airbnb_as_a_user_that_is_not_root(stages: list[list[dict[str, Any]]]) -> None:
    final = stages[-1]
    (user,) = instructions(final, "USER")
    assert user.split(":")[0] not in ("root", "0")
    name = re.escape(user.split(":")[0])
    assert any(
        re.search(rf"useradd [^&;]*--uid (?!0\b)\d+\b[^&;]*\s{name}$", run) for run in instructions(final, "RUN")
    )
    # Nothing after USER may switch back to root.
    assert [i["instruction"] for i in final].index("USER") > max(
        n for n, i in enumerate(final) if i["instruction"] == "RUN"
    )
    assert json.loads(instructions(final, "ENTRYPOINT")[0]) == ["airbnb"]
    cmd = json.loads(instructions(final, "CMD")[0])
    assert cmd[:3] == ["serve", "--host", ALL_INTERFACES]
    port = cmd[cmd.index("--port") + 1]
    assert instructions(final, "EXPOSE") == [port]
    env = " ".join(instructions(final, "ENV"))
    assert "AIRBNB_ENV=production" in env
    assert not re.search(r"AIRBNB_(JWT_SECRET|METRICS_TOKEN|SANDBOX_WEBHOOK_SECRET|STRIPE_\w+)=", env)


def test_the_health_check_asks_get_health_with_the_python_of_the_image(stages: list[list[dict[str, Any]]]) -> None:
    final = stages[-1]
    (check,) = instructions(final, "HEALTHCHECK")
    options, _, command = check.partition("CMD")
    assert "--interval=" in options and "--timeout=" in options
    argv = json.loads(command)
    assert argv[:2] == ["python", "-c"]
    assert "urllib.request.urlopen('http://127.0.0.1:8000/health'" in argv[2]


def test_the_build_context_is_only_what_the_builder_copies() -> None:
    ignore = (ROOT / ".containerignore").read_text()
    # Docker reads .dockerignore, Podman and Buildah .containerignore first: both must say the same.
    assert (ROOT / ".dockerignore").read_text() == ignore
    patterns = [line for line in ignore.splitlines() if line and not line.startswith("#")]
    assert patterns[0] == "*"
    assert {"!pyproject.toml", "!README.md", "!bootstrap.py", "!airbnb_core", "!adapters", "!entrypoints"} <= set(
        patterns
    )


# ---- compose.yaml ----


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    document = yaml.safe_load((ROOT / "compose.yaml").read_text())
    assert isinstance(document, dict)
    return document


def test_compose_yaml_follows_the_compose_specification(compose: dict[str, Any]) -> None:
    validate(compose, vendored_schema("compose-spec.json"))


def test_compose_runs_the_api_the_workers_and_a_migration_on_postgres_and_redis(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert set(services) == SERVICES
    assert services["migrate"]["command"] == ["migrate"]
    assert services["migrate"]["restart"] == "no"
    assert services["worker"]["command"] == ["worker"]
    assert services["api"]["command"][:3] == ["serve", "--host", ALL_INTERFACES]
    for name in APP_SERVICES:
        # The image's ENTRYPOINT is `airbnb`: each command is an `airbnb` subcommand.
        assert "entrypoint" not in services[name]
        assert services[name]["build"] == {"context": ".", "dockerfile": "Containerfile"}
    assert services["postgres"]["image"].endswith("postgres:16")
    assert services["redis"]["image"].split("/")[-1].startswith("redis:")
    # Scaling workers needs the service to name no container.
    assert "container_name" not in services["worker"]


def test_compose_starts_each_service_once_what_it_needs_is_healthy_or_done(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert services["migrate"]["depends_on"] == {"postgres": {"condition": "service_healthy"}}
    for name in ("api", "worker"):
        assert services[name]["depends_on"] == {
            "migrate": {"condition": "service_completed_successfully"},
            "postgres": {"condition": "service_healthy"},
            "redis": {"condition": "service_healthy"},
        }
    assert services["postgres"]["healthcheck"]["test"][:2] == ["CMD", "pg_isready"]
    assert services["redis"]["healthcheck"]["test"] == ["CMD", "redis-cli", "ping"]
    assert "/health" in " ".join(services["api"]["healthcheck"]["test"])
    # The image's check asks an HTTP server: the containers without one turn it off rather than fail it forever.
    assert services["worker"]["healthcheck"] == {"disable": True}
    assert services["migrate"]["healthcheck"] == {"disable": True}


def test_compose_keeps_the_data_in_named_volumes(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert services["postgres"]["volumes"] == ["pgdata:/var/lib/postgresql/data"]
    assert services["redis"]["volumes"] == ["redisdata:/data"]
    assert set(compose["volumes"]) == {"pgdata", "redisdata"}


def test_compose_gives_every_app_container_one_environment_with_secrets_from_outside(
    compose: dict[str, Any],
) -> None:
    services = compose["services"]
    environments = [services[name]["environment"] for name in APP_SERVICES]
    assert all(env == environments[0] for env in environments)
    env = environments[0]
    assert env["AIRBNB_ENV"] == "production"
    assert (
        env["AIRBNB_DATABASE_URL"].startswith("postgresql+psycopg://")
        and "@postgres:5432/" in env["AIRBNB_DATABASE_URL"]
    )
    assert env["AIRBNB_REDIS_URL"] == "redis://redis:6379/0"
    for secret in ("AIRBNB_JWT_SECRET", "AIRBNB_METRICS_TOKEN", "AIRBNB_SANDBOX_WEBHOOK_SECRET"):
        assert env[secret].startswith(f"${{{secret}:?"), f"{secret} must come from .env, and be required"
    # Every variable is one bootstrap.Settings reads: a misspelt one would be silently ignored.
    settings_source = (ROOT / "bootstrap.py").read_text()
    for name in env:
        assert re.search(rf'\b(text|number)\("{name.removeprefix("AIRBNB_")}"', settings_source), name


def test_the_env_example_names_every_value_compose_requires() -> None:
    required = set(re.findall(r"\$\{(\w+):\?", (ROOT / "compose.yaml").read_text()))
    example = (ROOT / "compose.env.example").read_text()
    assigned = set(re.findall(r"^(\w+)=$", example, re.M))
    secrets = {"POSTGRES_PASSWORD", "AIRBNB_JWT_SECRET", "AIRBNB_METRICS_TOKEN", "AIRBNB_SANDBOX_WEBHOOK_SECRET"}
    assert required == assigned == secrets
    assert ".env" in (ROOT / ".gitignore").read_text().split()


# ---- .github/workflows/ci.yml ----


@pytest.fixture(scope="module")
def workflow() -> dict[str, Any]:
    document = yaml.safe_load((ROOT / ".github/workflows/ci.yml").read_text())
    # PyYAML reads YAML 1.1, where a bare `on` is the boolean true; GitHub reads it as the key "on".
    document["on"] = document.pop(True)
    return document  # type: ignore[no-any-return]


def test_the_workflow_follows_github_s_schema(workflow: dict[str, Any]) -> None:
    validate(workflow, vendored_schema("github-workflows.json"))


def test_the_workflow_runs_scripts_check_against_postgres_and_redis(workflow: dict[str, Any]) -> None:
    check = workflow["jobs"]["check"]
    assert check["services"]["postgres"]["image"] == "postgres:16"
    assert check["services"]["redis"]["image"].startswith("redis:")
    for service, probe in (("postgres", "pg_isready"), ("redis", "redis-cli ping")):
        options = check["services"][service]["options"]
        assert f'--health-cmd "{probe}' in options
    assert check["services"]["postgres"]["ports"] == ["5432:5432"]
    assert check["services"]["redis"]["ports"] == ["6379:6379"]
    # The names tests/conftest.py reads, pointing at the two services.
    assert check["env"]["AIRBNB_TEST_POSTGRES_URL"] == "postgresql://postgres@127.0.0.1:5432/postgres"
    assert check["env"]["AIRBNB_TEST_REDIS_URL"].startswith("redis://127.0.0.1:6379/")
    conftest = (ROOT / "tests/conftest.py").read_text()
    assert "AIRBNB_TEST_POSTGRES_URL" in conftest and "AIRBNB_TEST_REDIS_URL" in conftest
    steps = check["steps"]
    python = next(s for s in steps if s.get("uses", "").startswith("actions/setup-python@"))
    assert python["with"]["python-version"] == "3.11"
    runs = [s["run"] for s in steps if "run" in s]
    assert any("/usr/bin/chromium" in run for run in runs), "tests/e2e/test_docs_pages.py needs it there"
    assert runs[-1].strip() == "./scripts/check"


def test_the_workflow_publishes_the_image_on_version_tags_only(workflow: dict[str, Any]) -> None:
    assert "v*" in workflow["on"]["push"]["tags"]
    image = workflow["jobs"]["image"]
    assert image["needs"] == "check"
    assert image["if"] == "startsWith(github.ref, 'refs/tags/v')"
    assert image["permissions"]["packages"] == "write"
    actions = {s["uses"].split("@")[0]: s for s in image["steps"] if "uses" in s}
    assert actions["docker/login-action"]["with"]["registry"] == "ghcr.io"
    assert actions["docker/metadata-action"]["with"]["images"] == "ghcr.io/${{ github.repository }}"
    build = actions["docker/build-push-action"]["with"]
    assert build["file"] == "Containerfile"
    assert build["push"] is True
    assert build["tags"] == "${{ steps.meta.outputs.tags }}"


# ---- the wheel, installed in a clean virtualenv ----


def copy_like_the_builder(builder: list[dict[str, Any]], context: Path) -> None:
    """Carry out the builder stage's ``COPY src… dest`` instructions from the work tree into ``context``."""
    skip = shutil.ignore_patterns("__pycache__", "*.py[cod]", "*.db", "*.db-journal")
    for value in instructions(builder, "COPY"):
        *sources, dest = value.split()
        assert not dest.startswith("/") and not any(s.startswith("--") for s in sources), value
        for source in sources:
            origin = ROOT / source
            if origin.is_dir():
                shutil.copytree(origin, context / dest, ignore=skip)
            else:
                (context / dest).mkdir(parents=True, exist_ok=True)
                shutil.copy2(origin, context / dest / origin.name)


@pytest.fixture(scope="module")
def installed_wheel(tmp_path_factory: pytest.TempPathFactory, stages: list[list[dict[str, Any]]]) -> Path:
    """A new virtualenv holding the project's wheel, its dependencies resolved from the index; returns its bin/."""
    tmp = tmp_path_factory.mktemp("wheel")
    # Built from what the builder stage copies and nothing else, so a file the build needs but the
    # Containerfile forgets fails here; and setuptools' build/ lands there, not in the work tree.
    context = tmp / "src"
    copy_like_the_builder(stages[0], context)
    # The builder stage's command, less the dependencies' wheels, which pip installs from the index below.
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-cache-dir", "--wheel-dir", str(tmp / "dist"), "."],
        cwd=context,
        check=True,
        capture_output=True,
        timeout=300,
    )
    (wheel,) = (tmp / "dist").glob("airbnb_clone-*.whl")
    venv = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    install = subprocess.run(
        [str(venv / "bin/python"), "-m", "pip", "install", "--quiet", str(wheel)],
        cwd=tmp,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert install.returncode == 0, install.stderr[-4000:]
    return venv / "bin"


def clean_environment(**extra: str) -> dict[str, str]:
    """This process's environment without what would let the venv see the source tree or this test's settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRBNB_", "PYTHON", "VIRTUAL_ENV"))}
    return {**env, **extra}


@pytest.fixture
def wheel_server(installed_wheel: Path, tmp_path: Path) -> Iterator[str]:
    """``airbnb serve`` of the installed wheel on an empty SQLite database, run from outside the source tree."""
    port = free_port()
    log = (tmp_path / "serve.log").open("w+b")
    server = subprocess.Popen(
        [str(installed_wheel / "airbnb"), "serve", "--port", str(port)],
        cwd=tmp_path,
        env=clean_environment(AIRBNB_DATABASE_URL=f"sqlite:///{tmp_path}/wheel.db"),
        stdout=log,
        stderr=subprocess.STDOUT,
        # Its own process group, so cleanup reaches whatever it starts.
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(base + "/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                log.seek(0)
                pytest.fail(f"the installed server did not start:\n{log.read().decode(errors='replace')[-4000:]}")
            time.sleep(0.2)
        yield base
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait(timeout=5)
        log.close()


def test_the_wheel_carries_the_code_from_its_own_site_packages(installed_wheel: Path, tmp_path: Path) -> None:
    probe = "import adapters, airbnb_core, bootstrap, entrypoints; print(adapters.__file__, bootstrap.__file__)"
    result = subprocess.run(
        [str(installed_wheel / "python"), "-c", probe],
        cwd=tmp_path,
        env=clean_environment(),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    site_packages = str(installed_wheel.parent / "lib")
    assert all(path.startswith(site_packages) for path in shlex.split(result.stdout)), result.stdout


def test_the_installed_wheel_migrates_serves_and_documents_itself(wheel_server: str) -> None:
    assert httpx.get(wheel_server + "/health").status_code == 200
    # Only the migrations shipped as package data can have made the tables this answer reads.
    ready = httpx.get(wheel_server + "/ready")
    assert ready.status_code == 200, ready.text
    register = httpx.post(
        wheel_server + "/api/v1/auth/register",
        json={"name": "Ana", "email": "ana@example.com", "password": "correct horse"},
    )
    assert register.status_code == 201, register.text
    openapi = httpx.get(wheel_server + "/schema/openapi.json")
    assert openapi.status_code == 200
    assert "/api/v1/users/me" in openapi.json()["paths"]
    # The docs pages' scripts are package data too: the page names them, the server serves them.
    page = httpx.get(wheel_server + "/schema/swagger")
    assert page.status_code == 200
    assets = re.findall(r'(?:src|href)="(/schema/assets/[^"]+)"', page.text)
    assert assets, page.text[:2000]
    for asset in assets:
        assert httpx.get(wheel_server + asset).status_code == 200, asset
