"""The GraphQL endpoint: strawberry's ASGI view with our typed context, and the
guards strawberry leaves to us for multipart uploads (a CSRF header, and the size
limit enforced while the body streams in)."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from cross_web import HTTPException
from graphql import GraphQLError
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.types import Message, Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLRequestData
from strawberry.types import ExecutionResult

from cms.accounts.auth import actor_of
from cms.http import error_response
from schema import http_cache
from schema.context import Context
from schema.loaders import build_loaders

log = logging.getLogger("cms.graphql")

# room for the `operations` and `map` parts around the file itself
MULTIPART_OVERHEAD = 1024 * 1024


class _BodyTooLarge(Exception):
    pass


class GraphQLEndpoint(GraphQL[Context, None]):
    """Builds the per-request `Context` from the resources the lifespan opened
    (`request.state`)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("GET", "POST"):
            return await super().__call__(scope, receive, send)
        headers = Headers(scope=scope)
        if scope["method"] == "GET" or not headers.get("content-type", "").lower().startswith(
            "multipart/form-data"
        ):
            return await http_cache.serve(scope, receive, send, self._run)
        response = self._refuse_upload(scope, headers)
        if response is not None:
            return await response(scope, receive, send)
        limit = scope["state"]["settings"].max_upload_bytes + MULTIPART_OVERHEAD
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > limit:
                raise _BodyTooLarge
            return message

        try:
            response = await self._run(scope, counting_receive)
        except _BodyTooLarge:
            response = error_response(413, "PAYLOAD_TOO_LARGE", "the upload is larger than allowed")
        await response(scope, receive, send)

    async def _run(self, scope: Scope, receive: Receive) -> Response:
        """strawberry's handling of one request, as a response to send."""
        request = Request(scope, receive=receive)
        try:
            response: Response = await self.run(request)
        except HTTPException as exc:
            response = PlainTextResponse(exc.reason, status_code=exc.status_code)
        finally:
            # strawberry reads a multipart form but never closes it: its spooled
            # files would linger until garbage collection
            await request.close()
        return response

    async def execute_operation(  # type: ignore[override]
        self,
        request: Request,
        request_adapter: Any,
        request_data: GraphQLRequestData | list[GraphQLRequestData],
        context: Context,
        root_value: None,
        sub_response: Response,
    ) -> Any:
        """strawberry's execution, within the operation timeout: a runaway operation
        is cancelled (its transaction rolls back) and answers `TIMEOUT`."""
        seconds = context.settings.operation_timeout
        deadline = asyncio.timeout(seconds)
        try:
            async with deadline:
                return await super().execute_operation(
                    request, request_adapter, request_data, context, root_value, sub_response
                )
        except TimeoutError:
            if not deadline.expired():
                raise  # somebody else's timeout
        log.warning("operation cancelled after %g s", seconds)
        request.state.metrics.count_error("TIMEOUT")
        timed_out = ExecutionResult(
            data=None,
            errors=[
                GraphQLError(
                    f"the operation did not finish within {seconds:g} s and was cancelled",
                    extensions={"code": "TIMEOUT"},
                )
            ],
        )
        if isinstance(request_data, list):
            return [timed_out] * len(request_data)
        return timed_out

    def _refuse_upload(self, scope: Scope, headers: Headers) -> Response | None:
        """Multipart posts are "simple" requests a browser sends cross-site without a
        preflight: a custom header proves the caller is not a forged form."""
        if (
            headers.get("apollo-require-preflight", "").lower() != "true"
            and headers.get("x-cms-csrf") != "1"
        ):
            return error_response(
                400,
                "BAD_REQUEST",
                "uploads need the header Apollo-Require-Preflight: true or X-CMS-CSRF: 1",
            )
        length = headers.get("content-length")
        limit = scope["state"]["settings"].max_upload_bytes + MULTIPART_OVERHEAD
        if length is not None and length.isdigit() and int(length) > limit:
            return error_response(413, "PAYLOAD_TOO_LARGE", "the upload is larger than allowed")
        return None

    async def get_context(  # type: ignore[override]
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> Context:
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
            storage=state.storage,
            request_base=str(request.base_url),
            client_ip=request.client.host if request.client else None,
            passwords=state.passwords,
            token_hasher=state.token_hasher,
            totp_box=state.totp_box,
            throttle=state.throttle,
            previews=state.previews,
        )
