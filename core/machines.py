"""Machine (printer) names by id, on any connection: print logs show them, the machines table may be absent."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable

__all__ = ["machine_names"]


def machine_names(conn: sqlite3.Connection, ids: Iterable[int]) -> dict[int, str]:
    """id -> name of the given machines; empty when this database has no machines table yet."""
    wanted = sorted({i for i in ids if i})
    if not wanted:
        return {}
    marks = ", ".join("?" * len(wanted))
    try:
        rows = conn.execute(f"SELECT id, name FROM machines WHERE id IN ({marks})", wanted).fetchall()
    except sqlite3.OperationalError:  # no catalogs migration on this database: every printer is unknown
        return {}
    return {int(i): str(n) for i, n in rows}
