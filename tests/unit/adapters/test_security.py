import os
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import argon2
import jwt
import pytest

from adapters.security import Argon2PasswordHasher, JwtTokenService
from adapters.security.passwords import PARAMETERS
from airbnb_core.domain.errors import Unauthenticated
from airbnb_core.ports.security import AccessClaims

NOW = datetime(2030, 1, 1, tzinfo=UTC)
SECRET = "s" * 64


def test_argon2id_hashes_verify_and_ask_for_rehash_when_parameters_grow() -> None:
    weak = Argon2PasswordHasher(argon2.PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    hashed = weak.hash("correct horse")
    assert hashed.startswith("$argon2id$")
    assert weak.verify(hashed, "correct horse")
    assert not weak.verify(hashed, "wrong horse")
    assert not weak.verify("not a hash", "correct horse")
    assert not weak.needs_rehash(hashed)
    assert Argon2PasswordHasher().needs_rehash(hashed)


# OWASP Password Storage Cheat Sheet: argon2id with any one of these (memory KiB, passes) at p=1.
OWASP_MINIMUMS = [(47_104, 1), (19_456, 2), (12_288, 3), (9_216, 4), (7_168, 5)]


def test_production_hashes_are_argon2id_at_or_above_the_owasp_minimum() -> None:
    hashed = Argon2PasswordHasher().hash("correct horse")
    used = argon2.extract_parameters(hashed)
    assert used == PARAMETERS
    assert used.type is argon2.Type.ID
    assert any(used.memory_cost >= memory and used.time_cost >= passes for memory, passes in OWASP_MINIMUMS)
    assert used.parallelism >= 1 and used.salt_len >= 16 and used.hash_len >= 32


class CountingArgon2(argon2.PasswordHasher):
    """Cheap argon2 that records how many calls are inside it at once."""

    def __init__(self) -> None:
        super().__init__(time_cost=1, memory_cost=1024, parallelism=1)
        self._lock = threading.Lock()
        self.inside = 0
        self.most_inside = 0

    def _counted(self, run: Callable[..., Any], *args: Any) -> Any:
        with self._lock:
            self.inside += 1
            self.most_inside = max(self.most_inside, self.inside)
        try:
            time.sleep(0.02)  # long enough for every waiting thread to try to get in
            return run(*args)
        finally:
            with self._lock:
                self.inside -= 1

    def hash(self, password: str | bytes, *, salt: bytes | None = None) -> str:
        return str(self._counted(super().hash, password))

    def verify(self, hash: str | bytes, password: str | bytes) -> bool:
        return bool(self._counted(super().verify, hash, password))


def test_no_more_than_the_limit_of_hashes_and_checks_run_at_once() -> None:
    inner = CountingArgon2()
    hasher = Argon2PasswordHasher(inner, max_concurrent=2)
    start = threading.Barrier(16)

    def sign_up_then_log_in(i: int) -> bool:
        start.wait()
        hashed = hasher.hash(f"password number {i}")
        return hasher.verify(hashed, f"password number {i}") and not hasher.verify(hashed, "wrong")

    with ThreadPoolExecutor(16) as pool:
        results = list(pool.map(sign_up_then_log_in, range(16)))

    assert all(results)
    assert inner.most_inside == 2  # reached, never passed


def test_the_default_limit_is_the_cpus_this_process_may_use_and_must_be_positive() -> None:
    assert 1 <= Argon2PasswordHasher().max_concurrent <= (os.cpu_count() or 1)
    with pytest.raises(ValueError):
        Argon2PasswordHasher(max_concurrent=0)


def test_access_tokens_round_trip_and_expire_by_the_injected_clock() -> None:
    tokens = JwtTokenService(SECRET)
    claims = AccessClaims(uuid.uuid4(), 7)
    token = tokens.issue_access_token(claims, NOW)
    assert tokens.verify_access_token(token, NOW + timedelta(minutes=14)) == claims
    with pytest.raises(Unauthenticated) as expired:
        tokens.verify_access_token(token, NOW + timedelta(minutes=15))
    assert expired.value.code == "token_expired"


@pytest.mark.parametrize(
    "forge",
    [
        lambda claims: jwt.encode(claims, "another-secret-another-secret-!!", algorithm="HS256"),
        lambda claims: jwt.encode(claims, None, algorithm="none"),
        lambda claims: jwt.encode({**claims, "aud": "someone-else"}, SECRET, algorithm="HS256"),
        lambda claims: jwt.encode({**claims, "iss": "someone-else"}, SECRET, algorithm="HS256"),
        lambda claims: jwt.encode({k: v for k, v in claims.items() if k != "exp"}, SECRET, algorithm="HS256"),
        lambda claims: jwt.encode({**claims, "sub": "not-a-uuid"}, SECRET, algorithm="HS512"),
        # Issued before tokens carried a session version: it could never be revoked, so it is refused.
        lambda claims: jwt.encode({k: v for k, v in claims.items() if k != "sv"}, SECRET, algorithm="HS256"),
        lambda claims: jwt.encode({**claims, "sv": "0"}, SECRET, algorithm="HS256"),
        lambda claims: jwt.encode({**claims, "sv": 0.0}, SECRET, algorithm="HS256"),
        lambda claims: "garbage",
    ],
)
def test_forged_or_foreign_tokens_are_refused(forge: object) -> None:
    claims = {
        "sub": str(uuid.uuid4()),
        "sv": 0,
        "iat": NOW,
        "exp": NOW + timedelta(minutes=5),
        "iss": "airbnb-clone",
        "aud": "airbnb-clone-api",
    }
    genuine = jwt.encode(claims, SECRET, algorithm="HS256")
    assert JwtTokenService(SECRET).verify_access_token(genuine, NOW).session_version == 0
    token = forge(claims)  # type: ignore[operator]
    with pytest.raises(Unauthenticated):
        JwtTokenService(SECRET).verify_access_token(token, NOW)
