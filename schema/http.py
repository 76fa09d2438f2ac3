"""The GraphQL endpoint: strawberry's ASGI view with our typed context."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL

from cms.accounts.auth import actor_of
from schema.context import Context
from schema.loaders import build_loaders


class GraphQLEndpoint(GraphQL[Context, None]):
    """Builds the per-request `Context` from the resources the lifespan opened
    (`request.state`)."""

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> Context:  # type: ignore[override]
        state = request.state
        now = state.clock.now()
        actor = actor_of(request)
        return Context(
            request=request,
            response=response,
            settings=state.settings,
            actor=actor,
            now=now,
            loaders=build_loaders(actor=actor, now=now),
            cursors=state.cursors,
            media_base_url=state.media_base_url or f"{request.base_url}media/",
            client_ip=request.client.host if request.client else None,
            passwords=state.passwords,
            token_hasher=state.token_hasher,
            throttle=state.throttle,
            previews=state.previews,
        )
