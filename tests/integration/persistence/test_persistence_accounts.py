from __future__ import annotations

import pytest
import sqlalchemy as sa
from persistence_store import NOW

from adapters.persistence import SqlAlchemyUnitOfWork, make_session_factory
from airbnb_core.domain.errors import EmailTaken, InvalidCredentials, Unauthenticated
from airbnb_core.inmemory import FixedClock
from airbnb_core.services.accounts import Accounts, LogIn, RegisterUser, UpdateProfile
from tests.support.services import services_on


@pytest.fixture
def accounts(engine: sa.Engine) -> Accounts:
    sessions = make_session_factory(engine)
    return services_on(lambda: SqlAlchemyUnitOfWork(sessions), clock=FixedClock(NOW)).accounts


def test_a_user_registers_logs_in_and_refreshes_the_session(accounts: Accounts) -> None:
    user = accounts.register(RegisterUser("Grace Hopper", "Grace@Example.com", "correct horse"))
    assert user.email == "grace@example.com"
    with pytest.raises(EmailTaken):
        accounts.register(RegisterUser("Impostor", "GRACE@example.com", "another password"))
    with pytest.raises(InvalidCredentials):
        accounts.log_in(LogIn("grace@example.com", "wrong password"))

    pair = accounts.log_in(LogIn("grace@example.com", "correct horse"))
    assert accounts.authenticate(pair.access_token) == user
    rotated = accounts.refresh(pair.refresh_token)
    assert rotated.refresh_token != pair.refresh_token
    assert accounts.refresh(rotated.refresh_token).refresh_token


def test_reusing_a_rotated_refresh_token_revokes_the_whole_family(accounts: Accounts) -> None:
    accounts.register(RegisterUser("Grace Hopper", "grace@example.com", "correct horse"))
    stolen = accounts.log_in(LogIn("grace@example.com", "correct horse"))
    other_device = accounts.log_in(LogIn("grace@example.com", "correct horse"))
    current = accounts.refresh(stolen.refresh_token)

    with pytest.raises(Unauthenticated) as reuse:
        accounts.refresh(stolen.refresh_token)
    assert reuse.value.code == "refresh_token_reused"
    with pytest.raises(Unauthenticated):
        accounts.refresh(current.refresh_token)
    assert accounts.refresh(other_device.refresh_token).refresh_token


def test_a_password_change_ends_every_session(accounts: Accounts) -> None:
    user = accounts.register(RegisterUser("Grace Hopper", "grace@example.com", "correct horse"))
    pair = accounts.log_in(LogIn("grace@example.com", "correct horse"))
    accounts.update_profile(user, UpdateProfile(password="battery staple", current_password="correct horse"))
    with pytest.raises(Unauthenticated):
        accounts.refresh(pair.refresh_token)
    assert accounts.log_in(LogIn("grace@example.com", "battery staple")).access_token
