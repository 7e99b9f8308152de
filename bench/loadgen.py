"""Running wrk and reading its report."""

from __future__ import annotations

import re
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

_UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}


@dataclass(frozen=True)
class LoadResult:
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    requests: int
    seconds: float
    non_2xx: int
    socket_errors: int

    @property
    def tail_ratio(self) -> float:
        return self.p99_ms / self.p50_ms if self.p50_ms else float("inf")

    @property
    def failed(self) -> int:
        return self.non_2xx + self.socket_errors


@dataclass(frozen=True)
class Wrk:
    threads: int
    connections: int
    timeout_seconds: int = 10

    def run(self, url: str, seconds: float, script: str | None = None) -> LoadResult:
        """``wrk --latency`` against ``url`` (whose path a script's ``request()`` may override)."""
        return parse_wrk(self.run_report(url, seconds, script))

    def run_report(self, url: str, seconds: float, script: str | None = None) -> str:
        """wrk's report as it prints it, including whatever the script's ``done()`` prints."""
        command = [
            "wrk",
            f"-t{self.threads}",
            f"-c{self.connections}",
            f"-d{max(1, round(seconds))}s",
            f"--timeout={self.timeout_seconds}s",
            "--latency",
        ]
        with tempfile.TemporaryDirectory(prefix="airbnb-bench-wrk-") as tmp:
            if script is not None:
                script_path = Path(tmp) / "workload.lua"
                script_path.write_text(script)
                command += ["-s", str(script_path)]
            done = subprocess.run([*command, url], capture_output=True, text=True, check=False)  # noqa: S603
        if done.returncode != 0:
            raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr.strip() or done.stdout.strip()}")
        return done.stdout


def parse_wrk(report: str) -> LoadResult:
    """The throughput, median and 99th percentile latency, and failures of a ``wrk --latency`` report."""

    def find(pattern: str) -> re.Match[str]:
        match = re.search(pattern, report, re.MULTILINE)
        if match is None:
            raise ValueError(f"wrk report without {pattern!r}:\n{report}")
        return match

    distribution = re.findall(r"^\s+(\d+)%\s+([\d.]+)(us|ms|s|m|h)\s*$", report, re.MULTILINE)
    latency = {percent: float(value) * _UNIT_MS[unit] for percent, value, unit in distribution}
    if not {"50", "99"} <= latency.keys():
        raise ValueError(f"wrk report without a latency distribution (run it with --latency):\n{report}")
    totals = find(r"^\s*(\d+) requests in ([\d.]+)(us|ms|s|m|h),")
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", report)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", report)
    return LoadResult(
        requests_per_second=float(find(r"^Requests/sec:\s+([\d.]+)").group(1)),
        p50_ms=latency["50"],
        p99_ms=latency["99"],
        requests=int(totals.group(1)),
        seconds=float(totals.group(2)) * _UNIT_MS[totals.group(3)] / 1000,
        non_2xx=int(non_2xx.group(1)) if non_2xx else 0,
        socket_errors=sum(int(n) for n in errors.groups()) if errors else 0,
    )
