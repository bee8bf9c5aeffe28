"""The figures Safira answers with: counts over indexed columns of pedidos."""

from __future__ import annotations

from typing import Any

from .pool import ReaderPool

__all__ = ["COUNTING_INTENTS", "safira_count"]

_OPEN = "status NOT IN ('entregue', 'cancelado')"
_TODAY = "{col} >= :today AND {col} < :today || char(65535)"  # the whole day, dates or datetimes stored
_QUERIES = {
    "pedidos_hoje": "SELECT count(*) FROM pedidos WHERE " + _TODAY.format(col="data_entrada"),
    "entregas_hoje": f"SELECT count(*) FROM pedidos WHERE {_TODAY.format(col='data_entrega')} AND {_OPEN}",
    "atrasados": f"SELECT count(*) FROM pedidos WHERE data_entrega < :today AND {_OPEN}",
    "pendentes": "SELECT count(*) FROM pedidos WHERE status = 'pendente'",
    "em_producao": "SELECT count(*) FROM pedidos WHERE status = 'em_producao'",
    "prontos": "SELECT count(*) FROM pedidos WHERE status = 'pronto'",
}
COUNTING_INTENTS = frozenset(_QUERIES)


async def safira_count(pool: ReaderPool, intent: str, today: str) -> dict[str, Any]:
    """`{"count": n}` for a counting intent, `today` being YYYY-MM-DD."""
    sql = _QUERIES[intent]
    row = await pool.fetchone(sql.replace(":today", "?"), [today] * sql.count(":today"))
    assert row is not None  # an aggregate always yields one row
    return {"count": int(row[0])}
