"""Machine (printer) names by id, on any connection: print logs show them (catalog table `maquinas`)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable

__all__ = ["machine_names"]


def machine_names(conn: sqlite3.Connection, ids: Iterable[int]) -> dict[int, str]:
    """id -> name of the given machines (`nome` is the catalog's display name, the machine's `name`)."""
    wanted = sorted({i for i in ids if i})
    if not wanted:
        return {}
    marks = ", ".join("?" * len(wanted))
    try:
        rows = conn.execute(f"SELECT id, nome FROM maquinas WHERE id IN ({marks})", wanted).fetchall()
    except sqlite3.OperationalError:  # a database without the catalogs migration: every printer is unknown
        return {}
    return {int(i): str(n) for i, n in rows}
