from __future__ import annotations

import uuid

from tests.unit.graphql.support import ATTEMPTS_PER_MINUTE, PASSWORD, GraphQLClient, only_error

ME = "{ me { id name email isHost isAdmin isActive } }"
REFRESH = "mutation($refreshToken: String!) { refreshToken(refreshToken: $refreshToken) { accessToken refreshToken } }"
UPDATE_ME = """
mutation($name: String, $password: String, $currentPassword: String, $isHost: Boolean) {
  updateMe(name: $name, password: $password, currentPassword: $currentPassword, isHost: $isHost) { name isHost }
}"""


def test_registering_returns_the_new_account(gql: GraphQLClient) -> None:
    account = gql.register("Ann@Example.com", name=" Ann ", is_host=True)

    assert uuid.UUID(account["id"])
    assert account["createdAt"].endswith("+00:00")
    assert {k: account[k] for k in ("name", "email", "isHost", "isAdmin", "isActive")} == {
        "name": "Ann",
        "email": "ann@example.com",
        "isHost": True,
        "isAdmin": False,
        "isActive": True,
    }


def test_a_logged_in_member_reads_their_account_with_the_bearer_token(gql: GraphQLClient) -> None:
    account = gql.register()
    pair = gql.login()["data"]["login"]

    assert pair["tokenType"] == "bearer"
    assert pair["expiresIn"] > 0
    assert gql(ME, token=pair["accessToken"])["data"]["me"] == {
        "id": account["id"],
        "name": "Ann",
        "email": "ann@example.com",
        "isHost": False,
        "isAdmin": False,
        "isActive": True,
    }


def test_asking_for_me_without_a_token_is_unauthenticated(gql: GraphQLClient) -> None:
    body = gql(ME)

    assert body["data"] == {"me": None}
    error = only_error(body)
    assert error["path"] == ["me"]
    assert error["extensions"] == {"code": "UNAUTHENTICATED", "reason": "unauthenticated"}


def test_a_forged_token_is_unauthenticated(gql: GraphQLClient) -> None:
    gql.register()

    error = only_error(gql(ME, token="forged.token"))

    assert error["extensions"] == {"code": "UNAUTHENTICATED", "reason": "invalid_token"}


def test_refreshing_rotates_the_pair_and_reusing_the_old_refresh_token_ends_the_login(gql: GraphQLClient) -> None:
    first = gql.session()

    second = gql(REFRESH, refreshToken=first["refreshToken"])["data"]["refreshToken"]
    assert second["refreshToken"] != first["refreshToken"]
    assert gql(ME, token=second["accessToken"])["data"]["me"]["email"] == "ann@example.com"

    reuse = gql(REFRESH, refreshToken=first["refreshToken"])
    assert reuse["data"] == {"refreshToken": None}
    assert only_error(reuse)["extensions"] == {"code": "UNAUTHENTICATED", "reason": "refresh_token_reused"}
    # The reuse looks like a leak, so the token issued after it is revoked as well.
    revoked = only_error(gql(REFRESH, refreshToken=second["refreshToken"]))
    assert revoked["extensions"]["code"] == "UNAUTHENTICATED"


def test_logging_out_ends_the_session(gql: GraphQLClient) -> None:
    pair = gql.session()
    logout = "mutation($refreshToken: String!) { logout(refreshToken: $refreshToken) }"

    assert gql(logout, token=pair["accessToken"], refreshToken=pair["refreshToken"]) == {"data": {"logout": True}}
    assert only_error(gql(REFRESH, refreshToken=pair["refreshToken"]))["extensions"]["code"] == "UNAUTHENTICATED"
    # The access token ends with the session, not up to fifteen minutes later.
    assert only_error(gql(ME, token=pair["accessToken"]))["extensions"] == {
        "code": "UNAUTHENTICATED",
        "reason": "token_revoked",
    }


def test_logging_out_requires_authentication(gql: GraphQLClient) -> None:
    pair = gql.session()

    body = gql("mutation($r: String!) { logout(refreshToken: $r) }", r=pair["refreshToken"])

    assert only_error(body)["extensions"]["code"] == "UNAUTHENTICATED"


def test_a_member_renames_themselves_and_becomes_a_host(gql: GraphQLClient) -> None:
    token = gql.session()["accessToken"]

    body = gql(UPDATE_ME, token=token, name="Annie", isHost=True)

    assert body == {"data": {"updateMe": {"name": "Annie", "isHost": True}}}
    assert gql(ME, token=token)["data"]["me"]["name"] == "Annie"


def test_changing_the_password_needs_the_current_one(gql: GraphQLClient) -> None:
    token = gql.session()["accessToken"]

    missing = only_error(gql(UPDATE_ME, token=token, password="another long one"))
    wrong = only_error(gql(UPDATE_ME, token=token, password="another long one", currentPassword="guess"))
    changed = gql(UPDATE_ME, token=token, password="another long one", currentPassword=PASSWORD)

    assert missing["extensions"]["fields"] == [
        {"field": "currentPassword", "message": "is required to change the password"}
    ]
    assert wrong["extensions"]["fields"] == [{"field": "currentPassword", "message": "is incorrect"}]
    assert wrong["message"] == "currentPassword: is incorrect"
    assert "errors" not in changed
    assert only_error(gql(ME, token=token))["extensions"]["reason"] == "token_revoked"
    fresh = gql.login(password="another long one")
    assert gql(ME, token=fresh["data"]["login"]["accessToken"])["data"]["me"]["email"] == "ann@example.com"


def test_updating_me_requires_authentication(gql: GraphQLClient) -> None:
    assert only_error(gql(UPDATE_ME, name="Mallory"))["extensions"]["code"] == "UNAUTHENTICATED"


def test_a_wrong_password_and_an_unknown_email_fail_identically(gql: GraphQLClient) -> None:
    gql.register()

    wrong_password = gql.login(password="not the password")
    unknown_email = gql.login(email="nobody@example.com")

    assert wrong_password == unknown_email
    assert wrong_password["data"] == {"login": None}
    assert only_error(wrong_password)["extensions"] == {"code": "UNAUTHENTICATED", "reason": "invalid_credentials"}


def test_invalid_registration_reports_every_field(gql: GraphQLClient) -> None:
    body = gql('mutation { register(name: "Ann", email: "not-an-email", password: "short") { id } }')

    error = only_error(body)
    assert error["extensions"] == {
        "code": "BAD_USER_INPUT",
        "reason": "invalid_input",
        "fields": [
            {"field": "email", "message": "must be a valid email address"},
            {"field": "password", "message": "must be 8 to 128 characters"},
        ],
    }


def test_registering_a_taken_email_is_a_conflict(gql: GraphQLClient) -> None:
    gql.register("ann@example.com")

    body = gql(f'mutation {{ register(name: "Ann", email: "ANN@example.com", password: "{PASSWORD}") {{ id }} }}')

    assert only_error(body)["extensions"] == {"code": "CONFLICT", "reason": "email_taken"}


def test_a_public_profile_shows_no_email(gql: GraphQLClient) -> None:
    account = gql.register(is_host=True)

    body = gql("query($id: ID!) { user(id: $id) { id name isHost createdAt } }", id=account["id"])
    asking_for_email = gql("query($id: ID!) { user(id: $id) { email } }", id=account["id"])

    assert body["data"]["user"] == {k: account[k] for k in ("id", "name", "isHost", "createdAt")}
    assert only_error(asking_for_email)["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"


def test_an_unknown_user_is_not_found(gql: GraphQLClient) -> None:
    body = gql("query($id: ID!) { user(id: $id) { id } }", id=str(uuid.uuid4()))

    assert body["data"] == {"user": None}
    assert only_error(body)["extensions"] == {"code": "NOT_FOUND", "reason": "not_found"}


def test_a_malformed_user_id_is_bad_input(gql: GraphQLClient) -> None:
    error = only_error(gql('{ user(id: "42") { id } }'))

    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["fields"] == [{"field": "id", "message": "must be a UUID"}]


def test_sign_in_attempts_are_limited_per_client(gql: GraphQLClient) -> None:
    gql.register()
    for _ in range(ATTEMPTS_PER_MINUTE - 1):
        gql.login(password="not the password")

    error = only_error(gql.login())

    assert error["extensions"]["code"] == "RATE_LIMITED"
    assert error["extensions"]["retryAfterSeconds"] > 0


def test_one_request_may_check_only_one_password(gql: GraphQLClient) -> None:
    gql.register()
    guesses = " ".join(
        f'g{i}: login(email: "ann@example.com", password: "guess number {i}") {{ accessToken }}' for i in range(3)
    )

    body = gql(f"mutation {{ {guesses} }}")

    assert [e["path"] for e in body["errors"]] == [["g0"], ["g1"], ["g2"]]
    assert [e["extensions"]["code"] for e in body["errors"]] == ["UNAUTHENTICATED", "RATE_LIMITED", "RATE_LIMITED"]
