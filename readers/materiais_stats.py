"""Material consumption reads: item rows of non-cancelled pedidos grouped by day, fabric and type, in SQL."""

from __future__ import annotations

import sqlite3
from typing import Any

from .pool import ReaderPool
from .sqlexpr import ITEMS, date_range, num

__all__ = ["MaterialGroup", "material_groups"]

# (day, fabric as stored, tipo_producao, items, m², overloque, elástico, ilhós, emenda, items with eyelets, eyelets)
MaterialGroup = tuple[str, str, str, int, float, int, int, int, int, int, int]

_QUANTITIES = ("quantidade_paineis", "quantidade_lona", "quantidade_adesivo", "quantidade_totem")


def _sql(where: str, tipo_filter: str) -> str:
    # An item consumes its m² (else width x height, else 1) times its first positive quantity (else 1).
    area = (
        f"CASE WHEN {num('m2')} > 0 THEN {num('m2')} "
        f"WHEN {num('lg')} * {num('al')} > 0 THEN {num('lg')} * {num('al')} ELSE 1.0 END"
    )
    quantity = "CASE " + " ".join(f"WHEN {num(f'q{i}')} > 0 THEN {num(f'q{i}')}" for i in range(4)) + " ELSE 1.0 END"
    extracted = ", ".join(f"json_extract(j.value, '$.{name}') AS q{i}" for i, name in enumerate(_QUANTITIES))
    return (
        "WITH f AS (SELECT substr(p.data_entrada, 1, 10) AS d, "
        "coalesce(trim(json_extract(j.value, '$.tecido')), '') AS tecido, "
        "coalesce(json_extract(j.value, '$.tipo_producao'), '') AS tipo, "
        "json_extract(j.value, '$.metro_quadrado') AS m2, json_extract(j.value, '$.largura') AS lg, "
        f"json_extract(j.value, '$.altura') AS al, {extracted}, "
        "coalesce(json_extract(j.value, '$.acabamento.overloque'), 0) AS ov, "
        "coalesce(json_extract(j.value, '$.acabamento.elastico'), 0) AS el, "
        "coalesce(json_extract(j.value, '$.acabamento.ilhos'), 0) AS il, "
        "coalesce(json_extract(j.value, '$.emenda'), '') AS em, "
        "coalesce(CAST(json_extract(j.value, '$.quantidade_ilhos') AS INTEGER), 0) AS qi "
        f"FROM pedidos AS p, {ITEMS} WHERE {where} AND p.status != 'cancelado'{tipo_filter}) "
        f"SELECT d, tecido, tipo, count(*), sum(({area}) * ({quantity})), sum(ov = 1), sum(el = 1), sum(il = 1), "
        "sum(em NOT IN ('', 'sem-emenda')), sum(qi > 0), sum(max(qi, 0)) FROM f GROUP BY d, tecido, tipo"
    )


def _groups(conn: sqlite3.Connection, start: str | None, end: str | None, tipo: str | None) -> list[MaterialGroup]:
    params: list[Any] = []
    where = date_range("p.data_entrada", start, end, params)
    tipo_filter = ""
    if tipo is not None:
        tipo_filter = " AND json_extract(j.value, '$.tipo_producao') = ?"
        params.append(tipo)
    return conn.execute(_sql(where, tipo_filter), params).fetchall()


async def material_groups(
    pool: ReaderPool, *, start: str | None, end: str | None, tipo: str | None
) -> list[MaterialGroup]:
    """Per (day, fabric, type): items, m² consumed and finishing counts, over pedidos entered in [start, end]."""
    return await pool.read(_groups, start, end, tipo)
