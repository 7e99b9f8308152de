"""Starting the application under uvicorn or granian as production runs it, and always stopping it."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

SERVERS = ("uvicorn", "granian")
READY_TIMEOUT_SECONDS = 90
STOP_TIMEOUT_SECONDS = 20


def free_port(host: str) -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


PRODUCTION_FACTORY = "entrypoints.asgi:create_app"


def command(
    server: str, bin_dir: Path, host: str, port: int, workers: int, factory: str = PRODUCTION_FACTORY
) -> list[str]:
    """The command line that serves ``factory``; production's own for uvicorn is ``airbnb serve``."""
    if server == "uvicorn" and factory == PRODUCTION_FACTORY:
        return [str(bin_dir / "airbnb"), "serve", "--host", host, "--port", str(port), "--workers", str(workers)]
    if server == "uvicorn":
        # What ``airbnb serve`` runs, with another application factory (for trying a change out).
        return [
            str(bin_dir / "uvicorn"), "--factory", factory, "--host", host, "--port", str(port),
            "--workers", str(workers), "--no-proxy-headers",
        ]  # fmt: skip
    if server == "granian":
        return [
            str(bin_dir / "granian"),
            "--interface", "asgi",
            "--factory", factory,
            "--workers", str(workers),
            "--host", host,
            "--port", str(port),
            "--no-ws",
            "--loop", "uvloop",
            "--log-level", "warning",
        ]  # fmt: skip
    raise ValueError(f"unknown server {server!r}")


@dataclass
class RunningServer:
    name: str
    base_url: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def worker_pids(self) -> list[int]:
        """Processes the server started (its workers), read from /proc."""
        children = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == self.process.pid:
                children.append(int(stat.parent.name))
        return sorted(children)

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


@contextmanager
def running(
    server: str,
    *,
    bin_dir: Path,
    cwd: Path,
    env: Mapping[str, str],
    host: str,
    workers: int,
    log_dir: Path,
    factory: str = PRODUCTION_FACTORY,
) -> Iterator[RunningServer]:
    """The server, up and ready; stopped (its whole process group) when the block ends, however it ends."""
    port = free_port(host)
    log_path = log_dir / f"{server}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(  # noqa: S603
            command(server, bin_dir, host, port, workers, factory),
            cwd=cwd,
            env=dict(env),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so stopping it reaches every worker
        )
    started = RunningServer(server, f"http://{host}:{port}", process, log_path)
    try:
        _wait_ready(started)
        yield started
    finally:
        _stop(process)


def _wait_ready(server: RunningServer) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"{server.name} exited ({server.process.returncode}):\n{server.log_tail()}")
        try:
            with urllib.request.urlopen(server.base_url + "/ready", timeout=2) as response:  # noqa: S310
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.25)
    raise RuntimeError(f"{server.name} not ready within {READY_TIMEOUT_SECONDS} s:\n{server.log_tail()}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the server's process group, then SIGKILL to whatever of it is left after a grace period."""
    group = process.pid
    _signal_group(group, signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT_SECONDS
    while time.monotonic() < deadline and _signal_group(group, 0):
        process.poll()  # reap the leader, or the group never empties
        time.sleep(0.1)
    if _signal_group(group, signal.SIGKILL):
        process.wait(timeout=5)
    process.poll()


def _signal_group(group: int, sig: int) -> bool:
    """Send ``sig`` to the process group; False when no process of it is left."""
    try:
        os.killpg(group, sig)
    except ProcessLookupError:
        return False
    return True
