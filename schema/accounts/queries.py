"""Account queries: `me` and `users`."""

from __future__ import annotations

import strawberry

from cms.accounts import service
from cms.errors import BadUserInput
from cms.pagination import check_first
from schema.accounts.types import UserType
from schema.articles.queries import AFTER, FIRST
from schema.connections import Connection, connection_of
from schema.context import Info
from schema.permissions import PUBLIC, USERS_ADMIN, allow


def _user_cursor(info: Info, row_id: int) -> str:
    return info.context.cursors.encode("user", [row_id])


@strawberry.type
class AccountQuery:
    @strawberry.field(
        description="The caller's account; null for the public.", extensions=allow(PUBLIC)
    )
    async def me(self, info: Info) -> UserType | None:
        actor = info.context.actor
        if actor.is_public or actor.user_id is None:
            return None
        row = await service.get_user(actor=actor, user_id=actor.user_id)
        return UserType.from_row(row) if row else None

    @strawberry.field(
        description="Every account, oldest first (ADMIN).", extensions=allow(USERS_ADMIN)
    )
    async def users(
        self, info: Info, first: FIRST = 20, after: AFTER = None
    ) -> Connection[UserType]:
        size = check_first(first)
        after_id = None
        if after is not None:
            key = info.context.cursors.decode("user", after)
            if len(key) != 1 or not isinstance(key[0], int):
                raise BadUserInput.for_field("after", "invalid cursor")
            after_id = key[0]
        page = await service.list_users(actor=info.context.actor, first=size, after=after_id)
        return connection_of(page, UserType.from_row, lambda r: _user_cursor(info, r.id))
