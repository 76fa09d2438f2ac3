"""The GraphQL layer: types, resolvers, loaders and permissions over `cms`."""

from __future__ import annotations

import strawberry
from graphql import GraphQLError
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions import AddValidationRules, ParserCache, ValidationCache
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types
from strawberry.types import ExecutionContext

from schema.accounts.mutations import AccountMutation
from schema.accounts.queries import AccountQuery
from schema.articles.mutations import ArticleMutation
from schema.articles.queries import ArticleQuery, RevisionQuery
from schema.authors.mutations import AuthorMutation
from schema.authors.queries import AuthorQuery
from schema.errors import ErrorCodes
from schema.feed.delivery import FeedChangesQuery, FeedSubscription
from schema.feed.mutations import FeedMutation
from schema.feed.queries import FeedQuery
from schema.http_cache import MAX_BATCH
from schema.limits import QueryLimits
from schema.media.mutations import MediaMutation, MediaQuery
from schema.node import NODE_TYPES, NodeQuery
from schema.observability import ObserveOperations
from schema.tags.queries import TagQuery
from schema.videos.mutations import VideoMutation
from schema.videos.queries import VideoQuery
from schema.webhooks import WebhookMutation, WebhookQuery

Query = merge_types(
    "Query",
    (
        NodeQuery,
        AccountQuery,
        ArticleQuery,
        RevisionQuery,
        AuthorQuery,
        FeedQuery,
        VideoQuery,
        TagQuery,
        MediaQuery,
        FeedChangesQuery,
        WebhookQuery,
    ),
)
Subscription = merge_types("Subscription", (FeedSubscription,))
Mutation = merge_types(
    "Mutation",
    (
        AccountMutation,
        AuthorMutation,
        ArticleMutation,
        FeedMutation,
        VideoMutation,
        MediaMutation,
        WebhookMutation,
    ),
)


class Schema(strawberry.Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        """Strawberry logs every error at ERROR; a client's bad input is not ours.
        Unexpected errors are logged, with their traceback, by `ErrorCodes`."""


def build_schema(*, production: bool = False) -> strawberry.Schema:
    """The schema, built once per process. In production, introspection is refused
    and error messages carry no schema suggestions."""
    extra = [lambda: AddValidationRules([NoSchemaIntrospectionCustomRule])] if production else []
    return Schema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        types=list(NODE_TYPES.values()),
        # Parsed and validated documents are kept: a front page sends the same few
        # documents all day, and validation alone was a fifth of a request.
        extensions=[
            ObserveOperations,  # first: it sees the errors as `ErrorCodes` leaves them
            lambda: ErrorCodes(production=production),
            *extra,
            lambda: ParserCache(maxsize=1024),
            lambda: ValidationCache(maxsize=1024),
            QueryLimits,  # after validation: see schema.limits
        ],
        # batches are refused for the public, and capped, before they get here
        config=StrawberryConfig(
            auto_camel_case=True, batching_config={"max_operations": MAX_BATCH}
        ),
    )
