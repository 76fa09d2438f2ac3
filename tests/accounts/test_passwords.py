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
    """Of eight concurrent hashes with a limit of two, two run in threads and six wait
    their turn, while the event loop stays free."""
    passwords = Passwords(TEST_PASSWORD_PARAMETERS, concurrency=2)
    running = 0
    lock = threading.Lock()
    two_running = threading.Event()
    release = threading.Event()
    real_hash = passwords._hasher.hash

    class Spy:
        """The hasher, holding each call until the test releases it."""

        def hash(self, password: str) -> str:
            nonlocal running
            with lock:
                running += 1
                if running == 2:
                    two_running.set()
            release.wait(timeout=10)
            with lock:
                running -= 1
            return real_hash(password)

    passwords._hasher = Spy()  # type: ignore[assignment]
    async with anyio.create_task_group() as hashes:
        for i in range(8):
            hashes.start_soon(passwords.hash, f"password number {i}")
        # the event loop is free: it can wait for the threads in another thread
        assert await anyio.to_thread.run_sync(two_running.wait, 10)
        for _ in range(100):
            if passwords._limiter.statistics().tasks_waiting == 6:
                break
            await anyio.lowlevel.checkpoint()
        stats = passwords._limiter.statistics()
        assert (stats.borrowed_tokens, stats.tasks_waiting, running) == (2, 6, 2)
        release.set()
    assert running == 0


@pytest.mark.parametrize("password", ["", "elevenchars", "x" * 1025])
def test_password_rules(password: str) -> None:
    """Under 12 or over 1024 characters is BAD_USER_INPUT on the field."""
    with pytest.raises(BadUserInput) as caught:
        check_password_rules(password)
    assert caught.value.fields[0].field == "password"


def test_twelve_characters_is_enough() -> None:
    """Exactly 12 characters passes."""
    check_password_rules("twelve chars")
