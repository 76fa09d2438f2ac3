"""Tortoise's asyncpg backend, with one change: losing the database is a
`ServiceUnavailable` error ("retry later"), not whatever the driver raised.

A refused, reset or timed-out connection surfaces from asyncpg as `OSError`,
`ConnectionDoesNotExistError`, an `InterfaceError` on a closed connection, or a
shutdown notice from the server. Left alone, each reaches the API as an unexpected
`INTERNAL_SERVER_ERROR` and the log as a bug; translated here, at the boundary
with the driver, every caller sees the one domain error with the code
`SERVICE_UNAVAILABLE`. Configured as the engine by `cms.db`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import asyncpg
from tortoise.backends.asyncpg.client import AsyncpgDBClient, TransactionWrapper
from tortoise.backends.base.client import (
    NestedTransactionContext,
    TransactionContext,
    TransactionContextPooled,
)
from tortoise.connection import get_connections

from cms.errors import ServiceUnavailable

log = logging.getLogger("cms.db")

MESSAGE = "the database cannot be reached right now; try again later"

# Errors that mean "no conversation with the server is possible right now".
# OSError covers refused and reset connections and (Python 3.11) TimeoutError.
_LOST = (
    OSError,
    asyncpg.PostgresConnectionError,  # class 08, ConnectionDoesNotExistError among them
    asyncpg.CannotConnectNowError,  # starting up or shutting down
    asyncpg.AdminShutdownError,
    asyncpg.CrashShutdownError,
)


def _unavailable(exc: BaseException) -> ServiceUnavailable:
    # the reason is for operators; the URL (and any password in it) is not in it
    log.warning("database unreachable: %s: %s", type(exc).__name__, exc)
    return ServiceUnavailable(MESSAGE)


def _closed(connection: asyncpg.Connection | None) -> bool:
    if connection is None:
        return False
    try:
        return connection.is_closed()
    except asyncpg.InterfaceError:
        # a pool's handle on a connection the pool has already discarded as lost
        return True


@contextmanager
def _lost_is_unavailable(client: Any) -> Iterator[None]:
    """A lost connection under `client` leaves as `ServiceUnavailable`."""
    try:
        yield
    except _LOST as exc:
        raise _unavailable(exc) from exc
    except asyncpg.InterfaceError as exc:
        # also raised for misuse (a bug): only a closed connection is an outage
        if not _closed(client._connection):
            raise
        raise _unavailable(exc) from exc


class _Translating:
    """Mixed into a client: a lost connection leaves as `ServiceUnavailable`."""

    _connection: asyncpg.Connection | None

    async def _translate_exceptions(self, func: Any, *args: Any, **kwargs: Any) -> Any:
        with _lost_is_unavailable(self):
            return await super()._translate_exceptions(func, *args, **kwargs)  # type: ignore[misc]


class PostgresClient(_Translating, AsyncpgDBClient):
    """The pooled client Tortoise builds from the configuration."""

    def _in_transaction(self) -> TransactionContext:
        return _PooledTransaction(_Transaction(self), self._pool_init_lock)


class _Transaction(_Translating, TransactionWrapper):
    """One transaction (or savepoint) on a connection of the pool."""

    def _in_transaction(self) -> TransactionContext:
        return NestedTransactionContext(_Transaction(self))

    async def commit(self) -> None:
        # a connection lost before COMMIT was sent rolled back; one lost after it
        # leaves the outcome unknown, and the message says only "try again"
        with _lost_is_unavailable(self):
            await super().commit()

    async def rollback(self) -> None:
        if _closed(self._connection):
            # the server discarded the transaction with the connection; failing
            # here would hide the error that made us roll back
            self._finalized = True
            return
        await super().rollback()


class _PooledTransaction(TransactionContextPooled):
    """Tortoise's transaction context, translating a failure to get a connection,
    and giving the connection back when BEGIN itself fails (Tortoise 1.1.9 keeps
    it, and a few such failures leave the pool empty for good)."""

    async def __aenter__(self) -> Any:
        try:
            return await super().__aenter__()
        except _LOST as exc:
            await self._give_back()
            raise _unavailable(exc) from exc
        except BaseException:
            await self._give_back()
            raise

    async def _give_back(self) -> None:
        connection = self.client._connection
        if connection is not None and self.client._parent._pool is not None:
            self.client._connection = None
            await self.client._parent._pool.release(connection)
        token = getattr(self, "token", None)  # set once a connection was taken
        if token is not None:
            get_connections().reset(token)
            del self.token


client_class = PostgresClient
