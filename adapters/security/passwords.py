from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import TypeVar

import argon2
from argon2.exceptions import InvalidHashError, VerificationError

T = TypeVar("T")

# argon2-cffi's RFC 9106 "low memory" profile, written out so that a new argon2-cffi release with other
# defaults cannot silently change them (every stored hash would then ask to be rehashed).
PARAMETERS = argon2.Parameters(
    type=argon2.Type.ID,
    version=19,
    salt_len=16,
    hash_len=32,
    time_cost=3,
    memory_cost=64 * 1024,  # KiB
    parallelism=4,
)


def default_concurrency() -> int:
    """The CPUs this process may run on (the affinity mask, where the platform has one)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return os.cpu_count() or 1


class Argon2PasswordHasher:
    """argon2id at t=3 passes over m=64 MiB with p=4 lanes (RFC 9106's low-memory profile), above OWASP's
    floor of m=19 MiB, t=2, p=1; at most ``max_concurrent`` hashes or checks run at once.

    Each running hash holds its 64 MiB, and the web layer runs use cases on twenty threads: 64 sign-ups
    at once took 1.3 GiB more and finished no sooner than with two at a time on two CPUs, which took
    128 MiB (``bench/password_hashing.py``). Past ``max_concurrent`` (by default the CPUs this process
    may use) callers wait their turn, on their own thread: a waiting sign-up still holds one of the
    twenty, as it did while hashing before.
    """

    def __init__(self, hasher: argon2.PasswordHasher | None = None, *, max_concurrent: int | None = None) -> None:
        self._hasher = hasher or argon2.PasswordHasher.from_parameters(PARAMETERS)
        limit = max_concurrent if max_concurrent is not None else default_concurrency()
        if limit < 1:
            raise ValueError("max_concurrent must be at least 1")
        self.max_concurrent = limit
        self._slots = threading.BoundedSemaphore(limit)

    def hash(self, password: str) -> str:
        return self._limited(self._hasher.hash, password)

    def verify(self, password_hash: str, password: str) -> bool:
        try:
            return self._limited(self._hasher.verify, password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, password_hash: str) -> bool:
        # Only parses the hash's parameters: no argon2 run, so no slot needed.
        try:
            return self._hasher.check_needs_rehash(password_hash)
        except InvalidHashError:
            return True

    def _limited(self, run: Callable[..., T], *args: str) -> T:
        with self._slots:
            return run(*args)
