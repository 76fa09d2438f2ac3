"""Accounts: logging in and out, users, API tokens and TOTP.

Plain async functions with explicit, keyword-only dependencies; they never see a
request. Errors carry the API codes (`cms.errors`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from email_validator import EmailNotValidError, validate_email
from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from cms.accounts import totp
from cms.accounts.actor import Actor, Scope
from cms.accounts.models import ApiToken, RecoveryCode, Role, Session, User
from cms.accounts.passwords import Passwords, check_password_rules
from cms.accounts.permissions import ROLE_SCOPES, require
from cms.accounts.throttle import (
    ACCOUNT_LIMIT,
    ADDRESS_LIMIT,
    Attempt,
    Throttle,
    account_key,
    address_key,
)
from cms.accounts.tokens import (
    DISPLAY_PREFIX_CHARS,
    TokenHasher,
    is_well_formed_api_token,
    is_well_formed_session_token,
    new_api_token,
    new_session_token,
)
from cms.authors.models import Author
from cms.clock import NO_OFFSET
from cms.errors import (
    BadUserInput,
    Conflict,
    FieldError,
    Forbidden,
    NotFound,
    TotpRequired,
    Unauthenticated,
)
from cms.pagination import Page, page_of
from cms.patch import UNSET, Maybe

SESSION_LIFETIME = timedelta(hours=12)
API_TOKEN_LIFETIME = timedelta(days=90)
# lastUsedAt (and a session's sliding expiry) is written at most this often
TOUCH_INTERVAL = timedelta(minutes=1)
BAD_LOGIN = "invalid email or password"
MAX_NAME = 200


@dataclass(frozen=True, slots=True)
class LoginResult:
    token: str
    expires_at: datetime
    user: User


def normalize_email(email: str, field: str = "email") -> str:
    try:
        return validate_email(email.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise BadUserInput.for_field(field, f"not a valid email address: {exc}") from None


# --- authentication -----------------------------------------------------------


async def authenticate_token(token: str, *, now: datetime, hasher: TokenHasher) -> Actor:
    """The caller a bearer token stands for; `UNAUTHENTICATED` for a malformed,
    unknown, expired or revoked token, or one whose user is deactivated."""
    if is_well_formed_session_token(token):
        session = await Session.filter(token_hash=hasher(token)).select_related("user").first()
        if session is None or session.expires_at <= now or not session.user.active:
            raise Unauthenticated("invalid or expired token")
        if session.last_used_at is None or now - session.last_used_at >= TOUCH_INTERVAL:
            await Session.filter(id=session.id).update(
                last_used_at=now, expires_at=now + SESSION_LIFETIME
            )
        user = session.user
        return Actor(
            user_id=user.id,
            role=user.role,
            scopes=ROLE_SCOPES[user.role],
            session_id=session.id,
        )
    if is_well_formed_api_token(token):
        row = await ApiToken.filter(token_hash=hasher(token)).select_related("user").first()
        if (
            row is None
            or row.revoked_at is not None
            or (row.expires_at is not None and row.expires_at <= now)
            or not row.user.active
        ):
            raise Unauthenticated("invalid, expired or revoked token")
        if row.last_used_at is None or now - row.last_used_at >= TOUCH_INTERVAL:
            await ApiToken.filter(id=row.id).update(last_used_at=now)
        user = row.user
        return Actor(
            user_id=user.id,
            role=user.role,
            # narrowed again: the owner's role may have been lowered since
            scopes=frozenset(Scope(s) for s in row.scopes) & ROLE_SCOPES[user.role],
            api_token_id=row.id,
        )
    raise Unauthenticated("malformed token")


# --- login, logout, passwords -------------------------------------------------


async def login(
    *,
    email: str,
    password: str,
    totp_code: str | None,
    client_ip: str | None,
    user_agent: str | None,
    now: datetime,
    passwords: Passwords,
    throttle: Throttle,
    hasher: TokenHasher,
    box: totp.SecretBox,
) -> LoginResult:
    """A new session for the right email and password (and TOTP code, when enabled).

    Unknown email, wrong password and deactivated account all answer the same,
    after the same work. Every attempt counts against the account and the client
    address until it succeeds.
    """
    attempts = await _record_attempts(email, client_ip, now, throttle)
    user = await User.filter(email=email.strip().lower()).first()
    matches = await passwords.verify(user.password_hash if user else None, password)
    if user is None or not matches or not user.active:
        raise Unauthenticated(BAD_LOGIN)
    if user.totp_enabled:
        if not totp_code:
            # the password was right: asking for the code is not a failure
            for attempt in attempts:
                await throttle.forgive(attempt)
            raise TotpRequired("a TOTP code is required")
        if not await _accept_second_factor(user, totp_code, now, hasher, box):
            raise Unauthenticated("invalid TOTP code")
    for attempt in attempts:
        await throttle.forgive(attempt)

    token = new_session_token()
    expires_at = now + SESSION_LIFETIME
    updates: dict[str, object] = {"last_login_at": now}
    if passwords.needs_rehash(user.password_hash):
        updates["password_hash"] = await passwords.hash(password)
    async with in_transaction():
        await Session.create(
            user=user,
            token_hash=hasher(token),
            created_at=now,
            expires_at=expires_at,
            last_used_at=now,
            client_ip=client_ip,
            user_agent=(user_agent or "")[:300] or None,
        )
        await User.filter(id=user.id).update(**updates)
    await user.refresh_from_db()
    return LoginResult(token=token, expires_at=expires_at, user=user)


async def _record_attempts(
    email: str, client_ip: str | None, now: datetime, throttle: Throttle
) -> list[Attempt]:
    by_account = await throttle.record(account_key(email), ACCOUNT_LIMIT, now)
    try:
        by_address = await throttle.record(address_key(client_ip), ADDRESS_LIMIT, now)
    except Exception:
        await throttle.forgive(by_account)  # refused attempts are not recorded
        raise
    return [by_account, by_address]


async def logout(*, actor: Actor) -> bool:
    """Ends the caller's session; false when the caller did not log in (API token)."""
    require(actor)
    if actor.session_id is None:
        return False
    return await Session.filter(id=actor.session_id).delete() > 0


async def change_password(
    *,
    actor: Actor,
    current_password: str,
    new_password: str,
    client_ip: str | None,
    now: datetime,
    passwords: Passwords,
    throttle: Throttle,
) -> bool:
    """Sets a new password and ends every session of the user."""
    require(actor)
    user = await User.get(id=actor.user_id)
    attempts = await _record_attempts(user.email, client_ip, now, throttle)
    if not await passwords.verify(user.password_hash, current_password):
        raise BadUserInput.for_field("currentPassword", "the current password is wrong")
    for attempt in attempts:
        await throttle.forgive(attempt)
    check_password_rules(new_password, "newPassword")
    new_hash = await passwords.hash(new_password)
    async with in_transaction():
        await User.filter(id=user.id).update(
            password_hash=new_hash, password_changed_at=now, version=user.version + 1
        )
        await Session.filter(user_id=user.id).delete()
    return True


# --- users --------------------------------------------------------------------


async def create_user(
    *,
    actor: Actor,
    email: str,
    name: str,
    role: Role,
    password: str,
    author_id: int | None,
    passwords: Passwords,
) -> User:
    require(actor, scope=Scope.USERS_ADMIN, role=Role.ADMIN)
    return await create_account(
        email=email,
        name=name,
        role=role,
        password=password,
        author_id=author_id,
        passwords=passwords,
    )


async def create_account(
    *,
    email: str,
    name: str,
    role: Role,
    password: str,
    author_id: int | None,
    passwords: Passwords,
) -> User:
    """A new user, unchecked for permission (the `createuser` command uses it)."""
    errors: list[FieldError] = []
    try:
        email = normalize_email(email)
    except BadUserInput as exc:
        errors.extend(exc.fields)
    name = name.strip()
    if not name or len(name) > MAX_NAME:
        errors.append(FieldError("name", f"must be 1 to {MAX_NAME} characters"))
    try:
        check_password_rules(password)
    except BadUserInput as exc:
        errors.extend(exc.fields)
    if errors:
        raise BadUserInput("invalid user", errors)
    password_hash = await passwords.hash(password)
    async with in_transaction():
        author = await _linkable_author(author_id, None) if author_id is not None else None
        try:
            user = await User.create(email=email, name=name, role=role, password_hash=password_hash)
        except IntegrityError:
            raise Conflict("a user with this email exists already") from None
        if author is not None:
            await Author.filter(id=author.id).update(user_id=user.id)
    return user


async def _linkable_author(author_id: int, user_id: int | None) -> Author:
    author = await Author.filter(id=author_id, deleted_at__isnull=True).first()
    if author is None:
        raise BadUserInput.for_field("authorId", "no such author")
    linked = author.user_id  # type: ignore[attr-defined]
    if linked is not None and linked != user_id:
        raise Conflict("that author profile belongs to another user")
    return author


async def update_user(
    *,
    actor: Actor,
    user_id: int,
    name: Maybe[str] = UNSET,
    role: Maybe[Role] = UNSET,
    active: Maybe[bool] = UNSET,
    author_id: Maybe[int | None] = UNSET,
) -> User:
    """Changes a user. Nobody changes their own role or deactivates themselves, and
    the last active ADMIN stays an active ADMIN."""
    require(actor, scope=Scope.USERS_ADMIN, role=Role.ADMIN)
    async with in_transaction():
        user = await User.filter(id=user_id).select_for_update().first()
        if user is None:
            raise NotFound("no such user")
        updates: dict[str, object] = {}
        if name is not UNSET:
            if name is None or not name.strip() or len(name.strip()) > MAX_NAME:
                raise BadUserInput.for_field("name", f"must be 1 to {MAX_NAME} characters")
            updates["name"] = name.strip()
        if role is not UNSET and role != user.role:
            if role is None:
                raise BadUserInput.for_field("role", "a user must have a role")
            if user.id == actor.user_id:
                raise Forbidden("nobody can change their own role")
            updates["role"] = role
        if active is not UNSET and active != user.active:
            if active is None:
                raise BadUserInput.for_field("active", "must be true or false")
            if user.id == actor.user_id and not active:
                raise Forbidden("you cannot deactivate yourself")
            updates["active"] = active
        demoted = updates.get("role", user.role) != Role.ADMIN or not updates.get(
            "active", user.active
        )
        if user.role == Role.ADMIN and user.active and demoted:
            # lock every other active admin row, so two admins demoting each
            # other at once cannot both succeed
            others = (
                await User.filter(role=Role.ADMIN, active=True)
                .exclude(id=user.id)
                .select_for_update()
            )
            if not others:
                raise Conflict("the last active ADMIN cannot be demoted or deactivated")
        if author_id is not UNSET:
            await Author.filter(user_id=user.id).update(user_id=None)
            if author_id is not None:
                author = await _linkable_author(author_id, user.id)
                await Author.filter(id=author.id).update(user_id=user.id)
        if updates:
            updates["version"] = user.version + 1
            await User.filter(id=user.id).update(**updates)
        if updates.get("active") is False:
            await Session.filter(user_id=user.id).delete()
    await user.refresh_from_db()
    return user


async def get_user(*, actor: Actor, user_id: int) -> User | None:
    """A user, for ADMINs (with USERS_ADMIN) or the user themselves."""
    if actor.is_public:
        return None
    if actor.user_id != user_id:
        require(actor, scope=Scope.USERS_ADMIN, role=Role.ADMIN)
    return await User.filter(id=user_id).first()


async def list_users(*, actor: Actor, first: int, after: int | None) -> Page[User]:
    require(actor, scope=Scope.USERS_ADMIN, role=Role.ADMIN)
    query = User.all()
    if after is not None:
        query = query.filter(id__gt=after)
    rows = await query.order_by("id").limit(first + 1)
    return page_of(rows, first, has_previous=after is not None)


# --- API tokens ---------------------------------------------------------------


async def create_api_token(
    *,
    actor: Actor,
    name: str,
    scopes: list[Scope],
    expires_at: datetime | None,
    now: datetime,
    hasher: TokenHasher,
) -> tuple[str, ApiToken]:
    """A token for the caller, returned once. Its scopes must lie within what the
    caller holds now (a token cannot mint a wider one)."""
    require(actor)
    errors: list[FieldError] = []
    name = name.strip()
    if not name or len(name) > MAX_NAME:
        errors.append(FieldError("name", f"must be 1 to {MAX_NAME} characters"))
    if not scopes:
        errors.append(FieldError("scopes", "give at least one scope"))
    if expires_at is not None and expires_at.utcoffset() is None:
        errors.append(FieldError("expiresAt", NO_OFFSET))
    elif expires_at is not None and expires_at <= now:
        errors.append(FieldError("expiresAt", "must be in the future"))
    if errors:
        raise BadUserInput("invalid token request", errors)
    wider = set(scopes) - actor.scopes
    if wider:
        raise Forbidden("scopes beyond your own: " + ", ".join(sorted(s.value for s in wider)))
    token = new_api_token()
    row = await ApiToken.create(
        user_id=actor.user_id,
        name=name,
        prefix=token[:DISPLAY_PREFIX_CHARS],
        token_hash=hasher(token),
        scopes=sorted({s.value for s in scopes}),
        created_at=now,
        expires_at=expires_at if expires_at is not None else now + API_TOKEN_LIFETIME,
    )
    return token, row


async def revoke_api_token(*, actor: Actor, token_id: int, now: datetime) -> bool:
    """Revokes one of the caller's tokens (an ADMIN may revoke anyone's)."""
    require(actor)
    row = await ApiToken.filter(id=token_id).first()
    if row is None:
        raise NotFound("no such API token")
    if row.user_id != actor.user_id:  # type: ignore[attr-defined]
        try:
            require(actor, scope=Scope.USERS_ADMIN, role=Role.ADMIN)
        except Forbidden:
            raise NotFound("no such API token") from None
    if row.revoked_at is None:
        await ApiToken.filter(id=row.id).update(revoked_at=now)
    return True


async def api_tokens_of(*, actor: Actor, user_id: int) -> list[ApiToken]:
    if actor.user_id != user_id:
        require(actor, scope=Scope.USERS_ADMIN, role=Role.ADMIN)
    return await ApiToken.filter(user_id=user_id).order_by("-created_at", "-id").limit(200)


# --- TOTP ---------------------------------------------------------------------


async def enable_totp(*, actor: Actor, box: totp.SecretBox) -> tuple[str, str]:
    """A fresh secret (pending until `confirm_totp`) and its otpauth:// URI; the
    secret is stored sealed."""
    require(actor)
    user = await User.get(id=actor.user_id)
    if user.totp_enabled:
        raise Conflict("TOTP is enabled already; disable it first")
    secret = totp.new_secret()
    await User.filter(id=user.id).update(totp_secret=box.seal(secret, user.id), totp_last_step=None)
    return secret, totp.provisioning_uri(secret, user.email)


async def confirm_totp(
    *,
    actor: Actor,
    code: str,
    client_ip: str | None,
    now: datetime,
    throttle: Throttle,
    hasher: TokenHasher,
    box: totp.SecretBox,
) -> list[str]:
    """Turns TOTP on once a code from the new secret checks out; returns the
    recovery codes, shown this once."""
    require(actor)
    user = await User.get(id=actor.user_id)
    if user.totp_enabled or user.totp_secret is None:
        raise Conflict("call enableTotp first")
    attempts = await _record_attempts(user.email, client_ip, now, throttle)
    if not await _accept_totp(user, code, now, box):
        raise BadUserInput.for_field("code", "invalid TOTP code")
    for attempt in attempts:
        await throttle.forgive(attempt)
    codes = totp.new_recovery_codes()
    async with in_transaction():
        await RecoveryCode.filter(user_id=user.id).delete()
        for code_ in codes:
            await RecoveryCode.create(
                user_id=user.id, code_hash=_recovery_hash(hasher, code_), created_at=now
            )
        await User.filter(id=user.id).update(totp_enabled=True)
    return codes


async def disable_totp(
    *,
    actor: Actor,
    code: str,
    client_ip: str | None,
    now: datetime,
    throttle: Throttle,
    hasher: TokenHasher,
    box: totp.SecretBox,
) -> bool:
    """Turns TOTP off, given a current code or an unused recovery code."""
    require(actor)
    user = await User.get(id=actor.user_id)
    if not user.totp_enabled:
        raise Conflict("TOTP is not enabled")
    attempts = await _record_attempts(user.email, client_ip, now, throttle)
    if not await _accept_second_factor(user, code, now, hasher, box):
        raise BadUserInput.for_field("code", "invalid TOTP or recovery code")
    for attempt in attempts:
        await throttle.forgive(attempt)
    async with in_transaction():
        await RecoveryCode.filter(user_id=user.id).delete()
        await User.filter(id=user.id).update(
            totp_enabled=False, totp_secret=None, totp_last_step=None
        )
    return True


def _recovery_hash(hasher: TokenHasher, code: str) -> str:
    # keyed: a recovery code has 50 bits, too few to leave as a plain hash
    return hasher("recovery:" + totp.normalize_recovery_code(code))


async def _accept_totp(user: User, code: str, now: datetime, box: totp.SecretBox) -> bool:
    """The code matches a step later than the last accepted one; that step is
    claimed with a conditional UPDATE, so a replay (even a concurrent one) fails."""
    secret = box.open(user.totp_secret, user.id) if user.totp_secret is not None else None
    if secret is None:
        return False
    step = totp.matching_step(secret, code, now)
    if step is None:
        return False
    claimed = await User.filter(
        Q(totp_last_step__isnull=True) | Q(totp_last_step__lt=step), id=user.id
    ).update(totp_last_step=step)
    return claimed > 0


async def _accept_second_factor(
    user: User, code: str, now: datetime, hasher: TokenHasher, box: totp.SecretBox
) -> bool:
    """A TOTP code, or an unused recovery code (which is used up)."""
    if totp.looks_like_recovery_code(code):
        used = await RecoveryCode.filter(
            user_id=user.id, code_hash=_recovery_hash(hasher, code), used_at__isnull=True
        ).update(used_at=now)
        return used > 0
    return await _accept_totp(user, code, now, box)
