from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import jwt

from airbnb_core.domain.errors import Unauthenticated
from airbnb_core.ports.security import AccessClaims

ALGORITHM = "HS256"
CLOCK_SKEW_SECONDS = 30


class JwtTokenService:
    """Short-lived HS256 access tokens; only HS256 is accepted, so ``alg: none`` or RS/HS confusion cannot pass.

    Besides the registered claims, ``sv`` carries the user's session version. It is required: a token
    without one (issued before it existed) is refused, and its client refreshes.
    """

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

    def issue_access_token(self, claims: AccessClaims, now: datetime) -> str:
        payload = {
            "sub": str(claims.user_id),
            "sv": claims.session_version,
            "iat": now,
            "exp": now + timedelta(seconds=self.access_token_ttl_seconds),
            "iss": self._issuer,
            "aud": self._audience,
            "jti": uuid.uuid4().hex,
        }
        return jwt.encode(payload, self._secret, algorithm=ALGORITHM)

    def verify_access_token(self, token: str, now: datetime) -> AccessClaims:
        try:
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=[ALGORITHM],
                audience=self._audience,
                issuer=self._issuer,
                options={
                    "require": ["exp", "iat", "iss", "aud", "sub", "sv"],
                    "verify_exp": False,
                    "verify_iat": False,
                },
            )
            # Times are checked against the injected clock, not the machine's, so one clock rules the platform.
            if now.timestamp() >= claims["exp"]:
                raise Unauthenticated("access token has expired", code="token_expired")
            if claims["iat"] > now.timestamp() + CLOCK_SKEW_SECONDS:
                raise Unauthenticated("access token is not valid yet", code="invalid_token")
            version = claims["sv"]
            if type(version) is not int:  # bool is an int subclass, and a float would compare equal
                raise ValueError("sv must be an integer")
            return AccessClaims(uuid.UUID(claims["sub"]), version)
        except (jwt.InvalidTokenError, ValueError, TypeError, KeyError):
            raise Unauthenticated("access token is invalid", code="invalid_token") from None
