"""The event log's SQL on the writer side, in one place: append, bounds, replay page, prune.

Every committed change appends one row to `events` in the same transaction
(`append`, called by the command context); subscribers catch up from it
(`first_seq`, `page_after`), maintenance prunes it (`prune`). Readers in API
workers have their own read of it (readers/events.py) on read-only connections.
"""

from __future__ import annotations

import sqlite3

from ipc.protocol import Event

__all__ = ["append", "last_seq", "first_seq", "page_after", "prune", "PRUNE_ROUND"]

# Rows deleted per prune round at most, so one prune never holds the write lock for long.
PRUNE_ROUND = 10_000

_APPEND = "INSERT INTO events (seq, type, order_id, at, payload) VALUES (?, ?, ?, ?, ?)"


def append(conn: sqlite3.Connection, seq: int, type_: str, order_id: int | None, at: float, payload: bytes) -> None:
    """Append one event (inside the command's transaction)."""
    conn.execute(_APPEND, (seq, type_, order_id, at, payload))


def last_seq(conn: sqlite3.Connection) -> int:
    """The last committed seq (0 for an empty log)."""
    value: int = conn.execute("SELECT coalesce(max(seq), 0) FROM events").fetchone()[0]
    return value


def first_seq(conn: sqlite3.Connection) -> int | None:
    """The oldest retained seq, or None when the log is empty."""
    value: int | None = conn.execute("SELECT min(seq) FROM events").fetchone()[0]
    return value


def page_after(conn: sqlite3.Connection, seq: int, limit: int) -> list[Event]:
    """Up to `limit` events after `seq`, in order."""
    rows = conn.execute(
        "SELECT seq, type, order_id, payload FROM events WHERE seq > ? ORDER BY seq LIMIT ?", (seq, limit)
    ).fetchall()
    return [Event(seq=r[0], type=r[1], order_id=r[2], payload=r[3]) for r in rows]


def prune(conn: sqlite3.Connection, *, keep_after_seq: int, older_than: float) -> int:
    """Delete events both at or before `keep_after_seq` and older than `older_than` (one bounded round)."""
    # Feed clients asking for pruned history get a reset.
    return conn.execute(
        "DELETE FROM events WHERE seq IN (SELECT seq FROM events WHERE seq <= ? AND at < ? ORDER BY seq LIMIT ?)",
        (keep_after_seq, older_than, PRUNE_ROUND),
    ).rowcount
