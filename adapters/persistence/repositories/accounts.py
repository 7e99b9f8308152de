"""Users and their refresh tokens."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm.attributes import set_committed_value

from adapters.persistence.models import (
    RefreshTokenRow,
    UserRow,
)
from adapters.persistence.repositories._common import (
    _after,
    _column_value,
    _field_names,
    _Repository,
    _to_entity,
    _to_row,
)
from airbnb_core.domain.users import RefreshToken, User


def _user(row: UserRow) -> User:
    return _to_entity(row, User)


def _refresh_token(row: RefreshTokenRow) -> RefreshToken:
    return _to_entity(row, RefreshToken)


class SqlAlchemyUserRepository(_Repository):
    def add(self, user: User) -> None:
        self._insert(_to_row(UserRow, user))

    def get(self, user_id: uuid.UUID) -> User | None:
        row = self._session.get(UserRow, user_id)
        return _user(row) if row else None

    def get_by_email(self, email: str) -> User | None:
        row = self._session.scalar(sa.select(UserRow).where(UserRow.email == email))
        return _user(row) if row else None

    def get_many(self, user_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, User]:
        if not user_ids:
            return {}
        rows = self._session.scalars(sa.select(UserRow).where(UserRow.id.in_(set(user_ids))))
        return {row.id: _user(row) for row in rows}

    def update(self, user: User) -> None:
        # Merging leaves alone the attributes a row does not carry, so the version is kept out: written
        # back as it was read, it would undo a bump that another transaction committed in between.
        fields = {name: _column_value(getattr(user, name)) for name in _field_names(User) if name != "session_version"}
        self._session.merge(UserRow(**fields))

    def bump_session_version(self, user_id: uuid.UUID) -> int:
        # Incremented by the database, not read and written back: of two concurrent bumps the second
        # waits for the first's row lock (PostgreSQL) or write lock (SQLite) and adds one to its result.
        version: int = self._session.execute(
            sa.update(UserRow)
            .where(UserRow.id == user_id)
            .values(session_version=UserRow.session_version + 1)
            .returning(UserRow.session_version)
            .execution_options(synchronize_session=False)
        ).scalar_one()
        # The ORM's own synchronization would add one to the value this session read, which another
        # transaction may have moved since; a later get() in this unit of work sees the real one.
        loaded = self._session.identity_map.get(self._session.identity_key(UserRow, user_id))
        if loaded is not None:
            set_committed_value(loaded, "session_version", version)
        return version

    def list(self, *, limit: int, after: tuple[datetime, uuid.UUID] | None) -> list[User]:
        columns = (UserRow.created_at, UserRow.id)
        query = sa.select(UserRow).order_by(*columns).limit(limit)
        if after is not None:
            query = query.where(_after(columns, after, rising=True))
        return [_user(row) for row in self._session.scalars(query)]


class SqlAlchemyRefreshTokenRepository(_Repository):
    def add(self, token: RefreshToken) -> None:
        self._insert(_to_row(RefreshTokenRow, token))

    def get_by_hash(self, token_hash: str) -> RefreshToken | None:
        row = self._session.scalar(sa.select(RefreshTokenRow).where(RefreshTokenRow.token_hash == token_hash))
        return _refresh_token(row) if row else None

    def mark_used(self, token_id: uuid.UUID, at: datetime) -> bool:
        # One conditional UPDATE: of two concurrent refreshes, the second waits for the first's row
        # lock, then finds used_at set and matches no row.
        result: sa.CursorResult[Any] = self._session.execute(  # type: ignore[assignment]
            sa.update(RefreshTokenRow)
            .where(
                RefreshTokenRow.id == token_id,
                RefreshTokenRow.used_at.is_(None),
                RefreshTokenRow.revoked_at.is_(None),
            )
            .values(used_at=at)
        )
        return result.rowcount == 1

    def revoke_family(self, family_id: uuid.UUID, at: datetime) -> None:
        self._revoke(RefreshTokenRow.family_id == family_id, at)

    def revoke_all_for_user(self, user_id: uuid.UUID, at: datetime) -> None:
        self._revoke(RefreshTokenRow.user_id == user_id, at)

    def _revoke(self, which: sa.ColumnElement[bool], at: datetime) -> None:
        self._session.execute(
            sa.update(RefreshTokenRow).where(which, RefreshTokenRow.revoked_at.is_(None)).values(revoked_at=at)
        )
