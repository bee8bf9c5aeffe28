"""The feed's history read (events_page) on the long-read lane: pages in order, None once pruned."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from readers.events import events_page
from readers.pool import ReaderPool
from tests.support import run


def _log(tmp_path: Path, seqs: range) -> Path:
    path = tmp_path / "db.sqlite3"
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE events (seq INTEGER PRIMARY KEY, type TEXT, order_id INTEGER, at REAL, payload BLOB)")
    conn.executemany(
        "INSERT INTO events VALUES (?, 'order_updated', 1, 0, ?)", [(seq, f'{{"seq":{seq}}}'.encode()) for seq in seqs]
    )
    conn.close()
    return path


def _pages(db: Path, *calls: tuple[int, int, int]) -> list[list[tuple[int, bytes]] | None]:
    async def go() -> list[list[tuple[int, bytes]] | None]:
        pool = ReaderPool(db)
        try:
            return [await events_page(pool, *call) for call in calls]
        finally:
            await pool.close()

    return run(go())


def test_a_page_is_the_events_after_since_up_to_until_in_order(tmp_path: Path) -> None:
    db = _log(tmp_path, range(1, 11))
    page, last, empty = _pages(db, (0, 10, 3), (7, 9, 10), (10, 10, 5))
    assert page == [(1, b'{"seq":1}'), (2, b'{"seq":2}'), (3, b'{"seq":3}')]
    assert last == [(8, b'{"seq":8}'), (9, b'{"seq":9}')]
    assert empty == []


def test_a_resume_from_before_the_retained_log_is_none(tmp_path: Path) -> None:
    db = _log(tmp_path, range(5, 11))  # 1..4 were pruned
    assert _pages(db, (2, 10, 5), (4, 10, 1)) == [None, [(5, b'{"seq":5}')]]
    (tmp_path / "empty").mkdir()
    assert _pages(_log(tmp_path / "empty", range(0)), (0, 10, 5)) == [None]  # nothing retained at all
