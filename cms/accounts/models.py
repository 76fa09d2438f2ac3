"""Editor accounts: users, login sessions, API tokens, TOTP recovery codes and the
counters that throttle login attempts."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from cms.authors.models import Author


class Role(StrEnum):
    CONTRIBUTOR = "CONTRIBUTOR"
    AUTHOR = "AUTHOR"
    EDITOR = "EDITOR"
    ADMIN = "ADMIN"


class User(Model):
    id = fields.IntField(primary_key=True)
    email = fields.CharField(max_length=254, unique=True)  # stored lower-cased
    name = fields.CharField(max_length=200)
    role = fields.CharEnumField(Role, max_length=16)
    active = fields.BooleanField(default=True)
    password_hash = fields.CharField(max_length=255)
    password_changed_at = fields.DatetimeField(null=True)
    totp_secret = fields.CharField(max_length=128, null=True)
    totp_enabled = fields.BooleanField(default=False)
    totp_last_step = fields.BigIntField(null=True)  # refuses a code replayed in its window
    last_login_at = fields.DatetimeField(null=True)
    version = fields.IntField(default=1)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    # The linked byline ("own" articles) lives on Author.user, which keeps the
    # relation graph acyclic: User <- MediaAsset <- Author.
    author_profile: fields.BackwardOneToOneRelation[Author]
    sessions: fields.ReverseRelation[Session]
    api_tokens: fields.ReverseRelation[ApiToken]
    recovery_codes: fields.ReverseRelation[RecoveryCode]

    class Meta:
        table = "cms_user"
        indexes = (("created_at", "id"), ("role", "active"))


class Session(Model):
    """A login: the token is shown once and kept only as its hash."""

    id = fields.IntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="sessions", on_delete=fields.CASCADE
    )
    token_hash = fields.CharField(max_length=64, unique=True)
    created_at = fields.DatetimeField()
    expires_at = fields.DatetimeField()
    last_used_at = fields.DatetimeField(null=True)
    client_ip = fields.CharField(max_length=45, null=True)
    user_agent = fields.CharField(max_length=300, null=True)

    class Meta:
        table = "user_session"
        indexes = (("user_id",), ("expires_at",))


class ApiToken(Model):
    """A personal access token for scripts. Scopes narrow the owner's role."""

    id = fields.IntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="api_tokens", on_delete=fields.CASCADE
    )
    name = fields.CharField(max_length=200)
    prefix = fields.CharField(max_length=32)  # the first characters, to recognise a token
    token_hash = fields.CharField(max_length=64, unique=True)
    scopes: fields.Field[list[str]] = fields.JSONField(default=list)
    created_at = fields.DatetimeField()
    expires_at = fields.DatetimeField(null=True)
    last_used_at = fields.DatetimeField(null=True)
    revoked_at = fields.DatetimeField(null=True)

    class Meta:
        table = "api_token"
        indexes = (("user_id", "created_at"), ("prefix",))


class RecoveryCode(Model):
    """A single-use TOTP recovery code, kept as a hash."""

    id = fields.IntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="recovery_codes", on_delete=fields.CASCADE
    )
    code_hash = fields.CharField(max_length=64)
    created_at = fields.DatetimeField()
    used_at = fields.DatetimeField(null=True)

    class Meta:
        table = "totp_recovery_code"
        unique_together = (("user", "code_hash"),)


class LoginFailure(Model):
    """One failed login or TOTP attempt, counted per account and per client address
    within a sliding window (used when Redis is not configured)."""

    id = fields.BigIntField(primary_key=True)
    key = fields.CharField(max_length=300)  # "account:<email>" or "ip:<address>"
    at = fields.DatetimeField()

    class Meta:
        table = "login_failure"
        indexes = (("key", "at"), ("at",))
