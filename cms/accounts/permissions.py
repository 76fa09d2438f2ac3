"""The role table and scopes of the contract, in one place.

A session token carries every scope of its user's role; an API token carries the
scopes it was made with, narrowed again to the role the user has today.
"""

from __future__ import annotations

from cms.accounts.actor import Actor, Scope
from cms.accounts.models import Role
from cms.errors import Forbidden, Unauthenticated

_CONTENT = frozenset({Scope.CONTENT_READ, Scope.CONTENT_WRITE, Scope.MEDIA_WRITE})
ROLE_SCOPES: dict[Role, frozenset[Scope]] = {
    Role.CONTRIBUTOR: _CONTENT,
    Role.AUTHOR: _CONTENT | {Scope.CONTENT_PUBLISH},
    Role.EDITOR: _CONTENT | {Scope.CONTENT_PUBLISH},
    Role.ADMIN: frozenset(Scope),
}
ROLE_RANK: dict[Role, int] = {
    Role.CONTRIBUTOR: 1,
    Role.AUTHOR: 2,
    Role.EDITOR: 3,
    Role.ADMIN: 4,
}


def role_at_least(actor: Actor, role: Role) -> bool:
    return actor.role is not None and ROLE_RANK[actor.role] >= ROLE_RANK[role]


def require(actor: Actor, *, scope: Scope | None = None, role: Role | None = None) -> None:
    """UNAUTHENTICATED for the public; FORBIDDEN unless the caller has the role and scope."""
    if actor.is_public:
        raise Unauthenticated("authentication required")
    if role is not None and not role_at_least(actor, role):
        raise Forbidden(f"this needs the {role.value} role")
    if scope is not None and not actor.has(scope):
        raise Forbidden(f"this needs the {scope.value} scope")
