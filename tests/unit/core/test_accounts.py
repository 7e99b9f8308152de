import sys
import unicodedata
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from airbnb_core.domain.bookings import BookingTerms
from airbnb_core.domain.errors import (
    Conflict,
    EmailTaken,
    Forbidden,
    InvalidCredentials,
    InvalidInput,
    NotFound,
    RateLimited,
    Unauthenticated,
)
from airbnb_core.domain.users import User, normalize_email
from airbnb_core.inmemory import (
    FixedClock,
    HmacTokenService,
    InMemoryPaymentGateway,
    InMemoryRateLimiter,
    InMemoryStore,
    InMemoryUnitOfWork,
    ScryptPasswordHasher,
)
from airbnb_core.services import build_services
from airbnb_core.services.accounts import Accounts, LogIn, RegisterUser, UpdateProfile

START = datetime(2030, 1, 1, tzinfo=UTC)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture
def accounts(clock: FixedClock) -> Accounts:
    return accounts_on(InMemoryStore(), clock)


def accounts_on(
    store: InMemoryStore, clock: FixedClock, unit_of_work: type[InMemoryUnitOfWork] = InMemoryUnitOfWork
) -> Accounts:
    return build_services(
        lambda: unit_of_work(store),
        hasher=ScryptPasswordHasher(n=2**8),
        tokens=HmacTokenService(b"k" * 32, ttl_seconds=900),
        clock=clock,
        limiter=InMemoryRateLimiter(clock),
        attempts_per_minute=50,
        terms=BookingTerms(),
        gateway=InMemoryPaymentGateway(),
    ).accounts


def register(accounts: Accounts, email: str = "ann@example.com", **kw: object) -> None:
    register_user(accounts, email, **kw)


def register_user(accounts: Accounts, email: str, **kw: object) -> User:
    return accounts.register(RegisterUser(kw.pop("name", "Ann"), email, "correct horse", **kw))  # type: ignore[arg-type]


def test_registration_normalizes_email_and_refuses_duplicates_in_any_case(accounts: Accounts) -> None:
    user = accounts.register(RegisterUser("  Ann ", "Ann@Example.COM", "correct horse"))
    assert (user.name, user.email, user.is_host, user.is_admin) == ("Ann", "ann@example.com", False, False)
    with pytest.raises(EmailTaken):
        register(accounts, "ANN@example.com")


@pytest.mark.parametrize(
    ("first", "variant"),
    [
        ("ann@example.com", "ＡＮＮ@ｅｘａｍｐｌｅ．ｃｏｍ"),  # fullwidth
        ("josé@example.com", "jose\u0301@example.com"),  # e + combining acute accent
        ("ﬁona@example.com", "FIONA@example.com"),  # ligature
        ("straße@example.com", "STRASSE@example.com"),  # casefold: ß is ss
        ("σοφία@example.com", "ΣΟΦΊΑ@example.com"),  # Greek, with its final sigma
        ("ann@example.com", " ann@example.com\n"),  # surrounding whitespace
    ],
)
def test_an_email_variant_is_the_same_account(accounts: Accounts, first: str, variant: str) -> None:
    register(accounts, first)
    with pytest.raises(EmailTaken):
        register(accounts, variant)
    assert accounts.log_in(LogIn(variant, "correct horse")).access_token


@pytest.mark.parametrize(
    "invisible",
    ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad", "\u202e", "\u034f", "\ufe0f", "\x00", "\x07", "\x1f"],
)
def test_an_email_with_an_invisible_or_control_character_is_refused(accounts: Accounts, invisible: str) -> None:
    register(accounts)
    with pytest.raises(InvalidInput) as err:
        register(accounts, f"an{invisible}n@example.com")
    assert [(e.field, e.message) for e in err.value.errors] == [
        ("email", "must not contain invisible or control characters")
    ]


def test_an_impossible_email_fails_log_in_like_a_wrong_password_without_a_lookup(clock: FixedClock) -> None:
    looked_up: list[str] = []

    class RecordingUnitOfWork(InMemoryUnitOfWork):
        def __enter__(self) -> InMemoryUnitOfWork:
            uow = super().__enter__()
            find = uow.users.get_by_email

            def recording(email: str) -> object:
                looked_up.append(email)
                return find(email)

            uow.users.get_by_email = recording  # type: ignore[method-assign,assignment]
            return uow

    accounts = accounts_on(InMemoryStore(), clock, RecordingUnitOfWork)
    register(accounts)
    looked_up.clear()
    with pytest.raises(InvalidCredentials) as wrong:
        accounts.log_in(LogIn("ann@example.com", "wrong password"))
    for impossible in ("ann\x00@example.com", "ann\u200b@example.com", "not-an-email", "x" * 5000):
        with pytest.raises(InvalidCredentials) as refused:
            accounts.log_in(LogIn(impossible, "correct horse"))
        assert (refused.value.code, refused.value.detail) == (wrong.value.code, wrong.value.detail)
    assert looked_up == ["ann@example.com"]


@pytest.mark.parametrize(
    "look_alike",
    [
        "p\u0430ypal@example.com",  # Cyrillic а among Latin letters in the local part
        "paypal@ex\u0430mple.com",  # ... in a domain label
        "paypal@exam\u03c1le.com",  # Greek ρ
    ],
)
def test_an_email_mixing_latin_greek_or_cyrillic_letters_in_one_part_is_refused(
    accounts: Accounts, look_alike: str
) -> None:
    with pytest.raises(InvalidInput) as err:
        register(accounts, look_alike)
    assert err.value.errors[0].field == "email"
    assert "mix" in err.value.errors[0].message


def test_an_email_wholly_in_another_script_is_another_address(accounts: Accounts) -> None:
    register(accounts, "ace@example.com")
    # Cyrillic "асе" looks like Latin "ace" but is a real, different mailbox: only mixes are refused.
    assert register_user(accounts, "\u0430\u0441\u0435@example.com").email == "асе@example.com"
    assert register_user(accounts, "Анна@Пример.рф").email == "анна@пример.рф"


def test_the_normal_form_is_stable_and_lower_case_for_every_character() -> None:
    """Storing normalize_email(x) and later normalizing it again must find the same row, and the
    database's check (email = lower(email)) must accept it."""
    unstable = []
    for code_point in range(sys.maxunicode + 1):
        char = chr(code_point)
        if unicodedata.category(char).startswith("C"):
            continue  # refused before normalizing
        folded = normalize_email(char)
        if normalize_email(folded) != folded or folded.lower() != folded:
            unstable.append(hex(code_point))
    assert unstable == []


def test_registration_reports_every_invalid_field(accounts: Accounts) -> None:
    with pytest.raises(InvalidInput) as err:
        accounts.register(RegisterUser("", "not-an-email", "short"))
    assert {e.field for e in err.value.errors} == {"name", "email", "password"}


def test_wrong_password_and_unknown_email_fail_identically(accounts: Accounts) -> None:
    register(accounts)
    with pytest.raises(InvalidCredentials) as wrong:
        accounts.log_in(LogIn("ann@example.com", "wrong password"))
    with pytest.raises(InvalidCredentials) as unknown:
        accounts.log_in(LogIn("nobody@example.com", "correct horse"))
    assert (wrong.value.code, wrong.value.detail) == (unknown.value.code, unknown.value.detail)


def test_access_token_speaks_for_the_user_until_it_expires(accounts: Accounts, clock: FixedClock) -> None:
    register(accounts)
    pair = accounts.log_in(LogIn("ANN@example.com", "correct horse"))
    assert accounts.authenticate(pair.access_token).email == "ann@example.com"
    clock.advance(timedelta(seconds=pair.expires_in))
    with pytest.raises(Unauthenticated):
        accounts.authenticate(pair.access_token)


def test_refresh_rotates_and_reuse_revokes_the_whole_family(accounts: Accounts) -> None:
    register(accounts)
    first = accounts.log_in(LogIn("ann@example.com", "correct horse"))
    second = accounts.refresh(first.refresh_token)
    assert second.refresh_token != first.refresh_token
    with pytest.raises(Unauthenticated) as reused:
        accounts.refresh(first.refresh_token)
    assert reused.value.code == "refresh_token_reused"
    # The thief's reuse also kills the legitimate holder's newer token.
    with pytest.raises(Unauthenticated):
        accounts.refresh(second.refresh_token)


def test_other_logins_survive_a_revoked_family(accounts: Accounts) -> None:
    register(accounts)
    phone = accounts.log_in(LogIn("ann@example.com", "correct horse"))
    laptop = accounts.log_in(LogIn("ann@example.com", "correct horse"))
    accounts.refresh(phone.refresh_token)
    with pytest.raises(Unauthenticated):
        accounts.refresh(phone.refresh_token)
    assert accounts.refresh(laptop.refresh_token).access_token


def test_expired_refresh_token_is_refused(accounts: Accounts, clock: FixedClock) -> None:
    register(accounts)
    pair = accounts.log_in(LogIn("ann@example.com", "correct horse"))
    clock.advance(timedelta(days=31))
    with pytest.raises(Unauthenticated):
        accounts.refresh(pair.refresh_token)


def test_logout_ends_the_session_but_not_someone_elses(accounts: Accounts) -> None:
    register(accounts)
    register(accounts, "bob@example.com", name="Bob")
    ann = accounts.log_in(LogIn("ann@example.com", "correct horse"))
    bob = accounts.log_in(LogIn("bob@example.com", "correct horse"))
    ann_user = accounts.authenticate(ann.access_token)
    accounts.log_out(ann_user, bob.refresh_token)
    assert accounts.refresh(bob.refresh_token)
    accounts.log_out(ann_user, ann.refresh_token)
    with pytest.raises(Unauthenticated):
        accounts.refresh(ann.refresh_token)
    assert accounts.authenticate(bob.access_token).email == "bob@example.com"


def revoked(accounts: Accounts, access_token: str) -> bool:
    try:
        accounts.authenticate(access_token)
    except Unauthenticated as exc:
        assert exc.code == "token_revoked"
        return True
    return False


def test_logout_ends_every_access_token_at_once_and_other_devices_refresh(accounts: Accounts) -> None:
    register(accounts)
    phone = accounts.log_in(LogIn("ann@example.com", "correct horse"))
    laptop = accounts.log_in(LogIn("ann@example.com", "correct horse"))

    accounts.log_out(accounts.authenticate(phone.access_token), phone.refresh_token)

    assert revoked(accounts, phone.access_token)
    # Access tokens do not say which login they belong to, so the laptop's ends too ...
    assert revoked(accounts, laptop.access_token)
    # ... but its refresh token still works, and the access token it gets is good.
    renewed = accounts.refresh(laptop.refresh_token)
    assert accounts.authenticate(renewed.access_token).email == "ann@example.com"
    with pytest.raises(Unauthenticated):
        accounts.refresh(phone.refresh_token)


def test_reusing_a_refresh_token_ends_every_access_token_too(accounts: Accounts) -> None:
    register(accounts)
    stolen = accounts.log_in(LogIn("ann@example.com", "correct horse"))
    laptop = accounts.log_in(LogIn("ann@example.com", "correct horse"))
    newer = accounts.refresh(stolen.refresh_token)
    assert accounts.authenticate(newer.access_token)

    with pytest.raises(Unauthenticated):
        accounts.refresh(stolen.refresh_token)

    assert revoked(accounts, stolen.access_token)
    assert revoked(accounts, newer.access_token)
    assert revoked(accounts, laptop.access_token)
    assert accounts.authenticate(accounts.refresh(laptop.refresh_token).access_token)


def test_a_password_change_ends_every_access_token_including_the_callers(accounts: Accounts) -> None:
    register(accounts)
    pair = accounts.log_in(LogIn("ann@example.com", "correct horse"))
    ann = accounts.authenticate(pair.access_token)

    accounts.update_profile(ann, UpdateProfile(password="new password!", current_password="correct horse"))

    assert revoked(accounts, pair.access_token)
    fresh = accounts.log_in(LogIn("ann@example.com", "new password!"))
    assert accounts.authenticate(fresh.access_token).id == ann.id


def test_a_profile_change_without_a_new_password_keeps_the_tokens(accounts: Accounts) -> None:
    register(accounts)
    pair = accounts.log_in(LogIn("ann@example.com", "correct horse"))
    accounts.update_profile(accounts.authenticate(pair.access_token), UpdateProfile(name="Annie", is_host=True))
    assert accounts.authenticate(pair.access_token).name == "Annie"
    assert accounts.refresh(pair.refresh_token)


def test_deactivated_user_cannot_log_in_refresh_or_use_a_token(accounts: Accounts) -> None:
    admin, _ = accounts.create_admin(RegisterUser("Root", "root@example.com", "correct horse"))
    register(accounts)
    pair = accounts.log_in(LogIn("ann@example.com", "correct horse"))
    ann = accounts.authenticate(pair.access_token)
    assert not accounts.deactivate(admin, ann.id).is_active
    with pytest.raises(Unauthenticated):
        accounts.authenticate(pair.access_token)
    with pytest.raises(Unauthenticated):
        accounts.refresh(pair.refresh_token)
    with pytest.raises(InvalidCredentials):
        accounts.log_in(LogIn("ann@example.com", "correct horse"))
    with pytest.raises(NotFound):
        accounts.public_profile(ann.id)


def test_only_admins_list_and_deactivate_and_never_themselves(accounts: Accounts) -> None:
    admin, created = accounts.create_admin(RegisterUser("Root", "root@example.com", "correct horse"))
    assert created and admin.is_admin
    register(accounts)
    ann = accounts.authenticate(accounts.log_in(LogIn("ann@example.com", "correct horse")).access_token)
    with pytest.raises(Forbidden):
        accounts.list_users(ann, limit=10)
    with pytest.raises(Forbidden):
        accounts.deactivate(ann, admin.id)
    with pytest.raises(Conflict):
        accounts.deactivate(admin, admin.id)
    with pytest.raises(NotFound):
        accounts.deactivate(admin, uuid.uuid4())


def test_create_admin_promotes_an_existing_account(accounts: Accounts) -> None:
    register(accounts)
    user, created = accounts.create_admin(RegisterUser("Ignored", "ANN@example.com", ""))
    assert not created and user.is_admin and user.name == "Ann"


def test_user_list_pages_through_everyone_once(accounts: Accounts, clock: FixedClock) -> None:
    admin, _ = accounts.create_admin(RegisterUser("Root", "root@example.com", "correct horse"))
    for i in range(6):
        clock.advance(timedelta(seconds=1))
        register(accounts, f"user{i}@example.com")
    seen, cursor = [], None
    while True:
        page = accounts.list_users(admin, limit=3, cursor=cursor)
        seen += [u.email for u in page.items]
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert seen == ["root@example.com"] + [f"user{i}@example.com" for i in range(6)]
    with pytest.raises(InvalidInput):
        accounts.list_users(admin, limit=3, cursor="garbage!")
    with pytest.raises(InvalidInput):
        accounts.list_users(admin, limit=101)


def test_profile_update_changes_name_password_and_hosting(accounts: Accounts) -> None:
    register(accounts)
    other = accounts.log_in(LogIn("ann@example.com", "correct horse"))
    ann = accounts.authenticate(other.access_token)
    with pytest.raises(InvalidInput) as err:
        accounts.update_profile(ann, UpdateProfile(password="new password!"))
    assert err.value.errors[0].field == "current_password"
    with pytest.raises(InvalidInput):
        accounts.update_profile(ann, UpdateProfile(password="new password!", current_password="nope"))
    updated = accounts.update_profile(
        ann, UpdateProfile(name="Annie", password="new password!", current_password="correct horse", is_host=True)
    )
    assert (updated.name, updated.is_host) == ("Annie", True)
    with pytest.raises(Unauthenticated):
        accounts.refresh(other.refresh_token)  # a new password ends other sessions
    assert accounts.log_in(LogIn("ann@example.com", "new password!"))


def test_login_attempts_are_limited_per_client(accounts: Accounts, clock: FixedClock) -> None:
    for _ in range(50):
        with pytest.raises(InvalidCredentials):
            accounts.log_in(LogIn("x@example.com", "whatever1", client="10.0.0.1"))
    with pytest.raises(RateLimited) as limited:
        accounts.log_in(LogIn("x@example.com", "whatever1", client="10.0.0.1"))
    assert 0 < limited.value.retry_after_seconds <= 60
    with pytest.raises(InvalidCredentials):
        accounts.log_in(LogIn("x@example.com", "whatever1", client="10.0.0.2"))
    clock.advance(timedelta(seconds=60))
    with pytest.raises(InvalidCredentials):
        accounts.log_in(LogIn("x@example.com", "whatever1", client="10.0.0.1"))
