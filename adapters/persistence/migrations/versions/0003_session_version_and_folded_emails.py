"""Users get a session version; stored emails are folded the way the application now folds them.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-05

``users.session_version`` is the version every access token of the user carries; raising it ends them
all (log-out, password change, refresh-token reuse, deactivation). It is NOT NULL with a server
default of 0, so adding it rewrites no rows on PostgreSQL 11+ and existing users start at 0.

Emails were stored stripped and lower-cased; the application now also applies NFKC and casefold
(``airbnb_core.domain.users.normalize_email``) before every lookup, so a stored ``straße@…`` would no
longer be found. ASCII addresses are already in the new form; the others are rewritten. When two
accounts fold to one address the older one keeps it, and the newer is left as it was and named in
the log: nobody can sign in to it by email until an operator merges or renames it. Addresses with
characters the application now refuses (controls, zero-width) are also named in the log.

Downgrade drops the column. Folded emails stay folded: they are lower-case, valid under the old rule.
"""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

log = logging.getLogger("alembic.runtime.migration")

users = sa.table(
    "users",
    sa.column("id", sa.Uuid()),
    sa.column("email", sa.String()),
    sa.column("created_at", sa.DateTime(timezone=True)),
)


def fold(email: str) -> str:
    # A copy of normalize_email as of this revision: a migration must not change when the application does.
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", email).casefold())
    return folded.lower().strip()


def upgrade() -> None:
    op.add_column("users", sa.Column("session_version", sa.Integer(), server_default="0", nullable=False))

    bind = op.get_bind()
    rows = bind.execute(
        sa.select(users.c.id, users.c.email).order_by(users.c.created_at, users.c.id),
        execution_options={"yield_per": 10_000},
    )
    # Collected before any update: on SQLite, updating a table while a cursor walks it is unsafe.
    to_fold = [(user_id, email) for user_id, email in rows if not email.isascii()]
    for user_id, email in to_fold:
        if any(unicodedata.category(char).startswith("C") for char in email):
            log.warning("user %s: email %r has characters sign-in now refuses", user_id, email)
        folded = fold(email)
        if folded == email:
            continue
        holder = bind.scalar(sa.select(users.c.id).where(users.c.email == folded))
        if holder is not None:
            log.warning(
                "user %s: email %r folds to %r, which user %s has; left as it was", user_id, email, folded, holder
            )
            continue
        bind.execute(sa.update(users).where(users.c.id == user_id).values(email=folded))


def downgrade() -> None:
    op.drop_column("users", "session_version")
