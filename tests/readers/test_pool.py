"""The reader pool: reads on threads or inline, one snapshot per read, never a write."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from pathlib import Path

import pytest

from readers.pool import PoolTimeout, ReaderError, ReaderPool
from tests.support import run


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "db.sqlite3"
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
    conn.executemany("INSERT INTO t (v) VALUES (?)", [("a",), ("b",), ("c",)])
    conn.close()
    return path


def _thread_name(conn: sqlite3.Connection) -> str:
    return threading.current_thread().name


def test_reads_run_on_pool_threads_or_inline(db: Path) -> None:
    async def go() -> tuple[str, str, list[tuple[int, str]], tuple[str] | None]:
        pool = ReaderPool(db, size=2)
        try:
            threaded = await pool.read(_thread_name)
            inline = await pool.read(_thread_name, inline=True)
            rows = await pool.fetchall("SELECT id, v FROM t ORDER BY id", inline=True)
            row = await pool.fetchone("SELECT v FROM t WHERE id = ?", (2,))
            return threaded, inline, rows, row
        finally:
            await pool.close()

    threaded, inline, rows, row = run(go())
    assert threaded.startswith("sgp-reader")
    assert inline == threading.main_thread().name
    assert rows == [(1, "a"), (2, "b"), (3, "c")]
    assert row == ("b",)


def test_a_read_is_one_transaction_and_never_writes(db: Path) -> None:
    def both(conn: sqlite3.Connection) -> bool:
        return conn.in_transaction

    def write(conn: sqlite3.Connection) -> None:
        conn.execute("INSERT INTO t (v) VALUES ('x')")

    async def go() -> list[bool]:
        pool = ReaderPool(db)
        try:
            for inline in (False, True):
                with pytest.raises(sqlite3.OperationalError):
                    await pool.read(write, inline=inline)
            return [await pool.read(both), await pool.read(both, inline=True)]
        finally:
            await pool.close()

    assert run(go()) == [True, True]
    assert sqlite3.connect(db).execute("SELECT count(*) FROM t").fetchone() == (3,)


def test_a_busy_inline_read_is_retried_on_a_thread(db: Path) -> None:
    calls: list[str] = []

    def flaky(conn: sqlite3.Connection) -> str:
        calls.append(threading.current_thread().name)
        if len(calls) == 1:
            error = sqlite3.OperationalError("database is locked")
            error.sqlite_errorcode = sqlite3.SQLITE_BUSY  # type: ignore[attr-defined]
            raise error
        return "ok"

    async def go() -> str:
        pool = ReaderPool(db)
        try:
            return await pool.read(flaky, inline=True)
        finally:
            await pool.close()

    assert run(go()) == "ok"
    assert calls[0] == threading.main_thread().name and calls[1].startswith("sgp-reader")


def test_a_long_read_is_one_statement_on_aiosqlites_thread_and_never_writes(db: Path) -> None:
    async def go() -> list[tuple[int, str]]:
        pool = ReaderPool(db)
        try:
            rows = await pool.long_read("SELECT id, v FROM t WHERE id >= ? ORDER BY id", (1,))
            with pytest.raises(sqlite3.OperationalError):
                await pool.long_read("INSERT INTO t (v) VALUES ('x')")
            return rows
        finally:
            await pool.close()

    assert run(go()) == [(1, "a"), (2, "b"), (3, "c")]
    assert sqlite3.connect(db).execute("SELECT count(*) FROM t").fetchone() == (3,)


async def _blocking_lane(pool: ReaderPool) -> tuple[threading.Event, threading.Event, list[str]]:
    """Give the lane's connection a `hold()` SQL function that blocks its thread until released."""
    entered, release, threads = threading.Event(), threading.Event(), []

    def hold() -> int:
        threads.append(threading.current_thread().name)
        entered.set()
        release.wait(10)
        return 1

    conn = await pool._long._connection()
    await conn.create_function("hold", 0, hold)
    return entered, release, threads


async def _until(event: threading.Event) -> None:
    for _ in range(500):
        if event.is_set():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the lane never started the statement")


def test_the_long_read_lane_runs_off_the_loop_and_one_read_at_a_time(db: Path) -> None:
    async def go() -> list[str]:
        pool = ReaderPool(db, acquire_timeout=0.1)
        try:
            entered, release, threads = await _blocking_lane(pool)
            first = asyncio.ensure_future(pool.long_read("SELECT hold()"))
            await _until(entered)
            with pytest.raises(PoolTimeout):  # the lane is lent to one read at a time
                await pool.long_read("SELECT 1")
            release.set()
            assert await first == [(1,)]
            pool.recycle()  # after a writer restart: a fresh connection at the next use
            assert await pool.long_read("SELECT count(*) FROM t") == [(3,)]
            return threads
        finally:
            await pool.close()

    threads = run(go())
    assert threads and threads[0] != threading.main_thread().name
    assert not threads[0].startswith("sgp-reader")


def test_no_free_connection_in_time_is_a_pool_timeout(db: Path) -> None:
    release = threading.Event()

    def hold(conn: sqlite3.Connection) -> None:
        release.wait(5)

    async def go() -> None:
        pool = ReaderPool(db, size=1, acquire_timeout=0.1)
        try:
            holder = asyncio.ensure_future(pool.read(hold))
            await asyncio.sleep(0.05)
            with pytest.raises(PoolTimeout):
                await pool.read(_thread_name)
            release.set()
            await holder
        finally:
            await pool.close()

    run(go())


def test_a_long_read_cancelled_twice_mid_statement_leaves_the_lane_usable(db: Path) -> None:
    async def go() -> list[tuple[int]]:
        pool = ReaderPool(db, acquire_timeout=5)
        try:
            entered, release, _ = await _blocking_lane(pool)
            task = asyncio.ensure_future(pool.long_read("SELECT hold()"))  # a feed client went away mid-report
            await _until(entered)
            task.cancel()
            await asyncio.sleep(0)
            task.cancel()  # cancelled again (shutdown, an anyio scope)
            with pytest.raises(asyncio.CancelledError):
                await task
            release.set()  # the statement still finishes on aiosqlite's thread; the next read queues behind it
            return await pool.long_read("SELECT count(*) FROM t")
        finally:
            await pool.close()

    assert run(go()) == [(3,)]


def test_closing_interrupts_the_running_long_read_and_refuses_the_waiting_one(db: Path) -> None:
    endless = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c"

    async def go() -> None:
        pool = ReaderPool(db, acquire_timeout=5)
        running = asyncio.ensure_future(pool.long_read(endless))
        await asyncio.sleep(0.2)  # the statement is under way (it never ends by itself)
        waiting = asyncio.ensure_future(pool.long_read("SELECT 1"))
        await asyncio.sleep(0)
        await pool.close()
        with pytest.raises(sqlite3.OperationalError, match="interrupt"):
            await running
        with pytest.raises(ReaderError):
            await waiting
        with pytest.raises(ReaderError):
            await pool.long_read("SELECT 1")

    run(go())
