"""``/api/v1/auth`` and ``/api/v1/users``."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from litestar import Controller, Request, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, Parameter
from litestar.status_codes import HTTP_200_OK, HTTP_204_NO_CONTENT

from adapters.http.auth import BEARER_SECURITY, client_address
from adapters.http.openapi import problems
from adapters.http.schemas import (
    Account,
    AccountPage,
    LoginRequest,
    RefreshRequest,
    TokenPairResponse,
    UserCreate,
    UserPublic,
    UserUpdate,
    to_account,
    to_account_page,
    to_public,
    to_token_pair,
    unset_to_none,
)
from airbnb_core.domain.pagination import LIMIT_DEFAULT, LIMIT_MAX
from airbnb_core.domain.users import User
from airbnb_core.services.accounts import Accounts, LogIn, RegisterUser, UpdateProfile

Limit = Annotated[int, Parameter(ge=1, le=LIMIT_MAX, description="Page size")]


class AuthController(Controller):
    path = "/auth"
    tags = ["auth"]

    @post("/register", operation_id="register", sync_to_thread=True, responses=problems(409, body=True))
    def register(
        self, data: JSONBody[UserCreate], accounts: NamedDependency[Accounts], request: Request[Any, Any, Any]
    ) -> Account:
        """Create an account. Emails are unique regardless of case."""
        cmd = RegisterUser(data.name, data.email, data.password, data.is_host, client=client_address(request))
        return to_account(accounts.register(cmd))

    @post(
        "/login", operation_id="login", status_code=HTTP_200_OK, sync_to_thread=True, responses=problems(401, body=True)
    )
    def login(
        self, data: JSONBody[LoginRequest], accounts: NamedDependency[Accounts], request: Request[Any, Any, Any]
    ) -> TokenPairResponse:
        """Exchange email and password for a short-lived access token and a refresh token."""
        pair = accounts.log_in(LogIn(data.email, data.password, client=client_address(request)))
        return to_token_pair(pair)

    @post(
        "/refresh",
        operation_id="refreshToken",
        status_code=HTTP_200_OK,
        sync_to_thread=True,
        responses=problems(401, body=True),
    )
    def refresh(self, data: JSONBody[RefreshRequest], accounts: NamedDependency[Accounts]) -> TokenPairResponse:
        """Rotate a refresh token into a new pair. Reusing a rotated token revokes the whole session."""
        return to_token_pair(accounts.refresh(data.refresh_token))

    @post(
        "/logout",
        operation_id="logout",
        status_code=HTTP_204_NO_CONTENT,
        security=BEARER_SECURITY,
        sync_to_thread=True,
        responses=problems(401, body=True),
    )
    def logout(
        self, data: JSONBody[RefreshRequest], accounts: NamedDependency[Accounts], current_user: NamedDependency[User]
    ) -> None:
        """End the session of this refresh token."""
        accounts.log_out(current_user, data.refresh_token)


class UserController(Controller):
    path = "/users"
    tags = ["users"]

    @get("/me", operation_id="getMe", security=BEARER_SECURITY, sync_to_thread=False, responses=problems(401))
    def me(self, current_user: NamedDependency[User]) -> Account:
        """The caller's own account."""
        return to_account(current_user)

    @patch(
        "/me",
        operation_id="updateMe",
        security=BEARER_SECURITY,
        sync_to_thread=True,
        responses=problems(401, 409, body=True),
    )
    def update_me(
        self, data: JSONBody[UserUpdate], accounts: NamedDependency[Accounts], current_user: NamedDependency[User]
    ) -> Account:
        """Change your name, your password (with ``current_password``) or become a host."""
        cmd = UpdateProfile(
            name=unset_to_none(data.name),
            password=unset_to_none(data.password),
            current_password=unset_to_none(data.current_password),
            is_host=unset_to_none(data.is_host),
        )
        return to_account(accounts.update_profile(current_user, cmd))

    @get("/{user_id:uuid}", operation_id="getUser", sync_to_thread=True, responses=problems(404))
    def public_profile(self, user_id: FromPath[uuid.UUID], accounts: NamedDependency[Accounts]) -> UserPublic:
        """Anyone's public profile."""
        return to_public(accounts.public_profile(user_id))

    @get("/", operation_id="listUsers", security=BEARER_SECURITY, sync_to_thread=True, responses=problems(401, 403))
    def list_users(
        self,
        accounts: NamedDependency[Accounts],
        current_user: NamedDependency[User],
        limit: Limit = LIMIT_DEFAULT,
        cursor: Annotated[str | None, Parameter(max_length=500)] = None,
    ) -> AccountPage:
        """Every account, oldest first (administrators only)."""
        return to_account_page(accounts.list_users(current_user, limit=limit, cursor=cursor))

    @post(
        "/{user_id:uuid}/deactivate",
        operation_id="deactivateUser",
        status_code=HTTP_200_OK,
        security=BEARER_SECURITY,
        sync_to_thread=True,
        responses=problems(401, 403, 404, 409),
    )
    def deactivate(
        self, user_id: FromPath[uuid.UUID], accounts: NamedDependency[Accounts], current_user: NamedDependency[User]
    ) -> Account:
        """Deactivate an account: it can no longer log in and its tokens stop working (administrators only)."""
        return to_account(accounts.deactivate(current_user, user_id))
