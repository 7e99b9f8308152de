"""The ``airbnb`` command line: serve, migrate and administer the platform."""

from __future__ import annotations

import argparse
import getpass
import json
import logging
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Never

import uvicorn

import bootstrap
from adapters.graphql import print_schema
from adapters.http.headers import LOG_FORMAT, log_request_ids
from adapters.logs import configure_logging
from adapters.persistence import upgrade
from airbnb_core.domain.errors import DomainError
from airbnb_core.services.accounts import RegisterUser
from entrypoints.asgi import APP_FACTORY


def _settings() -> bootstrap.Settings:
    try:
        return bootstrap.Settings.from_env()
    except bootstrap.ConfigurationError as exc:
        sys.exit(f"configuration error: {exc}")


def serve(args: argparse.Namespace) -> None:
    settings = _settings()
    configure_logging(settings.log_format)
    if settings.database_url.startswith("sqlite"):
        # The embedded database belongs to this one server, so it is brought up to date on start.
        upgrade(settings.database_url)
    if settings.ephemeral_jwt_secret and args.workers > 1:
        # Each worker would draw its own random secret and reject the others' tokens.
        sys.exit("set AIRBNB_JWT_SECRET to run more than one worker")
    metrics_dir = None
    if args.workers > 1:
        # Each worker counts its own requests; Prometheus' multiprocess mode has them write to files a
        # scrape adds up. The directory must be empty at start (stale files would count twice) and
        # set before the workers import prometheus_client.
        metrics_dir = tempfile.mkdtemp(prefix="airbnb-metrics-")
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir
    try:
        _run_uvicorn(args)
    finally:
        if metrics_dir is not None:
            shutil.rmtree(metrics_dir, ignore_errors=True)


def _run_uvicorn(args: argparse.Namespace) -> None:
    uvicorn.run(
        APP_FACTORY,
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        ssl_certfile=args.ssl_certfile,
        ssl_keyfile=args.ssl_keyfile,
        # The app believes X-Forwarded-* only from AIRBNB_TRUSTED_PROXIES (adapters/http/proxies.py);
        # uvicorn's own support would trust any process on 127.0.0.1 first.
        proxy_headers=False,
        log_level="info",
        log_config=None,  # configure_logging has set the format, uvicorn's lines included
        # The app writes its own line per request (adapters/http/accesslog.py), with the route template.
        access_log=False,
    )


def migrate(_: argparse.Namespace) -> None:
    settings = _settings()
    upgrade(settings.database_url)
    print(f"database is at the latest schema: {_redacted(settings.database_url)}")


def create_admin(args: argparse.Namespace) -> None:
    settings = _settings()
    password = os.environ.get("AIRBNB_ADMIN_PASSWORD") or ""
    accounts = bootstrap.build_container(settings).services().accounts
    if not password and sys.stdin.isatty():
        password = getpass.getpass("Password for the new administrator: ")
    try:
        user, created = accounts.create_admin(RegisterUser(args.name, args.email, password))
    except DomainError as exc:
        sys.exit(f"cannot create the administrator: {exc.detail}")
    print(f"{'created' if created else 'promoted'} administrator {user.email} ({user.id})")


def seed(args: argparse.Namespace) -> None:
    from tqdm import tqdm

    from adapters.persistence.seed import seed_database

    settings = _settings()
    upgrade(settings.database_url)
    totals = {"users": args.users, "properties": args.properties, "bookings": args.bookings, "reviews": args.reviews}
    bars: dict[str, tqdm[Never]] = {}  # bars without an iterable: they are only told how far the work got

    def progress(stage: str, done: int) -> None:
        bar = bars.get(stage)
        if bar is None:
            bar = bars[stage] = tqdm(total=totals.get(stage), desc=f"{stage:>10}", unit=" rows", unit_scale=True)
        bar.update(done - bar.n)

    started = time.perf_counter()
    counts = seed_database(
        settings.database_url,
        users=args.users,
        properties=args.properties,
        bookings=args.bookings,
        reviews=args.reviews,
        progress=progress,
    )
    for bar in bars.values():
        bar.close()
    print(f"seeded {counts} in {time.perf_counter() - started:.1f} s")


def backup(args: argparse.Namespace) -> None:
    from adapters.persistence.backup import BackupError
    from adapters.persistence.backup import backup as dump

    settings = _settings()
    try:
        revision = dump(settings.database_url, args.file)
    except BackupError as exc:
        sys.exit(f"backup failed: {exc}")
    print(f"backed up {_redacted(settings.database_url)} to {args.file} (schema revision {revision})")


def restore(args: argparse.Namespace) -> None:
    from adapters.persistence.backup import BackupError
    from adapters.persistence.backup import restore as load

    settings = _settings()
    try:
        restored = load(settings.database_url, args.file, force=args.force)
    except BackupError as exc:
        sys.exit(f"restore refused: {exc}")
    print(f"restored {args.file} into {_redacted(settings.database_url)} (schema revision {restored.revision})")
    if restored.needs_migration:
        print(f"the backup predates this code's schema ({restored.head}): run `airbnb migrate` before serving")


def worker(args: argparse.Namespace) -> None:
    from entrypoints import worker as rq_worker

    try:
        rq_worker.run(_settings(), burst=args.burst)
    except bootstrap.ConfigurationError as exc:
        sys.exit(f"configuration error: {exc}")


def jobs_failed(_: argparse.Namespace) -> None:
    from entrypoints import worker as rq_worker

    try:
        failed = rq_worker.failed_jobs(_settings())
    except bootstrap.ConfigurationError as exc:
        sys.exit(f"configuration error: {exc}")
    for job in failed:
        print(rq_worker.describe_failure(job))
    print(f"{len(failed)} failed job(s)", file=sys.stderr)


def jobs_retry(args: argparse.Namespace) -> None:
    from entrypoints import worker as rq_worker

    try:
        count = rq_worker.retry_failed(_settings(), args.job_ids)
    except bootstrap.ConfigurationError as exc:
        sys.exit(f"configuration error: {exc}")
    print(f"requeued {count} job(s)")


def openapi(_: argparse.Namespace) -> None:
    app = bootstrap.build_app(_settings())
    print(json.dumps(app.openapi_schema.to_schema(), indent=2))


def graphql_schema(_: argparse.Namespace) -> None:
    print(print_schema())


ER_DIAGRAM = Path("docs/er-diagram.md")


def er_diagram_document() -> str:
    """docs/er-diagram.md: every table the migrations create, the sandbox provider's included."""
    from adapters.payments import sandbox
    from adapters.persistence.er_diagram import constraint_notes, render_mermaid
    from adapters.persistence.models import Base

    metadatas = (Base.metadata, sandbox.metadata)
    return "\n".join(
        [
            "# Entity-relationship diagram",
            "",
            "<!-- Generated from the SQLAlchemy metadata by `airbnb er-diagram --output docs/er-diagram.md`;",
            "     tests/unit/test_er_diagram.py fails when it no longer matches. Do not edit by hand. -->",
            "",
            "Every table of the schema (`adapters/persistence/models.py`, and the `sandbox` payment provider's",
            "own tables in `adapters/payments/sandbox.py`), with primary (PK), foreign (FK) and unique (UK) keys.",
            "Types are PostgreSQL's; `alembic_version` (Alembic's bookkeeping) and the PostgreSQL-only",
            "`properties.search_vector` (a generated column of migration 0002, not mapped) are left out.",
            "",
            "```mermaid",
            render_mermaid(*metadatas).rstrip("\n"),
            "```",
            "",
            "## Constraints the diagram cannot draw",
            "",
            *constraint_notes(*metadatas),
            "",
        ]
    )


def er_diagram(args: argparse.Namespace) -> None:
    document = er_diagram_document()
    if args.output is None:
        print(document, end="")
    else:
        args.output.write_text(document, encoding="utf-8")
        print(f"wrote {args.output}")


def _redacted(url: str) -> str:
    scheme, sep, rest = url.partition("://")
    if "@" in rest:
        rest = "***@" + rest.split("@", 1)[1]
    return scheme + sep + rest


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="airbnb", description="Airbnb-style booking backend")
    commands = root.add_subparsers(dest="command", required=True)

    p = commands.add_parser("serve", help="run the HTTP server (REST and GraphQL)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--workers", type=int, default=1)
    p.add_argument("--ssl-certfile")
    p.add_argument("--ssl-keyfile")
    p.set_defaults(run=serve)

    commands.add_parser("migrate", help="bring the database schema to the latest version").set_defaults(run=migrate)

    p = commands.add_parser(
        "create-admin",
        help="create an administrator or promote an existing account; password from AIRBNB_ADMIN_PASSWORD or a prompt",
    )
    p.add_argument("--email", required=True)
    p.add_argument("--name", required=True)
    p.set_defaults(run=create_admin)

    p = commands.add_parser("seed", help="fill the database with realistic demo data (bulk inserts)")
    p.add_argument("--users", type=int, default=2_000)
    p.add_argument("--properties", type=int, default=5_000)
    p.add_argument("--bookings", type=int, default=20_000)
    p.add_argument("--reviews", type=int, default=8_000, help="at most one per confirmed past booking")
    p.set_defaults(run=seed)

    p = commands.add_parser("backup", help="dump the PostgreSQL database (pg_dump, custom format) to FILE")
    p.add_argument("file", type=Path, metavar="FILE")
    p.set_defaults(run=backup)

    p = commands.add_parser(
        "restore", help="restore a backup into the PostgreSQL database, which must be empty unless --force"
    )
    p.add_argument("file", type=Path, metavar="FILE")
    p.add_argument("--force", action="store_true", help="replace everything the database holds with the backup")
    p.set_defaults(run=restore)

    p = commands.add_parser("worker", help="run an RQ worker: notification jobs and the periodic work (needs Redis)")
    p.add_argument("--burst", action="store_true", help="stop once the queue is empty")
    p.set_defaults(run=worker)

    p = commands.add_parser("jobs", help="look at and retry the jobs that failed")
    job_commands = p.add_subparsers(dest="jobs_command", required=True)
    job_commands.add_parser("failed", help="list the failed jobs: id, when, function, error").set_defaults(
        run=jobs_failed
    )
    p = job_commands.add_parser("retry", help="requeue failed jobs (all of them unless ids are given)")
    p.add_argument("job_ids", nargs="*")
    p.set_defaults(run=jobs_retry)

    p = commands.add_parser("er-diagram", help="print the schema's entity-relationship diagram (Markdown, Mermaid)")
    p.add_argument("--output", type=Path, help=f"write it to this file (the repository keeps it in {ER_DIAGRAM})")
    p.set_defaults(run=er_diagram)

    commands.add_parser("openapi", help="print the OpenAPI document").set_defaults(run=openapi)
    commands.add_parser("graphql-schema", help="print the GraphQL schema (SDL)").set_defaults(run=graphql_schema)
    return root


def main(argv: Sequence[str] | None = None) -> None:
    log_request_ids()
    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)
    args = parser().parse_args(argv)
    args.run(args)


if __name__ == "__main__":
    main()
