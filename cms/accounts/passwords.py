"""Password hashing with argon2id (RFC 9106 low-memory profile), off the event loop.

Each hash or verify costs about 300 ms of CPU and 64 MiB; they run in worker
threads behind a small capacity limiter, so a login flood queues up instead of
starving the readers that share the process.
"""

from __future__ import annotations

import anyio
import anyio.to_thread
from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from argon2.profiles import Parameters

from cms.errors import BadUserInput, FieldError

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024  # argon2 takes any length; a megabyte "password" is abuse


def check_password_rules(password: str, field: str = "password") -> None:
    """The rules a new password must meet; `BAD_USER_INPUT` naming `field` otherwise."""
    if len(password) < MIN_PASSWORD_LENGTH:
        message = f"must be at least {MIN_PASSWORD_LENGTH} characters long"
        raise BadUserInput(f"{field} {message}", [FieldError(field, message)])
    if len(password) > MAX_PASSWORD_LENGTH:
        message = f"must be at most {MAX_PASSWORD_LENGTH} characters long"
        raise BadUserInput(f"{field} {message}", [FieldError(field, message)])


class Passwords:
    """Hashes and verifies passwords in threads, at most `concurrency` at a time."""

    def __init__(
        self, parameters: Parameters = profiles.RFC_9106_LOW_MEMORY, concurrency: int = 2
    ) -> None:
        self._hasher = PasswordHasher.from_parameters(parameters)
        self._limiter = anyio.CapacityLimiter(concurrency)
        # A real hash to verify against when the account does not exist, so an
        # unknown email costs what a wrong password costs.
        self._dummy_hash = self._hasher.hash("not a real password, never matches")

    async def hash(self, password: str) -> str:
        return await anyio.to_thread.run_sync(self._hasher.hash, password, limiter=self._limiter)

    async def verify(self, password_hash: str | None, password: str) -> bool:
        """Whether `password` matches; with no hash, burns the same time and says no."""
        target = password_hash if password_hash is not None else self._dummy_hash
        try:
            await anyio.to_thread.run_sync(
                self._hasher.verify, target, password, limiter=self._limiter
            )
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False
        return password_hash is not None

    def needs_rehash(self, password_hash: str) -> bool:
        """The stored hash was made with weaker parameters than today's."""
        return self._hasher.check_needs_rehash(password_hash)
