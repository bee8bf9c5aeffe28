"""Read paths compared: sqlite3 inline on the loop, sqlite3 on a pool thread (ReaderPool), and aiosqlite.

    python bench/readers.py [--rows 10000] [--point-ops 3000] [--list-ops 40] [--concurrency 1 8]

Builds a temp WAL database with `--rows` pedido-like rows (a JSON doc of about
600 bytes each), then for each path and concurrency runs two workloads:

- point: one row by primary key (`SELECT doc FROM t WHERE id = ?`, fetchone);
- list: every row (`SELECT id, doc FROM t ORDER BY id`, all rows fetched);
  `pool.long_read` is the path reports and the feed's history take
  (readers/long_read.py).

It prints, per path: wall latency per operation (p50, p99, mean), this
process's CPU per operation (user + system, all threads), and the longest
stall of the event loop seen by a 1 ms ticker while the workload ran (what a
read does to every other request of the worker). Nothing leaves the machine;
every loop is bounded by its operation count. A last table shows what the
lane is for: point reads on the pool's threads while several tasks read the
whole table, either on those same threads or on the long-read lane.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from functools import partial
from pathlib import Path
from typing import Any

import aiosqlite

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from readers.pool import ReaderPool

_POINT = "SELECT doc FROM t WHERE id = ?"
_LIST = "SELECT id, doc FROM t ORDER BY id"


def build(path: Path, rows: int) -> None:
    """A WAL database of `rows` pedido-like documents."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, doc TEXT NOT NULL)")
    item = {"descricao": "Painel lona 440g", "largura": "2,50", "altura": "1,20", "valor_unitario": "120,50"}
    docs = [
        (json.dumps({"numero": f"{i:06d}", "cliente": f"Cliente {i % 97}", "status": "pendente", "items": [item] * 3}),)
        for i in range(rows)
    ]
    conn.execute("BEGIN")
    conn.executemany("INSERT INTO t (doc) VALUES (?)", docs)
    conn.execute("COMMIT")
    conn.close()


def _point(conn: sqlite3.Connection, row_id: int) -> Any:
    return conn.execute(_POINT, (row_id,)).fetchone()


def _list(conn: sqlite3.Connection) -> list[Any]:
    return conn.execute(_LIST).fetchall()


class _LoopLag:
    """Longest overshoot of a 1 ms sleep while running: how long the loop was kept from other work."""

    def __init__(self) -> None:
        self.worst = 0.0
        self._task: asyncio.Task[None] | None = None

    async def _tick(self) -> None:
        while True:
            start = time.perf_counter()
            await asyncio.sleep(0.001)
            self.worst = max(self.worst, time.perf_counter() - start - 0.001)

    def __enter__(self) -> _LoopLag:
        self._task = asyncio.get_running_loop().create_task(self._tick())
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._task is not None
        self._task.cancel()


async def measure(op: Callable[[int], Awaitable[Any]], ops: int, concurrency: int) -> dict[str, float]:
    """Run `ops` calls of `op` from `concurrency` tasks; latency and CPU per op, worst loop stall."""
    latencies: list[float] = []
    per_task = max(1, ops // concurrency)

    async def client(seed: int) -> None:
        for i in range(per_task):
            start = time.perf_counter()
            await op(seed * per_task + i)
            latencies.append(time.perf_counter() - start)
            await asyncio.sleep(0)  # let other tasks (the ticker) run between reads, as a server would

    await op(0)  # warm: connections opened, statement cached
    cpu0, wall0 = time.process_time(), time.perf_counter()
    with _LoopLag() as lag:
        await asyncio.gather(*(client(c) for c in range(concurrency)))
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    latencies.sort()
    n = len(latencies)
    return {
        "p50_ms": latencies[n // 2] * 1e3,
        "p99_ms": latencies[min(n - 1, int(n * 0.99))] * 1e3,
        "mean_ms": statistics.fmean(latencies) * 1e3,
        "cpu_ms_per_op": cpu / n * 1e3,
        "ops_per_s": n / wall,
        "max_loop_stall_ms": lag.worst * 1e3,
    }


async def run(
    db: Path, rows: int, point_ops: int, list_ops: int, concurrency: int
) -> list[tuple[str, str, dict[str, float]]]:
    """Every path and workload at one concurrency."""
    pool = ReaderPool(db, size=4)
    uri = f"{db.resolve().as_uri()}?mode=ro"
    aconn = await aiosqlite.connect(uri, uri=True, isolation_level=None)
    await aconn.execute("PRAGMA query_only=1")
    results: list[tuple[str, str, dict[str, float]]] = []

    async def a_point(i: int) -> Any:
        async with aconn.execute(_POINT, (i % rows + 1,)) as cursor:
            return await cursor.fetchone()

    async def a_list(_: int) -> Any:
        return await aconn.execute_fetchall(_LIST)

    async def a_iter(_: int) -> int:
        count = 0
        async with aconn.execute(_LIST) as cursor:
            async for _row in cursor:  # streamed, 64 rows per thread hop (aiosqlite's default)
                count += 1
        return count

    async def lane(_: int) -> list[Any]:
        # What readers/reports.py does: the pool's long-read lane (aiosqlite, one snapshot, rows fetched whole).
        async with pool.long_read() as conn:
            return list(await conn.execute_fetchall(_LIST))

    try:
        paths: list[tuple[str, str, Callable[[int], Awaitable[Any]], int]] = [
            ("point", "sqlite3 inline", lambda i: pool.read(_point, i % rows + 1, inline=True), point_ops),
            ("point", "sqlite3 pool thread", lambda i: pool.read(_point, i % rows + 1), point_ops),
            ("point", "aiosqlite", a_point, point_ops),
            ("list", "sqlite3 inline", lambda i: pool.read(_list, inline=True), list_ops),
            ("list", "sqlite3 pool thread", lambda i: pool.read(_list), list_ops),
            ("list", "aiosqlite fetchall", a_list, list_ops),
            ("list", "aiosqlite async for 64", a_iter, list_ops),
            ("list", "pool.long_read", lane, list_ops),
        ]
        for workload, name, op, ops in paths:
            # aiosqlite has one thread per connection: concurrent calls queue on it.
            results.append((workload, name, await measure(op, ops, concurrency)))
    finally:
        await aconn.close()
        await pool.close()
    return results


async def _long_loop(pool: ReaderPool, lane: bool, done: asyncio.Event) -> None:
    for _ in range(1000):  # bounded; ends when the short reads are done
        if done.is_set():
            return
        if lane:
            async with pool.long_read() as conn:
                await conn.execute_fetchall(_LIST)
        else:
            await pool.read(_list)


async def interference(db: Path, rows: int, ops: int, long_readers: int) -> list[tuple[str, dict[str, float]]]:
    """Short reads on the pool's threads while `long_readers` tasks run full-table reads, by each long path."""
    results: list[tuple[str, dict[str, float]]] = []
    for name, lane in (("pool thread", False), ("pool.long_read", True)):
        pool = ReaderPool(db, size=4, acquire_timeout=60)
        done = asyncio.Event()
        try:
            await pool.read(_list)
            tasks = [asyncio.ensure_future(_long_loop(pool, lane, done)) for _ in range(long_readers)]
            await asyncio.sleep(0.05)
            results.append((name, await measure(partial(_short, pool, rows), ops, 1)))
            done.set()
            await asyncio.gather(*tasks)
        finally:
            await pool.close()
    return results


async def _short(pool: ReaderPool, rows: int, i: int) -> Any:
    return await pool.read(_point, i % rows + 1)


def main(argv: list[str] | None = None) -> int:
    """Build the database, run every path, print one table per concurrency."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--point-ops", type=int, default=3000)
    parser.add_argument("--list-ops", type=int, default=40)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 8])
    parser.add_argument("--long-readers", type=int, default=6, help="full-table readers running meanwhile")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.sqlite3"
        build(db, args.rows)
        print(f"python {sys.version.split()[0]}, sqlite {sqlite3.sqlite_version}, aiosqlite {aiosqlite.__version__}")
        print(f"{args.rows} rows; point {args.point_ops} ops, list {args.list_ops} ops (all {args.rows} rows each)")
        for concurrency in args.concurrency:
            print(f"\nconcurrency {concurrency}")
            header = f"{'workload':8} {'path':23} {'p50 ms':>8} {'p99 ms':>8} {'mean ms':>8} {'CPU ms/op':>10} {'ops/s':>9} {'loop stall ms':>14}"
            print(header)
            for workload, name, r in asyncio.run(run(db, args.rows, args.point_ops, args.list_ops, concurrency)):
                print(
                    f"{workload:8} {name:23} {r['p50_ms']:8.3f} {r['p99_ms']:8.3f} {r['mean_ms']:8.3f} "
                    f"{r['cpu_ms_per_op']:10.3f} {r['ops_per_s']:9.0f} {r['max_loop_stall_ms']:14.2f}"
                )
        print(
            f"\npoint reads on the pool's threads while {args.long_readers} tasks read the whole table, by their path"
        )
        print(f"{'long reads via':23} {'p50 ms':>8} {'p99 ms':>8} {'mean ms':>8}")
        for name, r in asyncio.run(interference(db, args.rows, args.point_ops // 10, args.long_readers)):
            print(f"{name:23} {r['p50_ms']:8.3f} {r['p99_ms']:8.3f} {r['mean_ms']:8.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
