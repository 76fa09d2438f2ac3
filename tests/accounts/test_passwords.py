"""Password hashing: argon2id, off the event loop, a bounded number at once."""

from __future__ import annotations

import threading

import anyio
import anyio.lowlevel
import pytest
from argon2 import Type

from cms.accounts.passwords import Passwords, check_password_rules
from cms.errors import BadUserInput

from conftest import TEST_PASSWORD_PARAMETERS


async def test_hashes_are_argon2id_and_verify() -> None:
    """A hash is argon2id, verifies its password and refuses another."""
    passwords = Passwords(TEST_PASSWORD_PARAMETERS)
    hashed = await passwords.hash("correct horse battery staple")
    assert hashed.startswith("$argon2id$")
    assert await passwords.verify(hashed, "correct horse battery staple")
    assert not await passwords.verify(hashed, "Correct horse battery staple")
    assert not await passwords.verify("not a hash at all", "whatever")


def test_default_profile_is_rfc_9106_low_memory() -> None:
    """Production hashing uses the library's RFC 9106 low-memory profile (argon2id,
    64 MiB, t=3)."""
    hasher = Passwords()._hasher
    assert (hasher.type, hasher.memory_cost, hasher.time_cost) == (Type.ID, 65536, 3)


async def test_at_most_n_hashes_run_at_once() -> None:
    """Eight concurrent hashes with a limit of two never run more than two threads,
    and the event loop stays free meanwhile."""
    passwords = Passwords(TEST_PASSWORD_PARAMETERS, concurrency=2)
    running = 0
    peak = 0
    lock = threading.Lock()
    barrier = threading.Barrier(2)
    real_hash = passwords._hasher.hash

    class Spy:
        """The hasher, counting how many of its calls overlap."""

        def hash(self, password: str) -> str:
            return slow_hash(password)

    def slow_hash(password: str) -> str:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        barrier.wait(timeout=10)  # two threads meet here: proof they overlap
        with lock:
            running -= 1
        return real_hash(password)

    passwords._hasher = Spy()  # type: ignore[assignment]
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await anyio.lowlevel.checkpoint()

    async with anyio.create_task_group() as tg:
        tg.start_soon(ticker)
        async with anyio.create_task_group() as hashes:
            for i in range(8):
                hashes.start_soon(passwords.hash, f"password number {i}")
        tg.cancel_scope.cancel()
    assert peak == 2
    assert ticks > 8  # the loop kept running other tasks while hashing


@pytest.mark.parametrize("password", ["", "elevenchars", "x" * 1025])
def test_password_rules(password: str) -> None:
    """Under 12 or over 1024 characters is BAD_USER_INPUT on the field."""
    with pytest.raises(BadUserInput) as caught:
        check_password_rules(password)
    assert caught.value.fields[0].field == "password"


def test_twelve_characters_is_enough() -> None:
    """Exactly 12 characters passes."""
    check_password_rules("twelve chars")
