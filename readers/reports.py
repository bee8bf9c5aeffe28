"""Closing reports (fechamentos): aggregates computed inside SQLite over an indexed date range.

Money is summed as integer cents in SQL (each stored "12.34" string becomes
1234 exactly) and formatted with Decimal by the caller, never as float sums.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any, Literal

from .pool import ReaderPool
from .sqlexpr import DOC, ITEMS, cents, date_range, item_quantity, register_functions

__all__ = [
    "RANKING_CATEGORIES",
    "ReportFilter",
    "ranking_rows",
    "report_pedido_docs",
    "statistics_row",
    "trend_rows",
    "where_clause",
]

DateMode = Literal["entrada", "entrega", "qualquer"]
RANKING_CATEGORIES = ("vendedor", "designer", "cliente", "tipo_producao")
_PERIOD = {
    "day": "substr(p.{col}, 1, 10)",
    "week": "strftime('%Y-W%W', substr(p.{col}, 1, 10))",
    "month": "substr(p.{col}, 1, 7)",
}


@dataclass(frozen=True)
class ReportFilter:
    """Filters every report takes, validated by the API (names already folded)."""

    start: str | None = None
    end: str | None = None
    date_mode: DateMode = "entrada"
    status: str | None = None
    cliente: str | None = None  # folded substring
    vendedor: str | None = None  # folded, equal to an item's vendedor
    designer: str | None = None  # folded, equal to an item's designer


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def where_clause(f: ReportFilter, params: list[Any]) -> str:
    """The WHERE of a report over `pedidos AS p`; the date range is the indexed part."""
    if f.date_mode == "qualquer":
        entrada = date_range("p.data_entrada", f.start, f.end, params)
        entrega = date_range("p.data_entrega", f.start, f.end, params)
        clauses = [f"(({entrada}) OR ({entrega}))"]
    else:
        clauses = [date_range(f"p.data_{f.date_mode}", f.start, f.end, params)]
    if f.status is not None:
        clauses.append("p.status = ?")
        params.append(f.status)
    if f.cliente:
        clauses.append("p.cliente_busca LIKE ? ESCAPE '\\'")
        params.append(f"%{_like_escape(f.cliente)}%")
    for name in ("vendedor", "designer"):
        value = getattr(f, name)
        if value:
            clauses.append(
                f"EXISTS (SELECT 1 FROM json_each({DOC}, '$.items') AS k "
                f"WHERE sgp_fold(json_extract(k.value, '$.{name}')) = ?)"
            )
            params.append(value)
    return " AND ".join(clauses)


def _statistics(conn: sqlite3.Connection, f: ReportFilter) -> tuple[int, int, int, int, int]:
    register_functions(conn)
    params: list[Any] = []
    where = where_clause(f, params)
    row = conn.execute(
        f"SELECT count(*), coalesce(sum(json_array_length({DOC}, '$.items')), 0), "
        f"coalesce(sum({_money('valor_total')}), 0), coalesce(sum({_money('valor_frete')}), 0), "
        f"coalesce(sum({_money('valor_itens')}), 0) "
        f"FROM pedidos AS p WHERE {where}",
        params,
    ).fetchone()
    return tuple(int(v) for v in row)  # type: ignore[return-value]


async def statistics_row(pool: ReaderPool, f: ReportFilter) -> tuple[int, int, int, int, int]:
    """(pedidos, items, total cents, frete cents, serviço cents) of the matching pedidos."""
    return await pool.read(_statistics, f)


def _money(field: str) -> str:
    return cents(f"json_extract({DOC}, '$.{field}')")


def _trends(conn: sqlite3.Connection, f: ReportFilter, group_by: str) -> list[tuple[str, int, int, int, int]]:
    register_functions(conn)
    params: list[Any] = []
    where = where_clause(f, params)
    column = "data_entrega" if f.date_mode == "entrega" else "data_entrada"
    period = _PERIOD[group_by].format(col=column)
    return conn.execute(
        f"SELECT {period} AS period, count(*), coalesce(sum({_money('valor_total')}), 0), "
        f"coalesce(sum({_money('valor_frete')}), 0), coalesce(sum({_money('valor_itens')}), 0) "
        f"FROM pedidos AS p WHERE {where} GROUP BY period ORDER BY period",
        params,
    ).fetchall()


async def trend_rows(pool: ReaderPool, f: ReportFilter, group_by: str) -> list[tuple[str, int, int, int, int]]:
    """(period, pedidos, total cents, frete cents, serviço cents) per day, week (YYYY-Www) or month."""
    return await pool.read(_trends, f, group_by)


def _ranking(conn: sqlite3.Connection, f: ReportFilter, category: str, limit: int) -> list[tuple[str, int, int, int]]:
    register_functions(conn)
    params: list[Any] = []
    where = where_clause(f, params)
    if category == "cliente":
        sql = (
            f"SELECT p.cliente AS name, count(*), coalesce(sum(json_array_length({DOC}, '$.items')), 0), "
            f"coalesce(sum({_money('valor_total')}), 0) FROM pedidos AS p WHERE {where} "
            "GROUP BY p.cliente_busca ORDER BY 4 DESC, 2 DESC LIMIT ?"
        )
    else:
        # Item-level: an item's value is its unit price times its units.
        unit = cents("json_extract(j.value, '$.valor_unitario')")
        value = f"{unit} * {item_quantity()}"
        name = f"trim(json_extract(j.value, '$.{category}'))"
        sql = (
            f"SELECT {name} AS name, count(DISTINCT p.id), count(*), coalesce(sum({value}), 0) "
            f"FROM pedidos AS p, {ITEMS} WHERE {where} AND coalesce({name}, '') != '' "
            f"GROUP BY sgp_fold({name}) ORDER BY 4 DESC, 2 DESC LIMIT ?"
        )
    return conn.execute(sql, (*params, limit)).fetchall()


async def ranking_rows(
    pool: ReaderPool, f: ReportFilter, category: str, limit: int
) -> list[tuple[str, int, int, int]]:
    """(name, pedidos, items, revenue cents) of the top `limit` names of a category."""
    return await pool.read(_ranking, f, category, limit)


def _docs(conn: sqlite3.Connection, f: ReportFilter, order_column: str) -> list[bytes]:
    register_functions(conn)
    params: list[Any] = []
    where = where_clause(f, params)
    rows = conn.execute(f"SELECT p.doc FROM pedidos AS p WHERE {where} ORDER BY p.{order_column}, p.id", params)
    return [bytes(r[0]) for r in rows]


async def report_pedido_docs(pool: ReaderPool, f: ReportFilter) -> list[bytes]:
    """The stored JSON of every matching pedido, oldest first (the closing report reads them raw)."""
    column = "data_entrega" if f.date_mode == "entrega" else "data_entrada"
    return await pool.read(_docs, f, column)
