"""Pieces of report SQL: date ranges by day, and matching names the way people type them."""

from __future__ import annotations

import sqlite3

from core.text import fold

__all__ = ["DOC", "date_range", "spellings", "in_list"]

# `doc` read as text: SQLite >= 3.45 would take a BLOB for its binary JSONB.
DOC = "CAST(p.doc AS TEXT)"


def date_range(column: str, start: str | None, end: str | None, params: list[object]) -> str:
    """`column` within [start, end] by day: `end` includes the whole day (dates or datetimes stored)."""
    parts = []
    if start is not None:
        parts.append(f"{column} >= ?")
        params.append(start)
    if end is not None:
        parts.append(f"{column} < ?")
        params.append(end + "\uffff")  # past every "YYYY-MM-DD..." value of that day
    return " AND ".join(parts) or "1"


def spellings(conn: sqlite3.Connection, column: str, folded: str) -> list[str]:
    """Every stored spelling of an item name (`designer`, `vendedor`) that folds to `folded`.

    Names are free text in items ("Júlia", "JULIA "); the distinct names are few
    and come from an index, so matching them in Python keeps the big query a plain IN.
    """
    rows = conn.execute(f"SELECT DISTINCT {column} FROM report_itens WHERE {column} IS NOT NULL").fetchall()
    return [name for (name,) in rows if fold(name) == folded]


def in_list(values: list[str], params: list[object]) -> str:
    """`(?, ?, ...)` for `values` (`(NULL)` when empty: matches nothing)."""
    params.extend(values)
    return "(" + (", ".join("?" * len(values)) or "NULL") + ")"
