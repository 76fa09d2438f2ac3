"""Authentication, once per request: a Starlette backend turns the bearer token
into an `Actor`. No header means the public reader; a bad header is refused with
UNAUTHENTICATED, never silently downgraded to the public."""

from __future__ import annotations

from starlette.authentication import (
    AuthCredentials,
    AuthenticationBackend,
    AuthenticationError,
    BaseUser,
)
from starlette.requests import HTTPConnection
from starlette.responses import JSONResponse

from cms.accounts.actor import PUBLIC, Actor
from cms.accounts.service import authenticate_token
from cms.errors import ServiceUnavailable, Unauthenticated
from cms.http import error_response


class ActorUser(BaseUser):
    """Starlette's view of an authenticated caller."""

    def __init__(self, actor: Actor) -> None:
        self.actor = actor

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def display_name(self) -> str:
        return f"user:{self.actor.user_id}"


def actor_of(conn: HTTPConnection) -> Actor:
    """The caller of a request that went through `BearerTokenBackend`."""
    user = conn.scope.get("user")
    return user.actor if isinstance(user, ActorUser) else PUBLIC


# what a client is told to wait before retrying while the database is down
RETRY_AFTER_S = 5


class CannotAuthenticate(AuthenticationError):
    """The token could not be checked at all (the database is down). Starlette
    hands only `AuthenticationError` to `on_error`, hence the base class; the
    answer is a 503, never a 401, which would tell a client its token is bad."""


class BearerTokenBackend(AuthenticationBackend):
    async def authenticate(self, conn: HTTPConnection) -> tuple[AuthCredentials, BaseUser] | None:
        header = conn.headers.get("authorization")
        if header is None:
            return None
        scheme, _, token = header.strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise AuthenticationError("malformed Authorization header; use: Bearer <token>")
        state = conn.state
        try:
            actor = await authenticate_token(
                token.strip(), now=state.clock.now(), hasher=state.token_hasher
            )
        except Unauthenticated as exc:
            raise AuthenticationError(exc.message) from exc
        except ServiceUnavailable as exc:
            raise CannotAuthenticate(exc.message) from exc
        return AuthCredentials(sorted(s.value for s in actor.scopes)), ActorUser(actor)


def unauthenticated_response(conn: HTTPConnection, exc: AuthenticationError) -> JSONResponse:
    """A GraphQL-shaped 401, so clients read it like any other error (a 503 when the
    token could not be checked)."""
    if isinstance(exc, CannotAuthenticate):
        return error_response(
            503, ServiceUnavailable.code, str(exc), headers={"Retry-After": str(RETRY_AFTER_S)}
        )
    return error_response(
        401,
        "UNAUTHENTICATED",
        str(exc),
        headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
    )
