"""The GraphQL schema: one root ``Query`` and ``Mutation`` composed from each capability's fields."""

from __future__ import annotations

import graphene
import graphql

from adapters.graphql.accounts import AccountMutations, AccountQueries
from adapters.graphql.bookings import BookingMutations, BookingQueries
from adapters.graphql.listings import ListingMutations, ListingQueries
from adapters.graphql.payments import PaymentMutations


class Query(AccountQueries, ListingQueries, BookingQueries, graphene.ObjectType):
    pass


class Mutation(AccountMutations, ListingMutations, BookingMutations, PaymentMutations, graphene.ObjectType):
    pass


schema = graphene.Schema(query=Query, mutation=Mutation)


def print_schema() -> str:
    """The schema in SDL, as ``airbnb graphql-schema`` prints it."""
    return graphql.print_schema(schema.graphql_schema)
