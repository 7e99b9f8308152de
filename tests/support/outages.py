"""Backing services that are down, or that go down when the test says: never the shared servers."""

from __future__ import annotations

import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import redis

from tests.support.server import free_port


def dead_redis_url() -> str:
    """A Redis URL at a loopback port nobody listens on: every connection is refused."""
    return f"redis://127.0.0.1:{free_port()}/0"


def dead_postgres_url() -> str:
    return f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/airbnb"


@dataclass
class SlammingServer:
    """Accepts connections and closes them at once, counting them: a server that is up but broken."""

    url: str
    connections: int = 0


@contextmanager
def slamming_server() -> Iterator[SlammingServer]:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    listener.settimeout(0.05)  # so that the accepting thread notices it should stop
    server = SlammingServer(f"redis://127.0.0.1:{listener.getsockname()[1]}/0")
    stopping = threading.Event()

    def serve() -> None:
        while not stopping.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            server.connections += 1
            connection.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        stopping.set()
        listener.close()
        thread.join(timeout=5)


@dataclass
class ThrowawayRedis:
    url: str
    process: subprocess.Popen[bytes]

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(timeout=10)


@contextmanager
def throwaway_redis() -> Iterator[ThrowawayRedis]:
    """A redis-server of the test's own, without persistence, that the test may kill."""
    executable = shutil.which("redis-server")
    assert executable, "redis-server is required on PATH"
    port = free_port()
    process = subprocess.Popen(
        [executable, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    server = ThrowawayRedis(f"redis://127.0.0.1:{port}/0", process)
    client = redis.Redis.from_url(server.url, socket_connect_timeout=0.5)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("the throwaway redis-server did not start") from None
                time.sleep(0.05)
        yield server
    finally:
        client.close()
        if process.poll() is None:
            server.kill()
