"""The long-read lane: one aiosqlite connection per worker for reads whose size grows with history.

Closing reports over a period and the feed's replay of the event log read
thousands of rows. Run on the pool's threads, a burst of them takes every
thread (point reads then queue behind them) and each thread competes with
the event loop for the GIL while it builds rows. Here they share one
connection on aiosqlite's own thread, one at a time per worker: a burst of
reports queues here instead of taking every pool thread, and only one thread
of the worker builds rows against the loop (bench/readers.py: the same rows
per second and CPU per row as the pool's threads, a fraction of the loop
stall under concurrency). Rows are fetched whole (`execute_fetchall`, one
hop): iterating a cursor in chunks cost up to twice the CPU.

Each use is ONE statement, which SQLite runs in its own implicit read
transaction (one snapshot). No BEGIN/COMMIT state spans awaits, so a read
cancelled mid-query (once or twice) leaves nothing behind for the next one:
aiosqlite's thread finishes the statement and the next queues behind it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from typing import Any

import aiosqlite

from .errors import PoolTimeout, ReaderError

__all__ = ["LongReadLane"]

log = logging.getLogger("sgp.readers")

_BUSY_TIMEOUT_S = 2.0


class LongReadLane:
    """One read-only aiosqlite connection, lent to one long read at a time."""

    def __init__(self, uri: str, *, acquire_timeout: float) -> None:
        self._uri = uri
        self._timeout = acquire_timeout
        self._lock = asyncio.Lock()
        self._conn: aiosqlite.Connection | None = None
        self._stale = False
        self._closed = False

    async def fetchall(self, sql: str, params: Iterable[Any] = ()) -> list[Any]:
        """Every row of one statement (one snapshot); PoolTimeout when the lane stays busy too long."""
        if self._closed:
            raise ReaderError("reader pool is closed")
        try:
            await asyncio.wait_for(self._lock.acquire(), self._timeout)
        except TimeoutError:
            raise PoolTimeout(f"the long-read connection stayed busy past {self._timeout} s") from None
        try:
            if self._closed:  # closed while this read waited for the lane
                raise ReaderError("reader pool is closed")
            conn = await self._connection()
            return list(await conn.execute_fetchall(sql, tuple(params)))
        finally:
            self._lock.release()

    async def _connection(self) -> aiosqlite.Connection:
        if self._conn is not None and self._stale:
            await self._close_conn()
        if self._conn is None:
            self._conn = await aiosqlite.connect(self._uri, uri=True, isolation_level=None, timeout=_BUSY_TIMEOUT_S)
            await self._conn.execute("PRAGMA query_only=1")
            self._stale = False
        return self._conn

    def recycle(self) -> None:
        """Open a fresh connection at the next use (the writer restarted after its WAL was deleted)."""
        self._stale = True

    async def _close_conn(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                await conn.close()
            except Exception:
                log.exception("closing the long-read connection failed")

    async def close(self) -> None:
        """Stop the read in progress (if any), close the connection and stop its thread."""
        self._closed = True
        if self._conn is not None:
            try:
                await self._conn.interrupt()  # runs at once, not behind the queued statement
            except Exception:
                log.debug("interrupting the long read failed", exc_info=True)
        await self._close_conn()
