"""Closing reports (fechamentos): aggregates over the report index (writer/report_index.py), by date range.

The report tables hold each pedido's totals and each item's value as integer
cents, so sums are exact and formatted with Decimal by the caller; a year of
pedidos is a range on an index of narrow rows, never a parse of their JSON.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from core.text import fold

from .pool import ReaderPool
from .sqlexpr import date_range, in_list, spellings

__all__ = [
    "RANKING_CATEGORIES",
    "ReportFilter",
    "ranking_rows",
    "report_units",
    "report_pedido_docs",
    "statistics_row",
    "trend_rows",
]

DateMode = Literal["entrada", "entrega", "qualquer"]
RANKING_CATEGORIES = ("vendedor", "designer", "cliente", "tipo_producao")
_PERIOD = {
    "day": "substr(rp.{col}, 1, 10)",
    "week": "strftime('%Y-W%W', substr(rp.{col}, 1, 10))",
    "month": "substr(rp.{col}, 1, 7)",
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


def _where(conn: sqlite3.Connection, f: ReportFilter, params: list[Any], t: str = "rp") -> str:
    """The WHERE over `report_pedidos AS rp` or `report_itens AS ri` (`t`); the date range is the key's prefix."""
    if f.date_mode == "qualquer":
        entrada = date_range(f"{t}.data_entrada", f.start, f.end, params)
        entrega = date_range(f"{t}.data_entrega", f.start, f.end, params)
        clauses = [f"(({entrada}) OR ({entrega}))"]
    else:
        clauses = [date_range(f"{t}.data_{f.date_mode}", f.start, f.end, params)]
    if f.status is not None:
        clauses.append(f"{t}.status = ?")
        params.append(f.status)
    if f.cliente:
        clauses.append(f"{t}.cliente_busca LIKE ? ESCAPE '\\'")
        params.append(f"%{_like_escape(f.cliente)}%")
    for column in ("vendedor", "designer"):
        wanted = getattr(f, column)
        if wanted:
            names = in_list(spellings(conn, column, wanted), params)
            # Not correlated: SQLite builds the set of pedido ids once (idx_report_itens_<column>).
            clauses.append(f"{t}.pedido_id IN (SELECT x.pedido_id FROM report_itens AS x WHERE x.{column} IN {names})")
    return " AND ".join(clauses)


def _statistics(conn: sqlite3.Connection, f: ReportFilter) -> tuple[int, ...]:
    params: list[Any] = []
    where = _where(conn, f, params)
    row = conn.execute(
        "SELECT count(*), coalesce(sum(n_itens), 0), coalesce(sum(total_cents), 0), coalesce(sum(frete_cents), 0), "
        f"coalesce(sum(itens_cents), 0) FROM report_pedidos AS rp WHERE {where}",
        params,
    ).fetchone()
    return tuple(int(v) for v in row)


async def statistics_row(pool: ReaderPool, f: ReportFilter) -> tuple[int, ...]:
    """(pedidos, items, total cents, frete cents, serviço cents) of the matching pedidos."""
    return await pool.read(_statistics, f)


def _trends(conn: sqlite3.Connection, f: ReportFilter, group_by: str) -> list[tuple[str, int, int, int, int]]:
    params: list[Any] = []
    where = _where(conn, f, params)
    period = _PERIOD[group_by].format(col="data_entrega" if f.date_mode == "entrega" else "data_entrada")
    return conn.execute(
        f"SELECT {period} AS period, count(*), sum(total_cents), sum(frete_cents), sum(itens_cents) "
        f"FROM report_pedidos AS rp WHERE {where} GROUP BY period ORDER BY period",
        params,
    ).fetchall()


async def trend_rows(pool: ReaderPool, f: ReportFilter, group_by: str) -> list[tuple[str, int, int, int, int]]:
    """(period, pedidos, total cents, frete cents, serviço cents) per day, week (YYYY-Www) or month."""
    return await pool.read(_trends, f, group_by)


def _ranking(conn: sqlite3.Connection, f: ReportFilter, category: str, limit: int) -> list[tuple[str, int, int, int]]:
    params: list[Any] = []
    where = _where(conn, f, params, "rp" if category == "cliente" else "ri")
    if category == "cliente":
        rows = conn.execute(
            "SELECT max(rp.cliente), rp.cliente_busca, count(*), sum(n_itens), sum(total_cents) "
            f"FROM report_pedidos AS rp WHERE {where} GROUP BY rp.cliente_busca",
            params,
        ).fetchall()
        ranked = [(name, pedidos, items, revenue) for name, _key, pedidos, items, revenue in rows]
    else:
        ranked = _item_ranking(conn, category, where, params)
    ranked.sort(key=lambda r: (-r[3], -r[1], r[0]))
    return ranked[:limit]


# Up to this many spellings of the names are folded inside the query (exact pedido counts); past it,
# each spelling is summed by SQL and spellings are merged here (a pedido with items under two
# spellings of one name would then count twice).
_CASE_SPELLINGS = 64


def _item_ranking(conn: sqlite3.Connection, category: str, where: str, params: list[Any]) -> list[tuple[Any, ...]]:
    """Item-level ranking rows: an item's value is its unit price times its units; spellings of a name are one."""
    distinct = f"SELECT DISTINCT {category} FROM report_itens WHERE {category} IS NOT NULL"
    spelled = [name for (name,) in conn.execute(distinct)]
    if not spelled:
        return []
    select = (
        f"SELECT max(ri.{category}), count(DISTINCT ri.pedido_id), count(*), sum(ri.valor_cents) "
        "FROM report_itens AS ri"
    )
    where = f"{where} AND ri.{category} IS NOT NULL"
    if len(spelled) <= _CASE_SPELLINGS:
        # A CASE keeps this one scan of the date range (a join would walk an index once per spelling).
        key = f"CASE ri.{category} " + " ".join("WHEN ? THEN ?" for _ in spelled) + " END"
        keys = [v for name in spelled for v in (name, fold(name))]
        return [tuple(r) for r in conn.execute(f"{select} WHERE {where} GROUP BY {key}", [*params, *keys])]
    merged: dict[str, list[Any]] = {}
    for name, pedidos, items, revenue in conn.execute(f"{select} WHERE {where} GROUP BY ri.{category}", params):
        entry = merged.setdefault(fold(name), [name, 0, 0, 0])
        entry[1:] = [entry[1] + pedidos, entry[2] + items, entry[3] + revenue]
    return [tuple(e) for e in merged.values()]


async def ranking_rows(pool: ReaderPool, f: ReportFilter, category: str, limit: int) -> list[tuple[str, int, int, int]]:
    """(name, pedidos, items, revenue cents) of the top `limit` names of a category (most used spelling shown)."""
    return await pool.read(_ranking, f, category, limit)


def _docs_query(conn: sqlite3.Connection, f: ReportFilter) -> tuple[str, list[Any]]:
    params: list[Any] = []
    where = _where(conn, f, params)
    order = "rp.data_entrega" if f.date_mode == "entrega" else "rp.data_entrada"
    sql = (
        f"SELECT p.doc FROM report_pedidos AS rp JOIN pedidos AS p ON p.id = rp.pedido_id "
        f"WHERE {where} ORDER BY {order}, rp.pedido_id"
    )
    return sql, params


async def _long_rows(
    pool: ReaderPool, build: Callable[[sqlite3.Connection, ReportFilter], tuple[str, list[Any]]], f: ReportFilter
) -> list[Any]:
    """Every row of a period's query, on the long-read lane (readers/long_read.py)."""
    # Building the query reads nothing unless names are filtered (their distinct spellings: an index
    # scan, on a thread); the period's rows go through the lane, one statement. A name spelled a new
    # way and committed between the two reads is missed by this answer only (the next one has it).
    sql, params = await pool.read(build, f, inline=not (f.vendedor or f.designer))
    return await pool.long_read(sql, params)


async def report_pedido_docs(pool: ReaderPool, f: ReportFilter) -> list[bytes]:
    """The stored JSON of every matching pedido, oldest first (the closing report reads them raw)."""
    rows = await _long_rows(pool, _docs_query, f)
    return [bytes(row[0]) for row in rows]


# (pedido_id, numero, cliente, forma_envio, data_entrada, data_entrega, frete cents,
#  item index or None, descricao, tipo_producao, designer, vendedor, item value cents or None)
ReportUnit = tuple[Any, ...]


def _units_query(conn: sqlite3.Connection, f: ReportFilter) -> tuple[str, list[Any]]:
    params: list[Any] = []
    where = _where(conn, f, params)
    order = "rp.data_entrega" if f.date_mode == "entrega" else "rp.data_entrada"
    sql = (
        "SELECT rp.pedido_id, rp.numero, rp.cliente, rp.forma_envio, rp.data_entrada, rp.data_entrega, "
        "rp.frete_cents, ri.idx, ri.descricao, ri.tipo_producao, ri.designer, ri.vendedor, ri.valor_cents "
        "FROM report_pedidos AS rp LEFT JOIN report_itens AS ri "
        "ON ri.data_entrada = rp.data_entrada AND ri.pedido_id = rp.pedido_id "
        f"WHERE {where} ORDER BY {order}, rp.pedido_id, ri.idx"
    )
    return sql, params


async def report_units(pool: ReaderPool, f: ReportFilter) -> list[ReportUnit]:
    """One row per item of each matching pedido (one with a NULL item for a pedido without items)."""
    return await _long_rows(pool, _units_query, f)
