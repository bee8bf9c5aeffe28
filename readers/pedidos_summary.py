"""GET /pedidos/summary: the dashboard's figures (contract pedidos.md "GET /pedidos/summary") from one snapshot."""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime

import msgspec

from core.pedido_ops import PendenciasProducao, StatusCounts

from .pool import ReaderPool

__all__ = ["DashboardSummary", "ShippingMethod", "dashboard_summary"]

_FLAGS = ("financeiro", "conferencia", "sublimacao", "costura", "expedicao")
_OPEN_STATUSES = ("pendente", "em_producao")
_CONCLUDED_STATUSES = ("pronto", "entregue")
_OPEN = "status IN ('pendente', 'em_producao')"
_CONCLUDED = "status IN ('pronto', 'entregue')"

# Passes over the covering index idx_pedidos_painel only (the table and its docs are not read);
# cheap comparisons per row, date arithmetic per distinct date in Python.
_PER_STATUS = (
    "SELECT status, count(*), "
    + ", ".join(f"sum({flag})" for flag in _FLAGS)
    + ", sum(prioridade_rank), sum(data_entrega < :today)"
    + ", sum(data_entrada = :today OR data_criacao >= :today), sum(ultima_atualizacao >= :today)"
    # Updated on or before the delivery date: compared as text against the end of that day.
    + ", sum(ultima_atualizacao <= coalesce(data_entrega, data_entrada) || 'T99')"
    + " FROM pedidos GROUP BY status"
)
_PRODUCTION_DAYS = (
    f"SELECT data_entrada, substr(ultima_atualizacao, 1, 10), count(*) FROM pedidos WHERE {_CONCLUDED} GROUP BY 1, 2"
)
_LATE_DAYS = f"SELECT data_entrega, count(*) FROM pedidos WHERE {_OPEN} AND data_entrega < :today GROUP BY 1"
_SHIPPING = (
    "SELECT coalesce(nullif(forma_envio, ''), 'Não especificado') AS name, "
    "count(*) AS n FROM pedidos GROUP BY name ORDER BY n DESC, name LIMIT 5"
)
_RECENT = "SELECT doc FROM pedidos WHERE status != 'cancelado' ORDER BY data_criacao DESC, id DESC LIMIT 5"
_URGENT = (
    f"SELECT doc FROM pedidos WHERE prioridade_rank = 1 AND {_OPEN} "
    "ORDER BY data_entrega IS NULL, data_entrega, id LIMIT 5"
)


class ShippingMethod(msgspec.Struct):
    """One of the five most used shipping methods."""

    name: str
    count: int
    percentage: float


class DashboardSummary(msgspec.Struct, kw_only=True):
    """The dashboard's figures (the client's names), plus per-status counts and pending production steps."""

    total: int
    pendentes: int
    em_producao: int
    concluidos: int
    concluidos_hoje: int
    atrasados: int
    urgentes: int
    hoje: int
    efficiency_rate: int
    avg_production_time: int
    avg_delay_time: int
    production_efficiency: dict[str, int]
    shipping_methods: list[ShippingMethod]
    status_counts: StatusCounts
    recent_orders: list[msgspec.Raw]
    urgent_orders: list[msgspec.Raw]
    em_aberto: int
    por_status: StatusCounts
    pendencias_producao: PendenciasProducao


def _pct(part: float, whole: float) -> int:
    return round(100 * part / whole) if whole else 0


def _days(later: str, earlier: str) -> int:
    try:
        return (date.fromisoformat(later[:10]) - date.fromisoformat(earlier[:10])).days
    except (TypeError, ValueError):
        return 0  # a stored date the client could not have sent: left out of the mean


def _read(conn: sqlite3.Connection, today: str) -> DashboardSummary:
    counts: dict[str, int] = {}
    done = dict.fromkeys(_FLAGS, 0)
    pending = dict.fromkeys(_FLAGS, 0)
    urgentes = atrasados = hoje = concluidos_hoje = on_time = non_cancelled = 0
    for row in conn.execute(_PER_STATUS, {"today": today}):
        status, n = row[0], row[1]
        flags = [v or 0 for v in row[2:7]]
        alta, late, today_n, updated_today, timely = (v or 0 for v in row[7:12])
        counts[status] = n
        hoje += today_n
        if status != "cancelado":
            non_cancelled += n
            for flag, value in zip(_FLAGS, flags, strict=True):
                done[flag] += value
        if status not in ("entregue", "cancelado"):
            for flag, value in zip(_FLAGS, flags, strict=True):
                pending[flag] += n - value
        if status in _OPEN_STATUSES:
            urgentes += alta
            atrasados += late
        elif status in _CONCLUDED_STATUSES:
            concluidos_hoje += updated_today
            on_time += timely
    production_days = sum(_days(updated, entrada) * n for entrada, updated, n in conn.execute(_PRODUCTION_DAYS))
    delay_days = sum(_days(today, entrega) * n for entrega, n in conn.execute(_LATE_DAYS, {"today": today}))
    total = sum(counts.values())
    concluidos = counts.get("pronto", 0) + counts.get("entregue", 0)
    shipping = [
        ShippingMethod(name=name, count=n, percentage=round(100 * n / total, 1) if total else 0.0)
        for name, n in conn.execute(_SHIPPING)
    ]
    status_counts = StatusCounts(**counts)
    return DashboardSummary(
        total=total,
        pendentes=counts.get("pendente", 0),
        em_producao=counts.get("em_producao", 0),
        concluidos=concluidos,
        concluidos_hoje=concluidos_hoje,
        atrasados=atrasados,
        urgentes=urgentes,
        hoje=hoje,
        efficiency_rate=_pct(on_time, concluidos),
        avg_production_time=round(production_days / concluidos) if concluidos else 0,
        avg_delay_time=round(delay_days / atrasados) if atrasados else 0,
        production_efficiency={flag: _pct(done[flag], non_cancelled) for flag in _FLAGS},
        shipping_methods=shipping,
        status_counts=status_counts,
        recent_orders=[msgspec.Raw(r[0]) for r in conn.execute(_RECENT)],
        urgent_orders=[msgspec.Raw(r[0]) for r in conn.execute(_URGENT)],
        em_aberto=total - counts.get("entregue", 0) - counts.get("cancelado", 0),
        por_status=status_counts,
        pendencias_producao=PendenciasProducao(**pending),
    )


async def dashboard_summary(pool: ReaderPool) -> DashboardSummary:
    """The dashboard's figures; reads every row's columns once, on a reader thread."""
    today = datetime.now(UTC).date().isoformat()
    return await pool.read(_read, today)
