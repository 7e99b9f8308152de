"""A sign-up burst against the production password hasher, with and without its concurrency limit.

Each configuration runs in a fresh process: ``--passwords`` passwords are hashed by ``--threads``
threads released at once, through ``adapters.security.Argon2PasswordHasher`` with the production
argon2id parameters. Printed per configuration (medians over ``--repeat`` processes):

- ``in argon2``: median time one hash spends inside argon2 (the work, slowed by contention);
- ``latency``: median time from the burst's start to a caller's hash being done (waiting included);
- ``all done``: time until the last hash is done;
- ``peak RSS +``: the process's peak resident memory during the burst (``VmHWM``, reset just before
  it) minus its resident memory before. tracemalloc would not see argon2's memory: its C library
  allocates it with malloc.

The configurations: the limit production uses (the CPUs this process may use), the web layer's
thread pool as the only limit (the situation before the limit existed), and no limit at all.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import argon2  # noqa: E402

from adapters.persistence import POOL_SIZE  # noqa: E402
from adapters.security.passwords import PARAMETERS, Argon2PasswordHasher, default_concurrency  # noqa: E402


def _status_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise RuntimeError(f"/proc/self/status has no {field}")


class _TimedArgon2(argon2.PasswordHasher):
    """The production parameters, timing each hash from inside the limit."""

    def __init__(self) -> None:
        super().__init__(
            time_cost=PARAMETERS.time_cost,
            memory_cost=PARAMETERS.memory_cost,
            parallelism=PARAMETERS.parallelism,
            hash_len=PARAMETERS.hash_len,
            salt_len=PARAMETERS.salt_len,
            type=PARAMETERS.type,
        )
        self.seconds: list[float] = []
        self._lock = threading.Lock()

    def hash(self, password: str | bytes, *, salt: bytes | None = None) -> str:
        started = time.perf_counter()
        hashed = super().hash(password, salt=salt)
        with self._lock:
            self.seconds.append(time.perf_counter() - started)
        return hashed


def burst(max_concurrent: int, passwords: int, threads: int) -> dict[str, Any]:
    """One burst in this process; the figures as a dict."""
    inner = _TimedArgon2()
    hasher = Argon2PasswordHasher(inner, max_concurrent=max_concurrent)
    assert argon2.extract_parameters(hasher.hash("warm-up")) == PARAMETERS
    inner.seconds.clear()
    start = threading.Barrier(min(threads, passwords) + 1)
    done: list[float] = []
    lock = threading.Lock()

    def sign_up(i: int) -> None:
        if i < threads:
            start.wait()
        hasher.hash(f"password number {i}")
        with lock:
            done.append(time.perf_counter())

    with ThreadPoolExecutor(threads) as pool:
        futures = [pool.submit(sign_up, i) for i in range(passwords)]
        while start.n_waiting < start.parties - 1:
            time.sleep(0.001)
        # Forget the warm-up's peak (Linux >= 4.0): VmHWM then measures the burst alone.
        Path("/proc/self/clear_refs").write_text("5")
        before = _status_kib("VmRSS")
        started = time.perf_counter()
        start.wait()
        for future in futures:
            future.result()
    peak = _status_kib("VmHWM")
    latencies = [at - started for at in done]
    return {
        "in_argon2": statistics.median(inner.seconds),
        "latency": statistics.median(latencies),
        "all_done": max(latencies),
        "rss_growth_mib": (peak - before) / 1024,
    }


def run_child(max_concurrent: int, args: argparse.Namespace) -> dict[str, Any]:
    command = [
        sys.executable,
        __file__,
        "--child",
        str(max_concurrent),
        "--passwords",
        str(args.passwords),
        "--threads",
        str(args.threads),
    ]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout  # noqa: S603
    result: dict[str, Any] = json.loads(output)
    return result


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--passwords", type=int, default=64, help="hashes in the burst (default 64)")
    p.add_argument("--threads", type=int, default=64, help="threads hashing at once (default 64)")
    p.add_argument("--limit", type=int, default=default_concurrency(), help="the limit to test (default: CPUs)")
    p.add_argument("--repeat", type=int, default=3, help="processes per configuration; medians are printed")
    p.add_argument("--child", type=int, help=argparse.SUPPRESS)
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.child is not None:
        print(json.dumps(burst(args.child, args.passwords, args.threads)))
        return 0

    p = PARAMETERS
    print(f"argon2id t={p.time_cost} m={p.memory_cost // 1024} MiB p={p.parallelism}; {os.cpu_count()} CPUs")
    print(f"{args.passwords} passwords from {args.threads} threads at once, median of {args.repeat} processes\n")
    configurations = [
        (f"limit {args.limit} (production)", args.limit),
        (f"limit {POOL_SIZE} (thread pool only)", POOL_SIZE),
        ("no limit", args.threads),
    ]
    print(f"{'configuration':<30} {'in argon2':>10} {'latency':>10} {'all done':>10} {'peak RSS +':>11}")
    for name, limit in configurations:
        runs = [run_child(limit, args) for _ in range(args.repeat)]

        def median(key: str, runs: list[dict[str, Any]] = runs) -> float:
            return statistics.median(run[key] for run in runs)

        print(
            f"{name:<30} {median('in_argon2'):>9.2f}s {median('latency'):>9.2f}s {median('all_done'):>9.2f}s"
            f" {median('rss_growth_mib'):>7.0f} MiB"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
