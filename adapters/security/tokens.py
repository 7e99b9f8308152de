from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import jwt

from airbnb_core.domain.errors import Unauthenticated

ALGORITHM = "HS256"
CLOCK_SKEW_SECONDS = 30


class JwtTokenService:
    """Short-lived HS256 access tokens; only HS256 is accepted, so ``alg: none`` or RS/HS confusion cannot pass."""

    def __init__(
        self,
        secret: str,
        *,
        issuer: str = "airbnb-clone",
        audience: str = "airbnb-clone-api",
        ttl: timedelta = timedelta(minutes=15),
    ) -> None:
        self._secret = secret
        self._issuer = issuer
        self._audience = audience
        self.access_token_ttl_seconds = int(ttl.total_seconds())

    def issue_access_token(self, user_id: uuid.UUID, now: datetime) -> str:
        claims = {
            "sub": str(user_id),
            "iat": now,
            "exp": now + timedelta(seconds=self.access_token_ttl_seconds),
            "iss": self._issuer,
            "aud": self._audience,
            "jti": uuid.uuid4().hex,
        }
        return jwt.encode(claims, self._secret, algorithm=ALGORITHM)

    def verify_access_token(self, token: str, now: datetime) -> uuid.UUID:
        try:
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=[ALGORITHM],
                audience=self._audience,
                issuer=self._issuer,
                options={"require": ["exp", "iat", "iss", "aud", "sub"], "verify_exp": False, "verify_iat": False},
            )
            # Times are checked against the injected clock, not the machine's, so one clock rules the platform.
            if now.timestamp() >= claims["exp"]:
                raise Unauthenticated("access token has expired", code="token_expired")
            if claims["iat"] > now.timestamp() + CLOCK_SKEW_SECONDS:
                raise Unauthenticated("access token is not valid yet", code="invalid_token")
            return uuid.UUID(claims["sub"])
        except (jwt.InvalidTokenError, ValueError, TypeError, KeyError):
            raise Unauthenticated("access token is invalid", code="invalid_token") from None
