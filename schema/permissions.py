"""Who may call what, declared on every root field.

Every query and mutation field carries exactly one `PermissionExtension`
(`tests/test_permissions.py` walks the schema and fails on a field without one),
so adding a resolver means choosing its permission. The checks themselves are
the domain's (`cms.accounts.permissions.require`); services check again where
the answer depends on the object ("own" articles).
"""

from __future__ import annotations

from typing import Any

from strawberry.extensions.field_extension import FieldExtension
from strawberry.permission import BasePermission, PermissionExtension

from cms.accounts.actor import Scope
from cms.accounts.models import Role
from cms.accounts.permissions import require
from schema.context import Info


class Anyone(BasePermission):
    """Public: the anonymous reader included (visibility rules still apply)."""

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        return True


class Requires(BasePermission):
    """An authenticated caller, with a role and a scope when given. Raises the
    domain error itself, so the code is UNAUTHENTICATED or FORBIDDEN as fits."""

    def __init__(self, *, scope: Scope | None = None, role: Role | None = None) -> None:
        self.scope = scope
        self.role = role

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        require(info.context.actor, scope=self.scope, role=self.role)
        return True


class Staff(BasePermission):
    """Any authenticated caller; used silently, so the public reads null."""

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        return not info.context.actor.is_public


def allow(permission: BasePermission, *, silent: bool = False) -> list[FieldExtension]:
    """The extensions list of a field guarded by `permission`."""
    return [
        PermissionExtension(permissions=[permission], fail_silently=silent, use_directives=False)
    ]


PUBLIC = Anyone()
SIGNED_IN = Requires()
STAFF = Staff()
USERS_ADMIN = Requires(scope=Scope.USERS_ADMIN, role=Role.ADMIN)
CONTENT_READ = Requires(scope=Scope.CONTENT_READ)
