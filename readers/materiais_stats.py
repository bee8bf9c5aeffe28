"""Material consumption reads: the report index's items of non-cancelled pedidos, grouped in SQL."""

from __future__ import annotations

import sqlite3
from typing import Any

from .pool import ReaderPool
from .sqlexpr import date_range

__all__ = ["MaterialGroup", "material_groups"]

# (day, fabric as stored or "", tipo_producao or "", items, m², overloque, elástico, ilhós, emenda,
#  items with eyelets, eyelets)
MaterialGroup = tuple[str, str, str, int, float, int, int, int, int, int, int]


def _groups(conn: sqlite3.Connection, start: str | None, end: str | None, tipo: str | None) -> list[MaterialGroup]:
    params: list[Any] = []
    where = date_range("ri.data_entrada", start, end, params)
    if tipo is not None:
        where += " AND ri.tipo_producao = ?"
        params.append(tipo)
    rows = conn.execute(
        # Grouped in idx_report_itens_materiais order (no sort); a stored datetime is cut to its day in Python.
        "SELECT ri.data_entrada, coalesce(ri.tecido, ''), coalesce(ri.tipo_producao, ''), "
        "count(*), sum(ri.consumo_m2), sum(ri.overloque), sum(ri.elastico), sum(ri.ilhos), sum(ri.emenda), "
        "sum(ri.qtd_ilhos > 0), sum(ri.qtd_ilhos) "
        f"FROM report_itens AS ri WHERE {where} AND ri.status != 'cancelado' "
        "GROUP BY ri.data_entrada, ri.tecido, ri.tipo_producao",
        params,
    ).fetchall()
    return [(d[:10], *rest) for d, *rest in rows]


async def material_groups(
    pool: ReaderPool, *, start: str | None, end: str | None, tipo: str | None
) -> list[MaterialGroup]:
    """Per (day, fabric, type): items, m² consumed and finishing counts, over pedidos entered in [start, end]."""
    return await pool.read(_groups, start, end, tipo)
