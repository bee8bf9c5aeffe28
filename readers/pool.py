"""A bounded pool of read-only aiosqlite connections (one pool per API worker).

Connections open `file:...?mode=ro` with `uri=True` and `PRAGMA query_only`:
nothing but the writer can change the database. Each read is one short
transaction, never held across requests (that would starve WAL checkpoints).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiosqlite

__all__ = ["ReaderPool", "PoolTimeout", "ReaderError"]

log = logging.getLogger("sgp.readers")


class ReaderError(Exception):
    """Base class of the readers package's errors."""


class PoolTimeout(ReaderError):
    """Every reader connection stayed busy past the acquire timeout."""


class ReaderPool:
    """At most `size` read-only connections, opened lazily and reused."""

    def __init__(self, db_path: Path, *, size: int = 4, acquire_timeout: float = 5.0) -> None:
        self._uri = f"{db_path.resolve().as_uri()}?mode=ro"
        self._size = size
        self._timeout = acquire_timeout
        self._idle: asyncio.LifoQueue[aiosqlite.Connection] = asyncio.LifoQueue()
        self._opened = 0
        self._slots = asyncio.Semaphore(size)
        self._all: list[aiosqlite.Connection] = []
        self._closed = False

    async def _open(self) -> aiosqlite.Connection:
        conn = await aiosqlite.connect(self._uri, uri=True, isolation_level=None)
        await conn.execute("PRAGMA query_only=1")
        # A reader waits briefly for the WAL index lock while the writer checkpoints.
        await conn.execute("PRAGMA busy_timeout=2000")
        self._all.append(conn)
        return conn

    @asynccontextmanager
    async def acquire(self) -> AsyncIterator[aiosqlite.Connection]:
        """Borrow a connection; raises PoolTimeout when none frees up in time."""
        if self._closed:
            raise ReaderError("reader pool is closed")
        try:
            await asyncio.wait_for(self._slots.acquire(), self._timeout)
        except TimeoutError:
            raise PoolTimeout(f"no reader connection free within {self._timeout} s") from None
        conn: aiosqlite.Connection | None = None
        try:
            conn = self._idle.get_nowait() if not self._idle.empty() else await self._open()
            yield conn
        except BaseException:
            if conn is not None and conn.in_transaction:
                await conn.rollback()
            raise
        finally:
            if conn is not None:
                self._idle.put_nowait(conn)
            self._slots.release()

    async def fetchall(self, sql: str, params: Iterable[Any] = ()) -> list[Any]:
        """Run one query as its own read transaction and return every row."""
        async with self.acquire() as conn:
            return list(await conn.execute_fetchall(sql, tuple(params)))

    async def fetchone(self, sql: str, params: Iterable[Any] = ()) -> Any | None:
        """Run one query and return its first row, or None."""
        rows = await self.fetchall(sql, params)
        return rows[0] if rows else None

    async def close(self) -> None:
        """Close every connection."""
        self._closed = True
        for conn in self._all:
            try:
                await conn.close()
            except Exception:
                log.exception("closing a reader connection failed")
        self._all.clear()
