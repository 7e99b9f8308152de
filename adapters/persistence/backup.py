"""Backups of a PostgreSQL database with pg_dump and pg_restore, in their custom format (``-Fc``).

A dump carries its schema version in its own ``alembic_version`` table, which is read out of the
archive before anything is restored: a sidecar file could be lost or paired with the wrong dump.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from alembic.config import Config
from alembic.script import ScriptDirectory

from adapters.persistence.database import create_engine
from adapters.persistence.migrations_api import MIGRATIONS, current_revision

# When set, the only directory searched for pg_dump, pg_restore and psql (a server of another major
# version needs tools at least as new as itself).
BINDIR_VARIABLE = "AIRBNB_PG_BINDIR"

# Replacing a database starts from an empty public schema: pg_restore --clean would drop only what the
# dump holds, leaving behind tables of a newer migration that the next `airbnb migrate` would trip on.
_EMPTY_PUBLIC_SCHEMA = (
    "DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public; GRANT USAGE ON SCHEMA public TO PUBLIC;"
)


class BackupError(Exception):
    """A backup or restore that cannot be done, with a message meant for the operator."""


@dataclass(frozen=True)
class Restored:
    revision: str
    head: str

    @property
    def needs_migration(self) -> bool:
        return self.revision != self.head


def head_revision() -> str:
    head = _scripts().get_current_head()
    assert head is not None, "the migrations have a single head"
    return head


def backup(database_url: str, destination: Path) -> str:
    """Dump the database to ``destination``; returns the schema revision the dump is at."""
    target, env = _libpq(database_url)
    pg_dump = _tool("pg_dump")
    revision = current_revision(database_url)
    if revision is None:
        raise BackupError("the database has no schema (it was never migrated): there is nothing to back up")
    # A dump written in place and cut short would sit under the backup's name looking whole.
    destination = destination.resolve()
    fd, partial = tempfile.mkstemp(prefix=f".{destination.name}.", suffix=".partial", dir=destination.parent)
    os.close(fd)
    try:
        _run([pg_dump, "--format=custom", f"--file={partial}", f"--dbname={target}"], env, "pg_dump")
        os.replace(partial, destination)
    finally:
        Path(partial).unlink(missing_ok=True)
    return revision


def dump_revision(dump: Path) -> str:
    """The schema revision recorded in the dump's ``alembic_version`` table, read without restoring it."""
    if not dump.is_file():
        raise BackupError(f"{dump}: no such file")
    script = _run(
        [_tool("pg_restore"), "--data-only", "--table=alembic_version", "--file=-", str(dump)],
        dict(os.environ),
        "pg_restore",
    )
    lines = script.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("COPY ") and "alembic_version" in line:
            rows = [row for row in lines[i + 1 :] if row != "\\."][:1]
            if rows and rows[0].strip():
                return rows[0].strip()
    raise BackupError(
        f"{dump} holds no schema version (no alembic_version row): it is not a backup of this application"
    )


def restore(database_url: str, dump: Path, *, force: bool = False) -> Restored:
    """Restore ``dump`` into the database, all or nothing; a database that holds tables only with ``force``."""
    target, env = _libpq(database_url)
    pg_restore, psql = _tool("pg_restore"), _tool("psql")
    revision = dump_revision(dump)
    head = head_revision()
    if revision not in {script.revision for script in _scripts().walk_revisions()}:
        raise BackupError(
            f"the dump is at schema revision {revision}, newer than this code knows (its latest is {head}): "
            "restore it with the release that wrote it, or upgrade this installation first"
        )
    tables = _user_tables(database_url)
    if tables and not force:
        shown = ", ".join(tables[:5]) + (", …" if len(tables) > 5 else "")
        raise BackupError(
            f"the target database is not empty ({len(tables)} tables: {shown}); "
            "pass --force to replace everything in it with the backup"
        )
    # pg_restore writes the archive as SQL and psql runs it after emptying the schema, in one
    # transaction: a restore that fails half-way leaves the database as it was.
    # No owners or grants: the dump may come from a server whose roles this one does not have.
    with tempfile.TemporaryFile() as restore_errors:
        reader = subprocess.Popen(  # noqa: S603 - the tools' paths and arguments are ours
            [pg_restore, "--no-owner", "--no-privileges", "--file=-", str(dump)],
            stdout=subprocess.PIPE,
            stderr=restore_errors,
            env=env,
        )
        assert reader.stdout is not None
        try:
            applied = subprocess.run(  # noqa: S603
                [
                    psql,
                    "--no-psqlrc",
                    "--quiet",
                    "--set=ON_ERROR_STOP=1",
                    "--single-transaction",
                    f"--command={_EMPTY_PUBLIC_SCHEMA}",
                    "--file=-",
                    f"--dbname={target}",
                ],
                stdin=reader.stdout,
                capture_output=True,
                text=True,
                env=env,
                check=False,
            )
        finally:
            reader.stdout.close()
            reader.wait()
        restore_errors.seek(0)
        if reader.returncode != 0:
            raise BackupError(f"pg_restore failed: {restore_errors.read().decode(errors='replace').strip()}")
    if applied.returncode != 0:
        raise BackupError(f"the restore was rolled back: {applied.stderr.strip()}")
    return Restored(revision=revision, head=head)


def _libpq(database_url: str) -> tuple[str, dict[str, str]]:
    """The libpq URL of a SQLAlchemy one, and the environment for the tools (the password goes there, not in ps)."""
    url = sa.make_url(database_url)
    if url.get_backend_name() == "sqlite":
        raise BackupError(
            "backup and restore are for PostgreSQL; a SQLite database is one file: stop the server and copy "
            f"{url.database or 'it'} (with its -wal file, if any)"
        )
    if url.get_backend_name() != "postgresql":
        raise BackupError(f"cannot back up a {url.get_backend_name()} database: only PostgreSQL is supported")
    env = dict(os.environ)
    if url.password is not None:
        env["PGPASSWORD"] = str(url.password)
    libpq = url.set(drivername="postgresql", password=None)
    return libpq.render_as_string(hide_password=False), env


def _tool(name: str) -> str:
    bindir = os.environ.get(BINDIR_VARIABLE)
    if bindir:
        candidates = [str(Path(bindir) / name)]
    else:
        found = shutil.which(name)
        # Debian keeps the tools of each installed major version here, off PATH; the newest reads every older dump.
        versioned = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=_major_version, reverse=True)
        candidates = [*([found] if found else []), *versioned]
    for candidate in candidates:
        if os.access(candidate, os.X_OK):
            return candidate
    where = f"in {BINDIR_VARIABLE}={bindir}" if bindir else "on PATH or in /usr/lib/postgresql/*/bin"
    raise BackupError(
        f"{name} not found {where}: install PostgreSQL's client tools of the server's major version or newer "
        f"(Debian: apt-get install postgresql-client), or point {BINDIR_VARIABLE} at their directory"
    )


def _major_version(path: str) -> int:
    version = Path(path).parts[-3]
    return int(version) if version.isdigit() else 0


def _run(command: list[str], env: dict[str, str], tool: str) -> str:
    result = subprocess.run(command, capture_output=True, text=True, env=env, check=False)  # noqa: S603
    if result.returncode != 0:
        raise BackupError(f"{tool} failed: {result.stderr.strip()}")
    return result.stdout


def _user_tables(database_url: str) -> list[str]:
    engine = create_engine(database_url, pool_size=1)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                sa.text(
                    "SELECT n.nspname || '.' || c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                    " WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema')"
                    " AND n.nspname NOT LIKE 'pg\\_%' ORDER BY 1"
                )
            )
            return [row[0] for row in rows]
    finally:
        engine.dispose()


def _scripts() -> ScriptDirectory:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return ScriptDirectory.from_config(config)
