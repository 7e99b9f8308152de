from __future__ import annotations

from pytest_bdd import given, parsers, scenarios, then, when

from tests.bdd.conftest import World, sign_in, sign_up
from tests.bdd.drivers import Driver

scenarios("accounts.feature")


@given(parsers.parse('{name} has an account with the email "{email}"'))
def has_account(driver: Driver, world: World, name: str, email: str) -> None:
    world.person(name).email = world.email(email)
    sign_up(driver, world, name)


@given("an administrator is signed in")
def admin_signed_in(driver: Driver, world: World) -> None:
    admin = world.person("Admin")
    driver.make_admin("Admin", admin.email, admin.password)
    sign_in(driver, world, "Admin")


@given(parsers.parse("{name} has refreshed her session"))
@when(parsers.parse("{name} refreshes her session"))
def refreshes(driver: Driver, world: World, name: str) -> None:
    person = world.person(name)
    outcome = driver.refresh(person.session.refresh_token)
    assert outcome.error is None, outcome
    person.sessions.append(outcome.value)


@when(parsers.parse('{name} signs up with the email "{email}" and the password "{password}"'))
def signs_up_with(driver: Driver, world: World, name: str, email: str, password: str) -> None:
    person = world.person(name)
    person.last = driver.register(name, world.email(email), password)
    if person.last.error is None:
        person.user_id = person.last.value["id"]


@when(parsers.parse('{name} signs in with the email "{email}" and the password "{password}"'))
def signs_in_with(driver: Driver, world: World, name: str, email: str, password: str) -> None:
    person = world.person(name)
    person.last = driver.log_in(world.email(email), password)
    if person.last.error is None:
        person.sessions.append(person.last.value)


@when(parsers.parse("someone presents {name}'s first refresh token again"))
def presents_old_token(driver: Driver, world: World, name: str) -> None:
    world.person("someone").last = driver.refresh(world.person(name).sessions[0].refresh_token)


@when(parsers.parse("{name} signs out"))
def signs_out(driver: Driver, world: World, name: str) -> None:
    person = world.person(name)
    assert driver.log_out(person.session).error is None


@when(parsers.parse("{name} chooses to become a host"))
def becomes_host(driver: Driver, world: World, name: str) -> None:
    person = world.person(name)
    assert driver.become_host(person.session).error is None


@when(parsers.parse("{viewer} looks at {name}'s public profile"))
def looks_at_profile(driver: Driver, world: World, viewer: str, name: str) -> None:
    world.person(viewer).last = driver.public_profile(world.person(name).user_id)


@when(parsers.parse("the administrator deactivates {name}'s account"))
def admin_deactivates(driver: Driver, world: World, name: str) -> None:
    outcome = driver.deactivate(world.person("Admin").session, world.person(name).user_id)
    assert outcome.error is None, outcome


@when(parsers.parse("{actor} tries to deactivate {name}'s account"))
def tries_to_deactivate(driver: Driver, world: World, actor: str, name: str) -> None:
    world.person(actor).last = driver.deactivate(world.person(actor).session, world.person(name).user_id)


@then(parsers.parse('{name} sees her own profile with the email "{email}"'))
def sees_profile(driver: Driver, world: World, name: str, email: str) -> None:
    outcome = driver.me(world.person(name).session)
    assert outcome.error is None, outcome
    assert outcome.value["email"] == world.email(email)
    assert outcome.value["name"] == name


@then(parsers.parse("{name} can still see her own profile"))
def still_sees_profile(driver: Driver, world: World, name: str) -> None:
    outcome = driver.me(world.person(name).session)
    assert outcome.error is None, outcome
    assert outcome.value["name"] == name


@then(parsers.parse("{name} is not a host"))
def is_not_host(driver: Driver, world: World, name: str) -> None:
    assert driver.me(world.person(name).session).value["is_host"] is False


@then(parsers.parse("{name} is a host"))
def is_host(driver: Driver, world: World, name: str) -> None:
    assert driver.me(world.person(name).session).value["is_host"] is True


@then(parsers.parse("{name} is told the email is already taken"))
def told_email_taken(world: World, name: str) -> None:
    assert world.person(name).last.error == "email_taken"


@then(parsers.parse('{name} is told the "{field}" is invalid'))
def told_invalid(world: World, name: str, field: str) -> None:
    last = world.person(name).last
    assert last.error == "invalid_input"
    assert field in (last.detail or "")


@then(parsers.parse("{first} and {second} are given the same refusal"))
def same_refusal(world: World, first: str, second: str) -> None:
    a, b = world.person(first).last, world.person(second).last
    assert a.error == "invalid_credentials"
    assert (a.error, a.detail) == (b.error, b.detail)


@then(parsers.parse("{name}'s previous refresh token no longer works"))
def previous_refresh_dead(driver: Driver, world: World, name: str) -> None:
    assert driver.refresh(world.person(name).sessions[-2].refresh_token).error is not None


@then("they are refused because the token was already used")
def refused_reuse(world: World) -> None:
    assert world.person("someone").last.error == "refresh_token_reused"


@then(parsers.parse("{name}'s newest refresh token no longer works either"))
@then(parsers.parse("{name}'s refresh token no longer works"))
def refresh_dead(driver: Driver, world: World, name: str) -> None:
    outcome = driver.refresh(world.person(name).session.refresh_token)
    assert outcome.error in ("invalid_refresh_token", "refresh_token_reused"), outcome


@then(parsers.parse("{name} can no longer sign in"))
def cannot_sign_in(driver: Driver, world: World, name: str) -> None:
    person = world.person(name)
    assert driver.log_in(person.email, person.password).error == "invalid_credentials"


@then(parsers.parse("{name}'s access token no longer works"))
def access_dead(driver: Driver, world: World, name: str) -> None:
    outcome = driver.me(world.person(name).session)
    assert outcome.error in ("invalid_token", "token_revoked"), outcome


@then(parsers.parse("{viewer} sees {name}'s name but not her email address"))
def sees_public_profile(world: World, viewer: str, name: str) -> None:
    profile = world.person(viewer).last.value
    assert profile["name"] == name
    assert "email" not in profile
