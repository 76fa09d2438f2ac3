"""Account mutations: logging in and out, users, API tokens, TOTP."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from cms.accounts import service
from cms.accounts.actor import Scope
from cms.accounts.models import Role
from cms.patch import UNSET, Maybe
from schema.accounts.types import (
    ApiTokenType,
    AuthPayload,
    NewApiToken,
    RoleEnum,
    ScopeEnum,
    TotpSetup,
    UserType,
)
from schema.context import Info
from schema.ids import decode_id_of
from schema.inputs import arg
from schema.permissions import PUBLIC, SIGNED_IN, USERS_ADMIN, allow


def unset_or(value: object) -> object:
    """strawberry's UNSET (left out) as the domain's UNSET."""
    return UNSET if value is strawberry.UNSET else value


@strawberry.input(description="A new editor account.")
class CreateUserInput:
    email: str = strawberry.field(description="Login email (unique).")
    name: str = strawberry.field(description="Display name.")
    role: RoleEnum = strawberry.field(description="What the account may do.")  # type: ignore[valid-type]
    password: str = strawberry.field(description="At least 12 characters.")
    author_id: strawberry.ID | None = strawberry.field(
        default=None, description="The byline this account writes under."
    )


@strawberry.input(description="Changes to an account; fields left out stay as they are.")
class UpdateUserInput:
    name: str | None = strawberry.field(default=strawberry.UNSET, description="Display name.")
    role: RoleEnum | None = strawberry.field(  # type: ignore[valid-type]
        default=strawberry.UNSET, description="New role (never your own)."
    )
    active: bool | None = strawberry.field(
        default=strawberry.UNSET, description="False deactivates the account and ends its sessions."
    )
    author_id: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET, description="The byline to link; null unlinks."
    )


@strawberry.input(description="A new API token for the caller.")
class CreateApiTokenInput:
    name: str = strawberry.field(description="What the token is for.")
    scopes: list[ScopeEnum] = strawberry.field(  # type: ignore[valid-type]
        description="Rights, within the caller's own."
    )
    expires_at: datetime | None = strawberry.field(
        default=None, description="When it stops working (default: in 90 days)."
    )


def _id(value: str, type_name: str, field: str = "id") -> int:
    return decode_id_of(value, type_name, field)


@strawberry.type
class AccountMutation:
    @strawberry.mutation(
        description="A session token for an email and password (and TOTP code when enabled).",
        extensions=allow(PUBLIC),
    )
    async def login(
        self,
        info: Info,
        email: Annotated[str, arg("Login email.")],
        password: Annotated[str, arg("Password.")],
        totp_code: Annotated[
            str | None, strawberry.argument(description="TOTP or recovery code.")
        ] = None,
    ) -> AuthPayload:
        ctx = info.context
        result = await service.login(
            email=email,
            password=password,
            totp_code=totp_code,
            client_ip=ctx.client_ip,
            user_agent=ctx.request.headers.get("user-agent"),
            now=ctx.now,
            passwords=ctx.passwords,
            throttle=ctx.throttle,
            hasher=ctx.token_hasher,
            box=ctx.totp_box,
        )
        return AuthPayload(
            token=result.token, expires_at=result.expires_at, user=UserType.from_row(result.user)
        )

    @strawberry.mutation(
        description="Ends the caller's session (false for an API token).",
        extensions=allow(SIGNED_IN),
    )
    async def logout(self, info: Info) -> bool:
        return await service.logout(actor=info.context.actor)

    @strawberry.mutation(
        description="Sets a new password and ends all of the account's sessions.",
        extensions=allow(SIGNED_IN),
    )
    async def change_password(
        self,
        info: Info,
        current_password: Annotated[str, arg("The password in use now.")],
        new_password: Annotated[str, arg("At least 12 characters.")],
    ) -> bool:
        ctx = info.context
        return await service.change_password(
            actor=ctx.actor,
            current_password=current_password,
            new_password=new_password,
            client_ip=ctx.client_ip,
            now=ctx.now,
            passwords=ctx.passwords,
            throttle=ctx.throttle,
        )

    @strawberry.mutation(
        description="Creates an editor account (ADMIN).", extensions=allow(USERS_ADMIN)
    )
    async def create_user(
        self, info: Info, input: Annotated[CreateUserInput, arg("The account.")]
    ) -> UserType:
        ctx = info.context
        row = await service.create_user(
            actor=ctx.actor,
            email=input.email,
            name=input.name,
            role=Role(input.role),
            password=input.password,
            author_id=_id(input.author_id, "Author", "authorId") if input.author_id else None,
            passwords=ctx.passwords,
        )
        return UserType.from_row(row)

    @strawberry.mutation(
        description="Changes an editor account (ADMIN).", extensions=allow(USERS_ADMIN)
    )
    async def update_user(
        self,
        info: Info,
        id: Annotated[strawberry.ID, arg("The user's ID.")],
        input: Annotated[UpdateUserInput, arg("The changes.")],
    ) -> UserType:
        author_id: Maybe[int | None] = UNSET
        if input.author_id is not strawberry.UNSET:
            author_id = (
                _id(input.author_id, "Author", "authorId") if input.author_id is not None else None
            )
        row = await service.update_user(
            actor=info.context.actor,
            user_id=_id(id, "User"),
            name=unset_or(input.name),  # type: ignore[arg-type]
            role=unset_or(input.role),  # type: ignore[arg-type]
            active=unset_or(input.active),  # type: ignore[arg-type]
            author_id=author_id,
        )
        return UserType.from_row(row)

    @strawberry.mutation(
        description="A new API token for the caller, shown once.", extensions=allow(SIGNED_IN)
    )
    async def create_api_token(
        self, info: Info, input: Annotated[CreateApiTokenInput, arg("The token.")]
    ) -> NewApiToken:
        ctx = info.context
        token, row = await service.create_api_token(
            actor=ctx.actor,
            name=input.name,
            scopes=[Scope(s) for s in input.scopes],
            expires_at=input.expires_at,
            now=ctx.now,
            hasher=ctx.token_hasher,
        )
        return NewApiToken(token=token, api_token=ApiTokenType.from_row(row))

    @strawberry.mutation(
        description="Revokes one of your API tokens (an ADMIN: anyone's).",
        extensions=allow(SIGNED_IN),
    )
    async def revoke_api_token(
        self, info: Info, id: Annotated[strawberry.ID, arg("The token's ID.")]
    ) -> bool:
        ctx = info.context
        return await service.revoke_api_token(
            actor=ctx.actor, token_id=_id(id, "ApiToken"), now=ctx.now
        )

    @strawberry.mutation(
        description="Starts TOTP set-up; confirmTotp turns it on.", extensions=allow(SIGNED_IN)
    )
    async def enable_totp(self, info: Info) -> TotpSetup:
        secret, uri = await service.enable_totp(actor=info.context.actor, box=info.context.totp_box)
        return TotpSetup(secret=secret, otpauth_uri=uri)

    @strawberry.mutation(
        description="Turns TOTP on with a first code; returns single-use recovery codes.",
        extensions=allow(SIGNED_IN),
    )
    async def confirm_totp(
        self, info: Info, code: Annotated[str, arg("A code from the authenticator app.")]
    ) -> list[str]:
        ctx = info.context
        return await service.confirm_totp(
            actor=ctx.actor,
            code=code,
            client_ip=ctx.client_ip,
            now=ctx.now,
            throttle=ctx.throttle,
            hasher=ctx.token_hasher,
            box=ctx.totp_box,
        )

    @strawberry.mutation(
        description="Turns TOTP off, given a current code or a recovery code.",
        extensions=allow(SIGNED_IN),
    )
    async def disable_totp(
        self, info: Info, code: Annotated[str, arg("A TOTP code or a recovery code.")]
    ) -> bool:
        ctx = info.context
        return await service.disable_totp(
            actor=ctx.actor,
            code=code,
            client_ip=ctx.client_ip,
            now=ctx.now,
            throttle=ctx.throttle,
            hasher=ctx.token_hasher,
            box=ctx.totp_box,
        )
