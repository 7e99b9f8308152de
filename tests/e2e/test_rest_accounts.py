"""The accounts REST API over real HTTP, on PostgreSQL and Redis, wired by bootstrap."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from airbnb_core.services.accounts import RegisterUser
from tests.support.stack import LiveServer


@pytest.fixture
def api(live_server: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live_server.url + "/api/v1", timeout=10) as client:
        yield client


def new_email() -> str:
    return f"user-{uuid.uuid4().hex[:12]}@example.com"


def signed_up(api: httpx.Client, **extra: Any) -> tuple[str, dict[str, Any], dict[str, str]]:
    return signed_up_as(api, new_email(), **extra)


def signed_up_as(api: httpx.Client, email: str, **extra: Any) -> tuple[str, dict[str, Any], dict[str, str]]:
    created = api.post("/auth/register", json={"name": "Ana", "email": email, "password": "pass-word-1", **extra})
    assert created.status_code == 201, created.text
    tokens = api.post("/auth/login", json={"email": email, "password": "pass-word-1"}).json()
    return email, tokens, {"Authorization": f"Bearer {tokens['access_token']}"}


def assert_problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["status"] == status and body["code"] == code
    assert {"type", "title", "detail"} <= body.keys()
    return body


def test_register_login_me_refresh_logout_round_trip(api: httpx.Client) -> None:
    email = new_email()
    created = api.post("/auth/register", json={"name": "Ana", "email": email.upper(), "password": "pass-word-1"})
    assert created.status_code == 201
    assert created.json()["email"] == email and "password_hash" not in created.json()

    login = api.post("/auth/login", json={"email": email, "password": "pass-word-1"})
    assert login.status_code == 200
    tokens = login.json()
    assert tokens["token_type"] == "bearer" and tokens["expires_in"] == 900

    me = api.get("/users/me", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert me.status_code == 200 and me.json()["email"] == email

    refreshed = api.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert refreshed.status_code == 200
    new = refreshed.json()
    assert new["refresh_token"] != tokens["refresh_token"]

    logout = api.post(
        "/auth/logout",
        json={"refresh_token": new["refresh_token"]},
        headers={"Authorization": f"Bearer {new['access_token']}"},
    )
    assert logout.status_code == 204
    assert_problem(
        api.post("/auth/refresh", json={"refresh_token": new["refresh_token"]}), 401, "invalid_refresh_token"
    )


def test_reusing_a_rotated_refresh_token_revokes_the_family(api: httpx.Client) -> None:
    _, tokens, _ = signed_up(api)
    newer = api.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]}).json()
    assert_problem(
        api.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]}), 401, "refresh_token_reused"
    )
    assert_problem(
        api.post("/auth/refresh", json={"refresh_token": newer["refresh_token"]}), 401, "invalid_refresh_token"
    )


def test_an_email_variant_is_taken_and_an_invisible_character_is_refused(api: httpx.Client) -> None:
    tag = uuid.uuid4().hex[:12]
    email, _, _ = signed_up_as(api, f"josé-{tag}@example.com")
    fullwidth = "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in email.upper())
    for variant in (fullwidth, f"jose\u0301-{tag}@EXAMPLE.com"):
        taken = api.post("/auth/register", json={"name": "Eve", "email": variant, "password": "pass-word-1"})
        assert_problem(taken, 409, "email_taken")
    assert api.post("/auth/login", json={"email": fullwidth, "password": "pass-word-1"}).status_code == 200

    for invisible in ("\u200b", "\ufeff", "\x00"):
        hidden = f"jos\u00e9{invisible}-{tag}@example.com"
        refused = api.post("/auth/register", json={"name": "Eve", "email": hidden, "password": "pass-word-1"})
        body = assert_problem(refused, 422, "invalid_input")
        assert [e["field"] for e in body["errors"]] == ["email"]
        wrong = api.post("/auth/login", json={"email": email, "password": "not-the-password"})
        login = api.post("/auth/login", json={"email": hidden, "password": "pass-word-1"})
        assert login.status_code == 401 and login.json() == wrong.json()


def test_logout_ends_every_access_token_at_once_and_other_devices_refresh(api: httpx.Client) -> None:
    email, phone, phone_auth = signed_up(api)
    laptop = api.post("/auth/login", json={"email": email, "password": "pass-word-1"}).json()
    laptop_auth = {"Authorization": f"Bearer {laptop['access_token']}"}
    assert api.get("/users/me", headers=laptop_auth).status_code == 200

    logout = api.post("/auth/logout", json={"refresh_token": phone["refresh_token"]}, headers=phone_auth)
    assert logout.status_code == 204

    assert_problem(api.get("/users/me", headers=phone_auth), 401, "token_revoked")
    # The other device's access token ends too; its refresh token gets it a new one.
    assert_problem(api.get("/users/me", headers=laptop_auth), 401, "token_revoked")
    renewed = api.post("/auth/refresh", json={"refresh_token": laptop["refresh_token"]}).json()
    me = api.get("/users/me", headers={"Authorization": f"Bearer {renewed['access_token']}"})
    assert me.status_code == 200 and me.json()["email"] == email


def test_a_password_change_ends_the_access_token_at_once(api: httpx.Client) -> None:
    email, _, auth = signed_up(api)
    changed = api.patch(
        "/users/me", json={"password": "brand-new-pass", "current_password": "pass-word-1"}, headers=auth
    )
    assert changed.status_code == 200
    assert_problem(api.get("/users/me", headers=auth), 401, "token_revoked")
    fresh = api.post("/auth/login", json={"email": email, "password": "brand-new-pass"}).json()
    assert api.get("/users/me", headers={"Authorization": f"Bearer {fresh['access_token']}"}).status_code == 200


def test_reusing_a_refresh_token_ends_the_access_tokens_it_led_to(api: httpx.Client) -> None:
    _, tokens, auth = signed_up(api)
    newer = api.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]}).json()
    newer_auth = {"Authorization": f"Bearer {newer['access_token']}"}
    assert api.get("/users/me", headers=newer_auth).status_code == 200

    api.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]})

    assert_problem(api.get("/users/me", headers=auth), 401, "token_revoked")
    assert_problem(api.get("/users/me", headers=newer_auth), 401, "token_revoked")


def test_wrong_password_and_unknown_email_answer_identically(api: httpx.Client) -> None:
    email, _, _ = signed_up(api)
    wrong = api.post("/auth/login", json={"email": email, "password": "not-the-password"})
    unknown = api.post("/auth/login", json={"email": new_email(), "password": "pass-word-1"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()


def test_missing_or_bad_token_is_401_with_bearer_challenge(api: httpx.Client) -> None:
    missing = api.get("/users/me")
    assert_problem(missing, 401, "unauthenticated")
    assert missing.headers["www-authenticate"] == "Bearer"
    for header in ("Bearer not-a-jwt", "Basic Zm9vOmJhcg==", "Bearer", "Bearer a.b.c"):
        bad = api.get("/users/me", headers={"Authorization": header})
        assert bad.status_code == 401
        assert bad.headers["www-authenticate"].startswith("Bearer")


def test_invalid_input_is_422_with_field_errors_and_changes_nothing(api: httpx.Client) -> None:
    email = new_email()
    body = assert_problem(
        api.post("/auth/register", json={"name": "", "email": email, "password": "short"}), 422, "invalid_input"
    )
    assert {e["field"] for e in body["errors"]} == {"name", "password"}
    missing = assert_problem(api.post("/auth/register", json={"email": email}), 422, "invalid_input")
    assert missing["errors"][0]["field"] in ("name", "password")
    assert api.post("/auth/login", json={"email": email, "password": "short"}).status_code == 401


def test_is_admin_cannot_be_set_through_the_api(api: httpx.Client) -> None:
    email = new_email()
    response = api.post(
        "/auth/register", json={"name": "Eve", "email": email, "password": "pass-word-1", "is_admin": True}
    )
    body = assert_problem(response, 422, "invalid_input")
    assert body["errors"][0]["field"] == "is_admin"
    _, _, auth = signed_up(api)
    assert_problem(api.patch("/users/me", json={"is_admin": True}, headers=auth), 422, "invalid_input")
    assert api.get("/users/me", headers=auth).json()["is_admin"] is False


@pytest.mark.parametrize("body", [b'{"email": ', b"{bad", b"\xff\xfe"])
def test_malformed_json_is_400(api: httpx.Client, body: bytes) -> None:
    response = api.post("/auth/login", content=body, headers={"content-type": "application/json"})
    assert_problem(response, 400, "malformed_request")


@pytest.mark.parametrize(
    "body",
    [
        b"null",
        b"[]",
        b'"x"',
        b"1e999",
        b'{"email": 1, "password": []}',
        b"\xff\xfe",
        b'{"email": "' + b"a" * 5000 + b'"}',
    ],
)
def test_junk_bodies_never_cause_a_server_error(api: httpx.Client, body: bytes) -> None:
    for path in ("/auth/register", "/auth/login", "/auth/refresh"):
        response = api.post(path, content=body, headers={"content-type": "application/json"})
        assert 400 <= response.status_code < 500, (path, body, response.text)


def test_public_profile_never_shows_the_email(api: httpx.Client) -> None:
    _, _, auth = signed_up(api)
    me = api.get("/users/me", headers=auth).json()
    public = api.get(f"/users/{me['id']}")
    assert public.status_code == 200
    assert public.json() == {"id": me["id"], "name": "Ana", "is_host": False, "created_at": me["created_at"]}
    assert_problem(api.get(f"/users/{uuid.uuid4()}"), 404, "not_found")
    assert api.get("/users/not-a-uuid").status_code in (400, 404)


def test_profile_update_and_password_change(api: httpx.Client) -> None:
    email, tokens, auth = signed_up(api)
    updated = api.patch("/users/me", json={"name": "Ana Maria", "is_host": True}, headers=auth)
    assert updated.status_code == 200
    assert (updated.json()["name"], updated.json()["is_host"]) == ("Ana Maria", True)
    assert_problem(api.patch("/users/me", json={"password": "brand-new-pass"}, headers=auth), 422, "invalid_input")
    changed = api.patch(
        "/users/me", json={"password": "brand-new-pass", "current_password": "pass-word-1"}, headers=auth
    )
    assert changed.status_code == 200
    assert api.post("/auth/login", json={"email": email, "password": "pass-word-1"}).status_code == 401
    assert api.post("/auth/login", json={"email": email, "password": "brand-new-pass"}).status_code == 200
    assert api.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]}).status_code == 401


def test_admin_lists_and_deactivates_users(api: httpx.Client, live_server: LiveServer) -> None:
    admin_email = new_email()
    live_server.container.services().accounts.create_admin(RegisterUser("Root", admin_email, "admin-pass-1"))
    admin_tokens = api.post("/auth/login", json={"email": admin_email, "password": "admin-pass-1"}).json()
    admin = {"Authorization": f"Bearer {admin_tokens['access_token']}"}
    victim_email, victim_tokens, victim = signed_up(api)
    victim_id = api.get("/users/me", headers=victim).json()["id"]

    assert_problem(api.get("/users", headers=victim), 403, "forbidden")
    assert_problem(api.post(f"/users/{victim_id}/deactivate", headers=victim), 403, "forbidden")

    seen: list[str] = []
    cursor = None
    while True:
        page = api.get("/users", params={"limit": 2, **({"cursor": cursor} if cursor else {})}, headers=admin)
        assert page.status_code == 200
        seen += [u["email"] for u in page.json()["items"]]
        cursor = page.json()["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) and {admin_email, victim_email} <= set(seen)
    assert_problem(api.get("/users", params={"limit": 0}, headers=admin), 422, "invalid_input")
    assert_problem(api.get("/users", params={"cursor": "%%%"}, headers=admin), 422, "invalid_input")

    deactivated = api.post(f"/users/{victim_id}/deactivate", headers=admin)
    assert deactivated.status_code == 200 and deactivated.json()["is_active"] is False
    assert api.get("/users/me", headers=victim).status_code == 401
    assert api.post("/auth/login", json={"email": victim_email, "password": "pass-word-1"}).status_code == 401
    assert api.post("/auth/refresh", json={"refresh_token": victim_tokens["refresh_token"]}).status_code == 401


def test_health_readiness_and_openapi(live_server: LiveServer) -> None:
    with httpx.Client(base_url=live_server.url, timeout=10) as http:
        assert http.get("/health").json() == {"status": "ok"}
        ready = http.get("/ready")
        assert ready.status_code == 200
        assert ready.json()["checks"] == {"database": "ok", "redis": "ok"}
        schema = http.get("/schema/openapi.json").json()
        assert "/api/v1/auth/login" in schema["paths"]
        assert schema["components"]["securitySchemes"]["BearerToken"]["scheme"] == "bearer"
        assert http.get("/schema/swagger").status_code == 200
