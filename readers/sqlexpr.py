"""SQL expressions over the stored pedido JSON, so reports aggregate inside SQLite (no per-row Python).

`doc` is read as text: SQLite >= 3.45 would take a BLOB for its binary JSONB.
"""

from __future__ import annotations

import sqlite3

from core.text import fold

__all__ = ["DOC", "ITEMS", "cents", "num", "item_quantity", "register_functions", "date_range"]

DOC = "CAST(p.doc AS TEXT)"
# One row per item: `j.key` is the item's index, `j.value` its JSON.
ITEMS = f"json_each({DOC}, '$.items') AS j"


def num(expr: str) -> str:
    """A number from a JSON value that may be a number, `"3.5"`, `"3,5"` or `"1.234,5"` (else 0)."""
    return (
        f"(CASE WHEN typeof({expr}) IN ('integer', 'real') THEN {expr} "
        f"WHEN instr({expr}, ',') > 0 THEN CAST(replace(replace({expr}, '.', ''), ',', '.') AS REAL) "
        f"ELSE coalesce(CAST({expr} AS REAL), 0) END)"
    )


def cents(expr: str) -> str:
    """Integer cents of a stored money string ("12.34"): summed exactly, formatted with Decimal later."""
    return f"CAST(round({num(expr)} * 100) AS INTEGER)"


def item_quantity(item: str = "j.value") -> str:
    """Units of an item, as core.domain.item_quantity counts them (the quantity field of its type, at least 1)."""
    field = (
        f"CASE json_extract({item}, '$.tipo_producao') "
        "WHEN 'painel' THEN '$.quantidade_paineis' WHEN 'generica' THEN '$.quantidade_paineis' "
        "WHEN 'mesa_babado' THEN '$.quantidade_paineis' WHEN 'totem' THEN '$.quantidade_totem' "
        "WHEN 'lona' THEN '$.quantidade_lona' WHEN 'adesivo' THEN '$.quantidade_adesivo' END"
    )
    value = f"CAST(json_extract({item}, {field}) AS INTEGER)"
    return f"max(coalesce({value}, 1), 1)"


def register_functions(conn: sqlite3.Connection) -> None:
    """`sgp_fold(text)`: case- and accent-insensitive matching of names stored in item JSON."""
    conn.create_function("sgp_fold", 1, lambda v: fold(v) if isinstance(v, str) else None, deterministic=True)


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
