"""Accounts over GraphQL: profiles, sign-up and sessions.

Resolvers return core objects; each GraphQL type lists exactly the attributes it exposes, so a
public ``User`` can never leak what only the ``Account`` owner may see.
"""

from __future__ import annotations

import graphene

from adapters.graphql.context import context_of, parse_id, require_user
from airbnb_core.domain.users import TokenPair
from airbnb_core.domain.users import User as DomainUser
from airbnb_core.services.accounts import LogIn, RegisterUser, UpdateProfile


class User(graphene.ObjectType):
    """A member's public profile."""

    id = graphene.ID(required=True)
    name = graphene.String(required=True)
    is_host = graphene.Boolean(required=True)
    created_at = graphene.DateTime(required=True)


class Account(User):
    """The signed-in member's own account: the public profile plus what only its owner may see."""

    email = graphene.String(required=True)
    is_admin = graphene.Boolean(required=True)
    is_active = graphene.Boolean(required=True)


class AuthPayload(graphene.ObjectType):
    """A session: send the access token as `Authorization: Bearer`, trade the refresh token for a new pair."""

    access_token = graphene.String(required=True)
    refresh_token = graphene.String(required=True, description="Works once; `refreshToken` rotates it.")
    token_type = graphene.String(required=True)
    expires_in = graphene.Int(required=True, description="Seconds until the access token expires.")


class AccountQueries(graphene.ObjectType):
    me = graphene.Field(Account, description="The signed-in member's account. Requires authentication.")
    user = graphene.Field(User, id=graphene.ID(required=True), description="An active member's public profile.")

    @staticmethod
    def resolve_me(root: None, info: graphene.ResolveInfo) -> DomainUser:
        return require_user(info)

    @staticmethod
    def resolve_user(root: None, info: graphene.ResolveInfo, id: str) -> DomainUser:
        return context_of(info).services.accounts.public_profile(parse_id(id, "id"))


class Register(graphene.Mutation):
    """Create an account, then sign in with `login`."""

    class Arguments:
        name = graphene.String(required=True)
        email = graphene.String(required=True)
        password = graphene.String(required=True)
        is_host = graphene.Boolean(required=True, default_value=False)

    Output = Account

    @staticmethod
    def mutate(
        root: None, info: graphene.ResolveInfo, name: str, email: str, password: str, is_host: bool
    ) -> DomainUser:
        context = context_of(info)
        context.spend_password_check()
        return context.services.accounts.register(RegisterUser(name, email, password, is_host, client=context.client))


class Login(graphene.Mutation):
    """Exchange an email and password for a session. A wrong email and a wrong password fail alike."""

    class Arguments:
        email = graphene.String(required=True)
        password = graphene.String(required=True)

    Output = AuthPayload

    @staticmethod
    def mutate(root: None, info: graphene.ResolveInfo, email: str, password: str) -> TokenPair:
        context = context_of(info)
        context.spend_password_check()
        return context.services.accounts.log_in(LogIn(email, password, client=context.client))


class RefreshToken(graphene.Mutation):
    """Trade a refresh token for a new pair. Reusing a traded token ends every session of its login."""

    class Arguments:
        refresh_token = graphene.String(required=True)

    Output = AuthPayload

    @staticmethod
    def mutate(root: None, info: graphene.ResolveInfo, refresh_token: str) -> TokenPair:
        return context_of(info).services.accounts.refresh(refresh_token)


class Logout(graphene.Mutation):
    """End the session the refresh token belongs to. Requires authentication."""

    class Arguments:
        refresh_token = graphene.String(required=True)

    Output = graphene.Boolean

    @staticmethod
    def mutate(root: None, info: graphene.ResolveInfo, refresh_token: str) -> bool:
        context_of(info).services.accounts.log_out(require_user(info), refresh_token)
        return True


class UpdateMe(graphene.Mutation):
    """Change the signed-in member's profile; omitted or null arguments stay as they are.
    A new password needs `currentPassword` and ends every other session. Requires authentication.
    """

    class Arguments:
        name = graphene.String()
        password = graphene.String()
        current_password = graphene.String()
        is_host = graphene.Boolean()

    Output = Account

    @staticmethod
    def mutate(
        root: None,
        info: graphene.ResolveInfo,
        name: str | None = None,
        password: str | None = None,
        current_password: str | None = None,
        is_host: bool | None = None,
    ) -> DomainUser:
        context = context_of(info)
        user = require_user(info)
        if password is not None:
            context.spend_password_check()
        return context.services.accounts.update_profile(user, UpdateProfile(name, password, current_password, is_host))


class AccountMutations(graphene.ObjectType):
    register = Register.Field()
    login = Login.Field()
    refresh_token = RefreshToken.Field()
    logout = Logout.Field()
    update_me = UpdateMe.Field()
