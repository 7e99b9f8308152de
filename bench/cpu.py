"""Who used the CPU during a run: the server, PostgreSQL, Redis, the load generator, anything else, and steal.

Each group is a process tree. A tree's CPU time is its processes' own time plus the time of children
they have already reaped (``cutime``/``cstime``), so processes that start and end within a run
(PostgreSQL backends of short-lived connections, wrk itself) are counted too.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")
GROUPS = ("server", "postgres", "redis", "loadgen", "other")


@dataclass(frozen=True)
class _Process:
    parent: int
    name: str
    seconds: float  # own user + system time, plus that of reaped children


@dataclass(frozen=True)
class CpuSample:
    at: float
    groups: Mapping[str, float]  # CPU seconds per group, "other" excluded
    busy: float  # CPU seconds of the whole machine (user, nice, system, irq, softirq)
    steal: float  # seconds the hypervisor gave the machine's CPUs to someone else


def _processes() -> dict[int, _Process]:
    found = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        name = text[text.index("(") + 1 : text.rindex(")")]
        fields = text[text.rindex(")") + 2 :].split()
        # fields[0] is /proc/PID/stat field 3 (state): utime..cstime are fields 14-17.
        ticks = sum(int(f) for f in fields[11:15])
        found[int(stat.parent.name)] = _Process(int(fields[1]), name, ticks / TICKS)
    return found


def _tree_seconds(processes: dict[int, _Process], roots: list[int], leave_out: int | None = None) -> float:
    """CPU seconds of the trees under ``roots``, without the subtree under ``leave_out``."""
    children: dict[int, list[int]] = {}
    for pid, process in processes.items():
        children.setdefault(process.parent, []).append(pid)
    total, stack = 0.0, list(roots)
    while stack:
        pid = stack.pop()
        if pid in processes and pid != leave_out:
            total += processes[pid].seconds
            stack += children.get(pid, [])
    return total


def _roots(processes: dict[int, _Process], name: str) -> list[int]:
    """Processes called ``name`` whose parent is not (the top of each such tree)."""
    return [
        pid
        for pid, p in processes.items()
        if p.name == name and processes.get(p.parent, _Process(0, "", 0)).name != name
    ]


def sample(server_pid: int | None = None, postgres_pids: list[int] | None = None) -> CpuSample:
    """CPU seconds so far per group: the server's tree, PostgreSQL's (the given postmasters', or every
    tree of processes called postgres), Redis', the load generator's (this process's, server aside)."""
    processes = _processes()
    postgres = postgres_pids if postgres_pids is not None else _roots(processes, "postgres")
    groups = {
        "server": _tree_seconds(processes, [server_pid]) if server_pid else 0.0,
        "postgres": _tree_seconds(processes, postgres),
        "redis": _tree_seconds(processes, _roots(processes, "redis-server")),
        # This benchmark and its children but the server: wrk, and the SQL replay processes.
        "loadgen": _tree_seconds(processes, [os.getpid()], leave_out=server_pid),
    }
    cpu = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(v) / TICKS for v in cpu[:8])
    return CpuSample(time.monotonic(), groups, user + nice + system + irq + softirq, steal)


@dataclass(frozen=True)
class CpuUse:
    """Cores used on average over a run, per group, and the machine's steal."""

    cores: Mapping[str, float]
    steal: float
    # A tree's total went down: one of its processes ended without its parent collecting its CPU time
    # (seen now and then on this machine's PostgreSQL). Its group, and therefore "other", are then wrong.
    reliable: bool = True


def between(before: CpuSample, after: CpuSample) -> CpuUse:
    wall = max(after.at - before.at, 1e-9)
    cores = {g: (after.groups[g] - before.groups[g]) / wall for g in before.groups}
    busy = (after.busy - before.busy) / wall
    reliable = min(cores.values()) > -0.005
    cores["other"] = max(0.0, busy - sum(cores.values()))
    return CpuUse(cores, (after.steal - before.steal) / wall, reliable)
