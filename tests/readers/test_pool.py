"""The reader pool: reads on threads or inline, one snapshot per read, never a write."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from pathlib import Path

import pytest

from readers.pool import PoolTimeout, ReaderPool
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


def test_a_long_read_is_one_snapshot_on_aiosqlites_thread_and_never_writes(db: Path) -> None:
    writer = sqlite3.connect(db, isolation_level=None)

    async def go() -> tuple[list[tuple[int, str]], int, bool]:
        pool = ReaderPool(db)
        try:
            async with pool.long_read() as conn:
                rows = list(await conn.execute_fetchall("SELECT id, v FROM t ORDER BY id"))
                writer.execute("INSERT INTO t (v) VALUES ('d')")  # committed after the snapshot began
                count = (await (await conn.execute("SELECT count(*) FROM t")).fetchone() or (0,))[0]
                inside = conn.in_transaction
                with pytest.raises(sqlite3.OperationalError):
                    await conn.execute("INSERT INTO t (v) VALUES ('x')")
            return rows, count, inside
        finally:
            await pool.close()

    rows, count, inside = run(go())
    assert rows == [(1, "a"), (2, "b"), (3, "c")]
    assert count == 3 and inside  # the row committed meanwhile is not in this snapshot
    assert writer.execute("SELECT count(*) FROM t").fetchone() == (4,)


def test_the_long_read_lane_runs_off_the_loop_and_one_read_at_a_time(db: Path) -> None:
    threads: list[str] = []

    def where(*_: object) -> int:
        threads.append(threading.current_thread().name)
        return 1

    async def go() -> None:
        pool = ReaderPool(db, acquire_timeout=0.1)
        try:
            async with pool.long_read() as conn:
                await conn.create_function("where_am_i", 0, where)
                await conn.execute_fetchall("SELECT where_am_i()")
                with pytest.raises(PoolTimeout):  # the lane is lent to one read at a time
                    async with pool.long_read():
                        pass
            pool.recycle()  # after a writer restart: a fresh connection at the next use
            async with pool.long_read() as conn:
                assert list(await conn.execute_fetchall("SELECT count(*) FROM t")) == [(3,)]
        finally:
            await pool.close()

    run(go())
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


def test_a_cancelled_long_read_leaves_the_lane_usable(db: Path) -> None:
    async def go() -> list[tuple[int]]:
        pool = ReaderPool(db, acquire_timeout=1)
        entered = asyncio.Event()

        async def hold() -> None:
            async with pool.long_read():
                entered.set()
                await asyncio.Event().wait()  # until cancelled (a feed client went away mid-replay)

        try:
            task = asyncio.ensure_future(hold())
            await entered.wait()
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            async with pool.long_read() as conn:
                assert conn.in_transaction
                return list(await conn.execute_fetchall("SELECT count(*) FROM t"))
        finally:
            await pool.close()

    assert run(go()) == [(3,)]
