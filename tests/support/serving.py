"""``airbnb serve`` in a subprocess, as an operator starts it, with its log written to a file the test reads."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.support.server import free_port

JWT_SECRET = "test-secret-that-is-long-enough-for-hs256"


@dataclass
class ServedCommand:
    url: str
    log: Path
    process: subprocess.Popen[bytes]

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


@contextmanager
def airbnb_serve(
    workdir: Path,
    env: dict[str, str],
    *args: str,
    scheme: str = "http",
    verify: str | bool = True,
) -> Iterator[ServedCommand]:
    """Run ``airbnb serve`` on a free port until it answers ``/health``; stop it on leaving."""
    port = free_port()
    # The developer's own AIRBNB_* settings must not leak into the server under test.
    base_env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRBNB_", "PROMETHEUS_"))}
    log = workdir / f"serve-{port}.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "entrypoints.cli", "serve", "--port", str(port), *args],
            cwd=workdir,
            env={**base_env, "AIRBNB_JWT_SECRET": JWT_SECRET, **env},
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    served = ServedCommand(f"{scheme}://127.0.0.1:{port}", log, process)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(served.url + "/health", verify=verify).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"airbnb serve did not start:\n{served.log_text()}")
            time.sleep(0.1)
        yield served
    finally:
        process.terminate()
        process.wait(timeout=30)
