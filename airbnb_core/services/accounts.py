"""Account use cases: sign-up, sessions, profiles and administration."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from airbnb_core.domain.errors import (
    Conflict,
    EmailTaken,
    FieldError,
    Forbidden,
    InvalidCredentials,
    InvalidInput,
    NotFound,
    RateLimited,
    Unauthenticated,
    raise_if_any,
)
from airbnb_core.domain.events import ProfileChanged, UserDeactivated
from airbnb_core.domain.pagination import Page, check_limit, decode_time_key, time_key_of
from airbnb_core.domain.users import (
    RefreshToken,
    TokenPair,
    User,
    validate_email,
    validate_name,
    validate_password,
)
from airbnb_core.ports.clock import Clock
from airbnb_core.ports.queries import UserQueries
from airbnb_core.ports.rate_limit import UNLIMITED, RateLimiter
from airbnb_core.ports.security import AccessClaims, PasswordHasher, TokenService
from airbnb_core.ports.unit_of_work import UnitOfWork

REFRESH_TOKEN_TTL = timedelta(days=30)


@dataclass(frozen=True, slots=True)
class RegisterUser:
    name: str
    email: str
    password: str
    is_host: bool = False
    client: str = "local"  # who is asking (an IP address at the web edge), for the attempt limit


@dataclass(frozen=True, slots=True)
class LogIn:
    email: str
    password: str
    client: str = "local"


@dataclass(frozen=True, slots=True)
class UpdateProfile:
    name: str | None = None
    password: str | None = None
    current_password: str | None = None
    is_host: bool | None = None


def hash_refresh_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class UnitOfWorkUserQueries:
    """``UserQueries`` over any unit of work: what the in-memory platform and library users get."""

    def __init__(self, uow: Callable[[], UnitOfWork]) -> None:
        self._uow = uow

    async def user(self, user_id: uuid.UUID) -> User | None:
        with self._uow() as uow:
            return uow.users.get(user_id)


class Accounts:
    """Every account action, each in its own transaction."""

    def __init__(
        self,
        uow: Callable[[], UnitOfWork],
        hasher: PasswordHasher,
        tokens: TokenService,
        clock: Clock,
        *,
        limiter: RateLimiter = UNLIMITED,
        attempts_per_minute: int = 10,
        refresh_token_ttl: timedelta = REFRESH_TOKEN_TTL,
        users: UserQueries | None = None,
    ) -> None:
        self._uow = uow
        self._users = users or UnitOfWorkUserQueries(uow)
        self._limiter = limiter
        self._attempts_per_minute = attempts_per_minute
        self._hasher = hasher
        self._tokens = tokens
        self._clock = clock
        self._refresh_ttl = refresh_token_ttl
        self._dummy_hash: str | None = None

    def register(self, cmd: RegisterUser) -> User:
        self._count_attempt(cmd.client)
        user = self._new_user(cmd)
        with self._uow() as uow:
            if uow.users.get_by_email(user.email) is not None:
                raise EmailTaken("an account with this email already exists")
            uow.users.add(user)
            uow.commit()
        return user

    def create_admin(self, cmd: RegisterUser) -> tuple[User, bool]:
        """Make an administrator, promoting the account if the email exists. True when one was created.

        An operator action (the command line), never reachable through the API.
        """
        errors: list[FieldError] = []
        email = validate_email(cmd.email, errors)
        raise_if_any(errors)
        with self._uow() as uow:
            user = uow.users.get_by_email(email)
            if user is not None:
                user.is_admin = True
                uow.users.update(user)
                uow.commit()
                return user, False
            user = self._new_user(cmd)
            user.is_admin = True
            uow.users.add(user)
            uow.commit()
        return user, True

    def log_in(self, cmd: LogIn) -> TokenPair:
        """Exchange credentials for a token pair. Every failure looks the same to the caller."""
        self._count_attempt(cmd.client)
        errors: list[FieldError] = []
        email = validate_email(cmd.email, errors)
        with self._uow() as uow:
            # An address no account could have (a NUL byte, say) is never sent to the database.
            user = None if errors else uow.users.get_by_email(email)
            if user is None:
                # Spend the same time as a real check so response timing does not reveal which emails exist.
                self._hasher.verify(self._dummy_password_hash(), cmd.password)
                raise InvalidCredentials("email or password is incorrect")
            if not self._hasher.verify(user.password_hash, cmd.password) or not user.is_active:
                raise InvalidCredentials("email or password is incorrect")
            if self._hasher.needs_rehash(user.password_hash):
                user.password_hash = self._hasher.hash(cmd.password)
                uow.users.update(user)
            pair = self._start_session(uow, user, family_id=uuid.uuid4())
            uow.commit()
        return pair

    def refresh(self, refresh_token: str) -> TokenPair:
        """Rotate a refresh token. Presenting one that was already rotated revokes its whole family."""
        now = self._clock.now()
        with self._uow() as uow:
            stored = uow.refresh_tokens.get_by_hash(hash_refresh_token(refresh_token))
            if stored is None or stored.revoked_at is not None or now >= stored.expires_at:
                raise Unauthenticated("refresh token is invalid or expired", code="invalid_refresh_token")
            if not uow.refresh_tokens.mark_used(stored.id, now):
                uow.refresh_tokens.revoke_family(stored.family_id, now)
                # Whoever holds the leaked token may hold access tokens from it too; they cannot be told
                # apart from the account's others, so all of them end (see ``log_out``).
                uow.users.bump_session_version(stored.user_id)
                uow.commit()
                raise Unauthenticated(
                    "refresh token was already used; every session of this login has been revoked",
                    code="refresh_token_reused",
                )
            user = uow.users.get(stored.user_id)
            if user is None or not user.is_active:
                raise Unauthenticated("account is not active", code="invalid_refresh_token")
            pair = self._start_session(uow, user, family_id=stored.family_id)
            uow.commit()
        return pair

    def log_out(self, user: User, refresh_token: str) -> None:
        """End the session the refresh token belongs to, and every access token of the user.

        A refresh token that is unknown or someone else's revokes nothing.
        """
        now = self._clock.now()
        with self._uow() as uow:
            stored = uow.refresh_tokens.get_by_hash(hash_refresh_token(refresh_token))
            if stored is not None and stored.user_id == user.id:
                uow.refresh_tokens.revoke_family(stored.family_id, now)
            # Trade-off: an access token names its user, not its login, so the only way to end this
            # device's token without a lookup per request is to end all of them. The user's other
            # devices keep their refresh tokens, so their clients refresh once and carry on.
            uow.users.bump_session_version(user.id)
            uow.commit()

    def authenticate(self, access_token: str) -> User:
        """The active user an access token speaks for, unless their sessions were ended since it was issued."""
        claims = self._tokens.verify_access_token(access_token, self._clock.now())
        with self._uow() as uow:
            user = uow.users.get(claims.user_id)
        return _authenticated(user, claims)

    async def authenticate_async(self, access_token: str) -> User:
        """``authenticate`` on the query port: one read, no transaction and no worker thread, for the web edge."""
        claims = self._tokens.verify_access_token(access_token, self._clock.now())
        return _authenticated(await self._users.user(claims.user_id), claims)

    def update_profile(self, actor: User, cmd: UpdateProfile) -> User:
        errors: list[FieldError] = []
        if cmd.name is not None:
            validate_name(cmd.name, errors)
        if cmd.password is not None:
            validate_password(cmd.password, errors)
            if cmd.current_password is None:
                errors.append(FieldError("current_password", "is required to change the password"))
        raise_if_any(errors)
        now = self._clock.now()
        with self._uow() as uow:
            user = self._load(uow, actor.id)
            if cmd.name is not None:
                user.rename(cmd.name)
            if cmd.password is not None:
                assert cmd.current_password is not None
                if not self._hasher.verify(user.password_hash, cmd.current_password):
                    raise InvalidInput.field("current_password", "is incorrect")
                user.password_hash = self._hasher.hash(cmd.password)
                # A new password ends every session, this one included: whoever knew the old password
                # may hold tokens of any of them.
                uow.refresh_tokens.revoke_all_for_user(user.id, now)
                user.session_version = uow.users.bump_session_version(user.id)
            if cmd.is_host is True:
                user.become_host()
            elif cmd.is_host is False and user.is_host:
                if uow.properties.count_active_by_host(user.id):
                    raise Conflict("deactivate your listings before you stop hosting", code="has_listings")
                user.is_host = False
            uow.users.update(user)
            if cmd.name is not None or cmd.is_host is not None:
                uow.record(ProfileChanged(user.id))
            uow.commit()
        return user

    def public_profile(self, user_id: uuid.UUID) -> User:
        with self._uow() as uow:
            user = uow.users.get(user_id)
        if user is None or not user.is_active:
            raise NotFound("no such user")
        return user

    def list_users(self, actor: User, *, limit: int, cursor: str | None = None) -> Page[User]:
        _require_admin(actor)
        check_limit(limit)
        after = decode_time_key(cursor) if cursor is not None else None
        with self._uow() as uow:
            users = uow.users.list(limit=limit + 1, after=after)
        return Page.from_overfetch(users, limit, time_key_of)

    def deactivate(self, actor: User, user_id: uuid.UUID) -> User:
        """Deactivate an account: it can no longer log in, and its tokens stop working."""
        _require_admin(actor)
        now = self._clock.now()
        with self._uow() as uow:
            user = self._load(uow, user_id)
            user.deactivate(by=actor)
            uow.users.update(user)
            uow.refresh_tokens.revoke_all_for_user(user.id, now)
            user.session_version = uow.users.bump_session_version(user.id)
            uow.record(UserDeactivated(user.id))
            uow.commit()
        return user

    def _new_user(self, cmd: RegisterUser) -> User:
        errors: list[FieldError] = []
        name = validate_name(cmd.name, errors)
        email = validate_email(cmd.email, errors)
        validate_password(cmd.password, errors)
        raise_if_any(errors)
        return User(
            id=uuid.uuid4(),
            name=name,
            email=email,
            password_hash=self._hasher.hash(cmd.password),
            created_at=self._clock.now(),
            is_host=cmd.is_host,
        )

    def _start_session(self, uow: UnitOfWork, user: User, *, family_id: uuid.UUID) -> TokenPair:
        now = self._clock.now()
        opaque = secrets.token_urlsafe(32)
        uow.refresh_tokens.add(
            RefreshToken(
                id=uuid.uuid4(),
                user_id=user.id,
                family_id=family_id,
                token_hash=hash_refresh_token(opaque),
                issued_at=now,
                expires_at=now + self._refresh_ttl,
            )
        )
        return TokenPair(
            access_token=self._tokens.issue_access_token(AccessClaims(user.id, user.session_version), now),
            refresh_token=opaque,
            expires_in=self._tokens.access_token_ttl_seconds,
        )

    def _count_attempt(self, client: str) -> None:
        """Sign-ups and log-ins are limited per client, which blunts password guessing."""
        wait = self._limiter.hit(f"auth:{client}", limit=self._attempts_per_minute, window_seconds=60)
        if wait is not None:
            raise RateLimited("too many sign-in attempts; try again later", retry_after_seconds=wait)

    def _dummy_password_hash(self) -> str:
        if self._dummy_hash is None:
            self._dummy_hash = self._hasher.hash(secrets.token_urlsafe(16))
        return self._dummy_hash

    @staticmethod
    def _load(uow: UnitOfWork, user_id: uuid.UUID) -> User:
        user = uow.users.get(user_id)
        if user is None:
            raise NotFound("no such user")
        return user


def _require_admin(actor: User) -> None:
    if not actor.is_admin:
        raise Forbidden("only administrators may do this")


def _authenticated(user: User | None, claims: AccessClaims) -> User:
    if user is None or not user.is_active:
        raise Unauthenticated("account is not active", code="invalid_token")
    if user.session_version != claims.session_version:
        raise Unauthenticated("access token was revoked; refresh the session or sign in", code="token_revoked")
    return user
