"""Who is asking: the public reader, or an authenticated user with a role and scopes."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from cms.accounts.models import Role


class Scope(StrEnum):
    CONTENT_READ = "CONTENT_READ"
    CONTENT_WRITE = "CONTENT_WRITE"
    CONTENT_PUBLISH = "CONTENT_PUBLISH"
    MEDIA_WRITE = "MEDIA_WRITE"
    USERS_ADMIN = "USERS_ADMIN"


@dataclass(frozen=True, slots=True)
class Actor:
    """The caller of one request. `PUBLIC` has no user, no role and no scopes."""

    user_id: int | None
    role: Role | None
    scopes: frozenset[Scope]
    session_id: int | None = None  # set when the caller logged in
    api_token_id: int | None = None  # set when the caller used an API token
    system: bool = False  # the server itself (command line, background work)

    @property
    def is_public(self) -> bool:
        return self.user_id is None and not self.system

    def has(self, scope: Scope) -> bool:
        return scope in self.scopes

    @property
    def can_read_drafts(self) -> bool:
        """Whether unpublished content is visible to this caller."""
        return self.has(Scope.CONTENT_READ)


PUBLIC = Actor(user_id=None, role=None, scopes=frozenset())
# The server acting for itself (`cms seed-demo`): every right, no user to credit.
SYSTEM = Actor(user_id=None, role=Role.ADMIN, scopes=frozenset(Scope), system=True)
