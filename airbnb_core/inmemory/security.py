"""Standard-library credentials: scrypt password hashes and HMAC-signed access tokens."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import uuid
from datetime import datetime

from airbnb_core.domain.errors import Unauthenticated
from airbnb_core.ports.security import AccessClaims


class ScryptPasswordHasher:
    """scrypt from the standard library; production uses argon2id instead."""

    def __init__(self, n: int = 2**14, r: int = 8, p: int = 1) -> None:
        self._params = (n, r, p)

    def hash(self, password: str) -> str:
        salt = secrets.token_bytes(16)
        n, r, p = self._params
        digest = hashlib.scrypt(password.encode(), salt=salt, n=n, r=r, p=p)
        return f"scrypt${n}${r}${p}${salt.hex()}${digest.hex()}"

    def verify(self, password_hash: str, password: str) -> bool:
        try:
            _, n, r, p, salt, digest = password_hash.split("$")
            candidate = hashlib.scrypt(password.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p))
        except ValueError:
            return False
        return hmac.compare_digest(candidate.hex(), digest)

    def needs_rehash(self, password_hash: str) -> bool:
        return not password_hash.startswith("scrypt${}${}${}$".format(*self._params))


class HmacTokenService:
    """Compact HMAC-SHA256 signed access tokens carrying the user id, session version and expiry."""

    def __init__(self, secret: bytes, ttl_seconds: int = 900) -> None:
        self._secret = secret
        self.access_token_ttl_seconds = ttl_seconds

    def issue_access_token(self, claims: AccessClaims, now: datetime) -> str:
        exp = int(now.timestamp()) + self.access_token_ttl_seconds
        payload = {"sub": str(claims.user_id), "sv": claims.session_version, "exp": exp}
        body = base64.urlsafe_b64encode(json.dumps(payload).encode())
        return f"{body.decode()}.{self._sign(body)}"

    def verify_access_token(self, token: str, now: datetime) -> AccessClaims:
        body, _, signature = token.encode().partition(b".")
        if not hmac.compare_digest(self._sign(body).encode(), signature):
            raise Unauthenticated("access token is invalid", code="invalid_token")
        claims = json.loads(base64.urlsafe_b64decode(body))  # signed by us, so well-formed
        if now.timestamp() >= claims["exp"]:
            raise Unauthenticated("access token has expired", code="token_expired")
        return AccessClaims(uuid.UUID(claims["sub"]), claims["sv"])

    def _sign(self, body: bytes) -> str:
        return hmac.new(self._secret, body, hashlib.sha256).hexdigest()
