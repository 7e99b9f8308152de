"""Production credentials: argon2id password hashes and signed JWT access tokens."""

from adapters.security.passwords import Argon2PasswordHasher
from adapters.security.tokens import JwtTokenService

__all__ = ["Argon2PasswordHasher", "JwtTokenService"]
