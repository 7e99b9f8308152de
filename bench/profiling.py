"""Sampling the server's workers with py-spy while they are under load, and summing up where the CPU goes."""

from __future__ import annotations

import re
import subprocess
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

_FRAME = re.compile(r"^(?P<function>.*) \((?P<file>[^()]*)\)$")


@dataclass(frozen=True)
class Profile:
    samples: int
    by_package: list[tuple[str, int]]
    by_function: list[tuple[str, int]]

    def lines(self, top: int = 12) -> list[str]:
        def share(n: int) -> str:
            return f"{100 * n / self.samples:5.1f}%"

        out = [f"{self.samples} samples of the thread holding the GIL; own time by package:"]
        out += [f"  {share(n)}  {name}" for name, n in self.by_package[:top]]
        out.append("own time by function:")
        out += [f"  {share(n)}  {name}" for name, n in self.by_function[:top]]
        return out


def record(py_spy: Path, pid: int, seconds: int, output: Path, rate: int = 200) -> subprocess.Popen[bytes]:
    """Start sampling ``pid`` and its subprocesses (the workers) for ``seconds``, in py-spy's collapsed format."""
    return subprocess.Popen(  # noqa: S603
        [
            str(py_spy),
            "record",
            "--pid",
            str(pid),
            "--subprocesses",
            "--duration",
            str(seconds),
            "--gil",
            "--rate",
            str(rate),
            "--nolineno",
            "--format",
            "raw",
            "--output",
            str(output),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def summarize(raw: Path, project_root: Path) -> Profile:
    """Samples per innermost frame, by package and by function.

    Only the thread holding the GIL is sampled (``--gil``), so the samples show where the workers'
    Python CPU goes rather than where their threads sit waiting.
    """
    packages: Counter[str] = Counter()
    functions: Counter[str] = Counter()
    total = 0
    for line in raw.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        match = _FRAME.match(stack.rsplit(";", 1)[-1])
        if match is None:
            continue
        n = int(count)
        total += n
        packages[_package(match["file"], project_root)] += n
        functions[f"{match['function']} ({match['file']})"] += n
    return Profile(total, packages.most_common(), functions.most_common())


def _package(file: str, project_root: Path) -> str:
    """The top-level package or module of a py-spy file name (which is relative to its sys.path entry)."""
    top = file.split("/", 1)[0].removesuffix(".py")
    return f"{top} (project)" if (project_root / top).exists() or (project_root / f"{top}.py").exists() else top


# Where a sample's time goes, by the first frame from the leaf towards the root that one of these claims.
SPLIT = ("routing", "query", "conversion", "encoding", "cache", "other")
_QUERY = ("psycopg/", "psycopg_pool/", "psycopg_binary/", "sqlalchemy/", "adapters/persistence/")
_CONVERSION = ("airbnb_core/",)
_ENCODING = ("msgspec/",)
_CACHE = ("redis/", "adapters/cache/")
_ROUTING = ("litestar/", "uvicorn/", "granian/", "anyio/", "adapters/http/", "prometheus_client/", "starlette/")


def _frame_category(function: str, file: str) -> str | None:
    if file.startswith(_ENCODING) or (file == "adapters/http/caching.py" and function == "encoded_json"):
        return "encoding"
    if file.startswith(_QUERY):
        return "query"
    if file.startswith(_CONVERSION):
        return "conversion"
    if file.startswith(_CACHE):
        return "cache"
    if file.startswith(_ROUTING):
        return "routing"
    return None


def split(raw: Path) -> tuple[dict[str, int], Counter[str]]:
    """Samples per ``SPLIT`` category, each stack going to the first frame, from the leaf up, that a category
    claims (``other`` when none does), and the innermost frames of the ``other`` samples.

    query = psycopg, psycopg_pool, SQLAlchemy, adapters/persistence; conversion = airbnb_core (views, services,
    domain); encoding = msgspec and ``adapters/http/caching.py`` ``encoded_json``; cache = redis and
    adapters/cache; routing (+ middleware) = litestar, uvicorn, granian, anyio, the rest of adapters/http,
    prometheus_client.
    """
    counts = dict.fromkeys(SPLIT, 0)
    unclaimed: Counter[str] = Counter()
    for line in raw.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = [m for f in stack.split(";") if (m := _FRAME.match(f)) is not None]
        if not frames:
            continue
        category = next(
            (c for m in reversed(frames) if (c := _frame_category(m["function"], m["file"])) is not None), "other"
        )
        counts[category] += int(count)
        if category == "other":
            unclaimed[f"{frames[-1]['function']} ({frames[-1]['file']})"] += int(count)
    return counts, unclaimed
