"""A bounded pool of read-only SQLite connections (one pool per API worker).

Connections open `file:...?mode=ro` with `uri=True` and `PRAGMA query_only`:
nothing but the writer can change the database. Each read is one short
transaction, never held across requests (that would starve WAL checkpoints).

A read is a plain function of a `sqlite3.Connection`, run whole in one place:

- `read(fn)` runs it on one of the pool's threads: one thread hop per read,
  however many statements it runs. For anything whose cost grows with the
  table (substring filters, date ranges, big offsets): SQLite releases the
  GIL while it works, so the event loop keeps serving meanwhile.
- `read(fn, inline=True)` runs it on the event loop's own thread, for reads
  bounded by index lookups (a row by id: about 10 µs; a page of 50 along an
  index plus its count: about 0.1 ms at 5 000 rows, 1 ms at 100 000). A
  thread hop costs more than a point read, and each of its GIL hand-offs
  (one per row fetched) can wait out the interpreter's switch interval while
  the loop is busy: under load those waits, not SQLite, made reads slow. An
  inline read never waits for a lock: when SQLite reports busy (WAL
  recovery, another process's exclusive lock) the read is retried on a
  thread, which waits up to the busy timeout.
- `long_read(sql, params)` runs one history-sized statement on the worker's aiosqlite connection (readers/long_read.py)
  for reads whose size grows with history: reports over a period, the feed's
  replay of the event log. bench/readers.py measured the three paths.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import AsyncIterator, Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

from .errors import PoolTimeout, ReaderError
from .long_read import LongReadLane

__all__ = ["ReaderPool", "PoolTimeout", "ReaderError"]

log = logging.getLogger("sgp.readers")

_P = ParamSpec("_P")
_T = TypeVar("_T")

# A read waits this long for the WAL index lock while the writer checkpoints.
_BUSY_TIMEOUT_S = 2.0
_BUSY_CODES = frozenset({sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED})


def _is_busy(exc: sqlite3.OperationalError) -> bool:
    return getattr(exc, "sqlite_errorcode", None) in _BUSY_CODES


def _in_transaction(conn: sqlite3.Connection, fn: Callable[..., _T], args: tuple[Any, ...]) -> _T:
    """`fn(conn, *args)` inside one read transaction: all its statements see one snapshot."""
    conn.execute("BEGIN")
    try:
        return fn(conn, *args)
    finally:
        # COMMIT of a read transaction only releases the snapshot; after an error
        # it is as good as ROLLBACK, and leaves no transaction open either way.
        if conn.in_transaction:
            conn.execute("COMMIT")


class ReaderPool:
    """At most `size` read-only connections used from threads, plus one used on the event loop."""

    def __init__(self, db_path: Path, *, size: int = 4, acquire_timeout: float = 5.0) -> None:
        self._uri = f"{db_path.resolve().as_uri()}?mode=ro"
        self._timeout = acquire_timeout
        self._executor = ThreadPoolExecutor(size, thread_name_prefix="sgp-reader")
        self._slots = asyncio.Semaphore(size)
        self._idle: list[sqlite3.Connection] = []
        self._all: list[sqlite3.Connection] = []
        self._inline: sqlite3.Connection | None = None
        self._closed = False
        self._stale: set[int] = set()  # ids of connections to close instead of reusing
        self._long = LongReadLane(self._uri, acquire_timeout=acquire_timeout)

    def _open(self, busy_timeout_s: float) -> sqlite3.Connection:
        # check_same_thread=False: a connection is borrowed by one read at a time,
        # but successive reads may run it on different threads of the executor.
        conn = sqlite3.connect(
            self._uri, uri=True, isolation_level=None, check_same_thread=False, timeout=busy_timeout_s
        )
        conn.execute("PRAGMA query_only=1")
        self._all.append(conn)
        return conn

    async def _thread(self, fn: Callable[_P, _T], *args: _P.args, **kwargs: _P.kwargs) -> _T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, lambda: fn(*args, **kwargs))

    @asynccontextmanager
    async def _borrow(self) -> AsyncIterator[sqlite3.Connection]:
        """A connection of the pool for one read; raises PoolTimeout when none frees up in time."""
        if self._closed:
            raise ReaderError("reader pool is closed")
        if self._slots.locked():
            try:
                await asyncio.wait_for(self._slots.acquire(), self._timeout)
            except TimeoutError:
                raise PoolTimeout(f"no reader connection free within {self._timeout} s") from None
        else:
            await self._slots.acquire()  # free: returns at once, without wait_for's timer and task
        conn: sqlite3.Connection | None = None
        try:
            conn = self._idle.pop() if self._idle else await self._thread(self._open, _BUSY_TIMEOUT_S)
            yield conn
        finally:
            if conn is not None:
                if id(conn) in self._stale:
                    self._discard(conn)
                else:
                    self._idle.append(conn)
            self._slots.release()

    async def read(self, fn: Callable[..., _T], *args: Any, inline: bool = False) -> _T:
        """`fn(conn, *args)` as one read transaction; `inline` runs it on the loop (index-bounded reads only)."""
        if inline:
            if self._closed:
                raise ReaderError("reader pool is closed")
            if self._inline is None:
                # busy timeout 0: a busy inline read must never block the event loop.
                self._inline = self._open(0.0)
            try:
                return _in_transaction(self._inline, fn, args)
            except sqlite3.OperationalError as exc:
                if not _is_busy(exc):
                    raise
                log.debug("inline read found the database busy; retrying on a reader thread")
        async with self._borrow() as conn:
            return await self._thread(_in_transaction, conn, fn, args)

    async def fetchall(self, sql: str, params: Iterable[Any] = (), *, inline: bool = False) -> list[Any]:
        """Run one query as its own read transaction and return every row."""
        return await self.read(_fetchall, sql, tuple(params), inline=inline)

    async def fetchone(self, sql: str, params: Iterable[Any] = (), *, inline: bool = False) -> Any | None:
        """Run one query and return its first row, or None."""
        return await self.read(_fetchone, sql, tuple(params), inline=inline)

    async def long_read(self, sql: str, params: Iterable[Any] = ()) -> list[Any]:
        """Every row of one history-sized statement (one snapshot) on the aiosqlite long-read lane."""
        return await self._long.fetchall(sql, params)

    def recycle(self) -> None:
        """Replace every connection by a fresh one as it next comes free (the writer restarted).

        A connection keeps the WAL file it first opened; after a writer restart that
        followed a deleted WAL (writer/wal_guard.py) that file is no longer the
        database's, so none may be used again.
        """
        stale = set(map(id, self._all))
        self._stale |= stale
        self._close_idle()
        self._long.recycle()

    def _close_idle(self) -> None:
        for conn in [c for c in self._idle if id(c) in self._stale]:
            self._idle.remove(conn)
            self._discard(conn)
        if self._inline is not None and id(self._inline) in self._stale:
            self._discard(self._inline)
            self._inline = None

    def _discard(self, conn: sqlite3.Connection) -> None:
        self._stale.discard(id(conn))
        if conn in self._all:
            self._all.remove(conn)
        try:
            conn.close()
        except sqlite3.Error:
            log.exception("closing a reader connection failed")

    async def close(self) -> None:
        """Close every connection and stop the threads."""
        self._closed = True
        await self._long.close()
        await asyncio.get_running_loop().run_in_executor(None, self._executor.shutdown, True)
        for conn in self._all:
            try:
                conn.close()
            except Exception:
                log.exception("closing a reader connection failed")
        self._all.clear()
        self._idle.clear()
        self._inline = None


def _fetchall(conn: sqlite3.Connection, sql: str, params: tuple[Any, ...]) -> list[Any]:
    return conn.execute(sql, params).fetchall()


def _fetchone(conn: sqlite3.Connection, sql: str, params: tuple[Any, ...]) -> Any | None:
    return conn.execute(sql, params).fetchone()
