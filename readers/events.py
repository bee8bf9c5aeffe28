"""Event-log reads, for feed clients resuming further back than a worker's in-memory ring."""

from __future__ import annotations

import sqlite3

from .pool import ReaderPool

__all__ = ["events_page"]


def _events_page(conn: sqlite3.Connection, since: int, until: int, limit: int) -> list[tuple[int, bytes]] | None:
    (first,) = conn.execute("SELECT min(seq) FROM events").fetchone()
    if first is None or first > since + 1:
        return None
    rows = conn.execute(
        "SELECT seq, payload FROM events WHERE seq > ? AND seq <= ? ORDER BY seq LIMIT ?", (since, until, limit)
    ).fetchall()
    return [(seq, bytes(payload)) for seq, payload in rows]


async def events_page(pool: ReaderPool, since: int, until: int, limit: int) -> list[tuple[int, bytes]] | None:
    """Up to `limit` events with since < seq <= until in order, or None when some were already pruned."""
    # On the pool's threads, one snapshot, pages of SGP_WS_REPLAY_PAGE: not on the long-read lane, where a
    # closing report could hold every feed resume of this worker past the acquire timeout.
    return await pool.read(_events_page, since, until, limit)
