import uuid
from datetime import UTC, datetime, timedelta

import argon2
import jwt
import pytest

from adapters.security import Argon2PasswordHasher, JwtTokenService
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
