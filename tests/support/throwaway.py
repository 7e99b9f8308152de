"""Backing services and processes a test owns outright, so that it may kill and restart them.

A PostgreSQL cluster in a temporary directory, a redis-server without persistence, ``airbnb serve`` and
``airbnb worker`` in process groups of their own: never the machine's shared servers, which other test runs
use at the same time.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import httpx
import psycopg
import redis

from tests.support.server import free_port

POSTGRES_BIN = Path(os.environ.get("AIRBNB_TEST_POSTGRES_BIN", "/usr/lib/postgresql/15/bin"))
POSTGRES_USER = "postgres"  # the operating system account initdb runs as when the tests run as root


def wait_for(condition: Callable[[], bool], seconds: float, *, every: float = 0.05) -> bool:
    """Poll ``condition`` until it holds or ``seconds`` pass; whether it held."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(every)
    return condition()


def _as_postgres_owner(command: list[str]) -> list[str]:
    # initdb refuses to run as root: the cluster then belongs to the postgres account.
    if os.geteuid() == 0:
        return ["runuser", "-u", POSTGRES_USER, "--", *command]
    return command


@dataclass
class ThrowawayPostgres:
    directory: Path
    port: int

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    @property
    def log(self) -> Path:
        return self.directory / "postgres.log"

    def _pg_ctl(self, *args: str) -> None:
        subprocess.run(
            _as_postgres_owner([str(POSTGRES_BIN / "pg_ctl"), "-D", str(self.directory / "data"), *args]),
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=120,
        )

    def start(self) -> None:
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.directory} -c fsync=off"
        self._pg_ctl("-l", str(self.log), "-o", options, "-w", "-t", "90", "start")

    def stop(self, mode: str = "fast") -> None:
        self._pg_ctl("-m", mode, "-w", "-t", "90", "stop")

    def accepts_connections(self) -> bool:
        try:
            psycopg.connect(f"postgresql://postgres@127.0.0.1:{self.port}/postgres", connect_timeout=2).close()
        except psycopg.OperationalError:
            return False
        return True


@contextmanager
def throwaway_postgres() -> Iterator[ThrowawayPostgres]:
    """A PostgreSQL cluster of the test's own (trust authentication, on a free loopback port)."""
    directory = Path(tempfile.mkdtemp(prefix="airbnb-pg-"))
    if os.geteuid() == 0:
        shutil.chown(directory, POSTGRES_USER, POSTGRES_USER)
    server = ThrowawayPostgres(directory, free_port())
    try:
        subprocess.run(
            _as_postgres_owner(
                [
                    str(POSTGRES_BIN / "initdb"),
                    "-D",
                    str(directory / "data"),
                    "-U",
                    "postgres",
                    "--auth=trust",
                    "-E",
                    "UTF8",
                    "--no-sync",
                ]
            ),
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            timeout=120,
        )
        server.start()
        yield server
    finally:
        # It may not be running; the directory goes anyway.
        with contextlib.suppress(subprocess.CalledProcessError, subprocess.TimeoutExpired):
            server.stop("immediate")
        shutil.rmtree(directory, ignore_errors=True)


@dataclass
class RestartableRedis:
    """A redis-server without persistence, killed and started again on the same port when the test says."""

    port: int
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        executable = shutil.which("redis-server")
        assert executable, "redis-server is required on PATH"
        self.process = subprocess.Popen(
            [executable, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis.from_url(self.url, socket_connect_timeout=0.5)
        try:

            def answers() -> bool:
                try:
                    return bool(client.ping())
                except redis.ConnectionError:
                    return False

            if not wait_for(answers, 15) or self.process.poll() is not None:
                raise RuntimeError("the throwaway redis-server did not start")
        finally:
            client.close()

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)


@contextmanager
def restartable_redis() -> Iterator[RestartableRedis]:
    server = RestartableRedis(free_port())
    server.start()
    try:
        yield server
    finally:
        server.kill()


def _clean_environment() -> dict[str, str]:
    # The developer's own AIRBNB_* settings must not leak into the processes under test.
    return {k: v for k, v in os.environ.items() if not k.startswith(("AIRBNB_", "PROMETHEUS_"))}


@dataclass
class AppProcess:
    """``airbnb <command>`` as its own process group, which ``kill`` ends with SIGKILL as a dying machine would."""

    command: list[str]
    env: dict[str, str]
    log: IO[bytes]
    process: subprocess.Popen[bytes] | None = None
    starts: int = field(default=0)

    def start(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", "import sys; from entrypoints.cli import main; main(sys.argv[1:])", *self.command],
            env={**_clean_environment(), **self.env},
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: uvicorn's or RQ's children die with it
        )
        self.starts += 1

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        if self.process is not None:
            self.process.wait(timeout=30)


@dataclass
class ServeProcess(AppProcess):
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        super().start()
        assert self.process is not None

        def healthy() -> bool:
            try:
                return httpx.get(self.url + "/health", timeout=2).status_code == 200
            except httpx.TransportError:
                return False

        if not wait_for(healthy, 90, every=0.1) or self.process.poll() is not None:
            raise RuntimeError(f"airbnb serve on port {self.port} did not start")


@contextmanager
def app_processes(env: dict[str, str], logs: Path, *, servers: int) -> Iterator[tuple[list[ServeProcess], AppProcess]]:
    """``servers`` ``airbnb serve`` processes and one ``airbnb worker``, all on ``env``; killed on leaving."""
    opened: list[IO[bytes]] = []
    started: list[AppProcess] = []
    try:
        serving = []
        for n in range(servers):
            port = free_port()
            log = (logs / f"serve-{n}.log").open("ab")
            opened.append(log)
            serving.append(ServeProcess(["serve", "--port", str(port)], env, log, port=port))
        worker_log = (logs / "worker.log").open("ab")
        opened.append(worker_log)
        worker = AppProcess(["worker"], env, worker_log)
        for process in (*serving, worker):
            started.append(process)
            process.start()
        yield serving, worker
    finally:
        for process in started:
            process.kill()
        for log in opened:
            log.close()
