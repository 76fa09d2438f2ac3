"""GraphQL types of accounts: users, API tokens, login results."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import strawberry
from strawberry import relay

from cms.accounts import service
from cms.accounts.actor import Scope
from cms.accounts.models import ApiToken, Role, User
from cms.errors import Forbidden
from schema.authors.types import AuthorType
from schema.context import Info

RoleEnum = strawberry.enum(Role, name="Role", description="What an editor account may do.")
ScopeEnum = strawberry.enum(
    Scope, name="Scope", description="A right an API token carries; narrows the owner's role."
)


@strawberry.type(name="ApiToken", description="A personal access token (never its secret).")
class ApiTokenType(relay.Node):
    id: relay.NodeID[int]
    name: str = strawberry.field(description="What the token is for.")
    prefix: str = strawberry.field(description="The token's first characters, to recognise it.")
    scopes: list[ScopeEnum] = strawberry.field(description="What it may do.")  # type: ignore[valid-type]
    created_at: datetime = strawberry.field(description="When it was made.")
    expires_at: datetime | None = strawberry.field(description="When it stops working.")
    last_used_at: datetime | None = strawberry.field(
        description="Last use, to the minute (writes are coalesced)."
    )
    revoked: bool = strawberry.field(description="Revoked tokens never work again.")

    @classmethod
    def from_row(cls, row: ApiToken) -> ApiTokenType:
        return cls(
            id=row.id,
            name=row.name,
            prefix=row.prefix,
            scopes=[Scope(s) for s in row.scopes],
            created_at=row.created_at,
            expires_at=row.expires_at,
            last_used_at=row.last_used_at,
            revoked=row.revoked_at is not None,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[ApiTokenType | None]:
        actor = info.context.actor
        result: list[ApiTokenType | None] = []
        for node_id in node_ids:
            row = await ApiToken.filter(id=int(node_id)).first()
            try:
                visible = (
                    row is not None
                    and (
                        await service.get_user(actor=actor, user_id=row.user_id)  # type: ignore[attr-defined]
                    )
                    is not None
                )
            except Forbidden:
                visible = False
            result.append(cls.from_row(row) if visible and row is not None else None)
        return result


@strawberry.type(name="User", description="An editor account.")
class UserType(relay.Node):
    id: relay.NodeID[int]
    email: str = strawberry.field(description="Login email, lower case.")
    name: str = strawberry.field(description="Display name.")
    role: RoleEnum = strawberry.field(description="What the account may do.")  # type: ignore[valid-type]
    active: bool = strawberry.field(description="Deactivated accounts cannot log in.")
    totp_enabled: bool = strawberry.field(description="Whether login needs a TOTP code.")
    created_at: datetime = strawberry.field(description="When the account was made.")
    last_login_at: datetime | None = strawberry.field(description="Last successful login.")

    @classmethod
    def from_row(cls, row: User) -> UserType:
        return cls(
            id=row.id,
            email=row.email,
            name=row.name,
            role=row.role,
            active=row.active,
            totp_enabled=row.totp_enabled,
            created_at=row.created_at,
            last_login_at=row.last_login_at,
        )

    @strawberry.field(description="The byline this account writes under.")
    async def author(self, info: Info) -> AuthorType | None:
        row = await info.context.loaders.author_by_user_id.load(self.id)
        return AuthorType.from_row(row) if row else None

    @strawberry.field(description="The account's API tokens, newest first (never their secrets).")
    async def api_tokens(self, info: Info) -> list[ApiTokenType]:
        rows = await service.api_tokens_of(actor=info.context.actor, user_id=self.id)
        return [ApiTokenType.from_row(r) for r in rows]

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[UserType | None]:
        result: list[UserType | None] = []
        for node_id in node_ids:
            try:
                row = await service.get_user(actor=info.context.actor, user_id=int(node_id))
            except Forbidden:
                row = None
            result.append(cls.from_row(row) if row else None)
        return result


@strawberry.type(description="A new session.")
class AuthPayload:
    token: str = strawberry.field(description="Bearer token (cms_sess_…), shown once.")
    expires_at: datetime = strawberry.field(description="When it expires unless used.")
    user: UserType = strawberry.field(description="Who logged in.")


@strawberry.type(description="A new API token: the only time its secret is shown.")
class NewApiToken:
    token: str = strawberry.field(description="Bearer token (cms_pat_…); store it now.")
    api_token: ApiTokenType = strawberry.field(description="Its metadata.")


@strawberry.type(description="A TOTP secret to load into an authenticator app.")
class TotpSetup:
    secret: str = strawberry.field(description="Base32 secret.")
    otpauth_uri: str = strawberry.field(description="otpauth:// URI, for a QR code.")
