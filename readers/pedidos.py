"""Pedido reads: every query is one short read transaction on a pooled read-only connection."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from core.pedido_ops import PedidoSummary, PendenciasProducao, StatusCounts

from .pool import ReaderPool

__all__ = [
    "PedidoFilter",
    "SUMMARY_QUERY",
    "count_pedidos",
    "get_draft_doc",
    "get_pedido_doc",
    "list_draft_docs",
    "index_bounded",
    "list_pedido_docs",
    "list_pedido_docs_at",
    "DataVersion",
    "data_version",
    "list_query",
    "pedido_summary",
    "json_array",
]

DateMode = Literal["entrada", "entrega", "qualquer"]


@dataclass(frozen=True)
class PedidoFilter:
    """List filters, already validated and normalised by the API."""

    status: str | None = None
    cliente_folded: str | None = None
    data_inicio: date | None = None
    data_fim: date | None = None
    date_mode: DateMode = "entrada"
    is_pronto: bool | None = None
    skip: int = 0
    limit: int = 100


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _range(column: str, f: PedidoFilter, params: list[Any], status: str | None = None) -> str:
    parts = []
    if status is not None:
        parts.append("status = ?")
        params.append(status)
    if f.data_inicio is not None:
        parts.append(f"{column} >= ?")
        params.append(f.data_inicio.isoformat())
    if f.data_fim is not None:
        parts.append(f"{column} <= ?")
        params.append(f.data_fim.isoformat())
    return " AND ".join(parts)


def _where(f: PedidoFilter) -> tuple[str, list[Any]]:
    clauses: list[str] = []
    params: list[Any] = []
    dated = f.data_inicio is not None or f.data_fim is not None
    # With "qualquer", status is tested inside each side of the OR instead, so that each
    # side is a range on its own (status, date) index (SQLite does not distribute the AND).
    status_in_or = dated and f.date_mode == "qualquer"
    if f.status is not None and not status_in_or:
        clauses.append("status = ?")
        params.append(f.status)
    if f.cliente_folded:
        clauses.append("cliente_busca LIKE ? ESCAPE '\\'")
        params.append(f"%{_like_escape(f.cliente_folded)}%")
    if f.is_pronto is not None:
        clauses.append("pronto = ?")
        params.append(int(f.is_pronto))
    if dated:
        if status_in_or:
            entrada = _range("data_entrada", f, params, f.status)
            entrega = _range("data_entrega", f, params, f.status)
            clauses.append(f"(({entrada}) OR ({entrega}))")
        else:
            clauses.append(_range("data_entrada" if f.date_mode == "entrada" else "data_entrega", f, params))
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


def list_query(f: PedidoFilter) -> tuple[str, str, list[Any]]:
    """The page query, the count query and their shared parameters (exposed for EXPLAIN tests)."""
    where, params = _where(f)
    page = f"SELECT doc FROM pedidos{where} ORDER BY data_entrada DESC, prioridade_rank DESC, id DESC LIMIT ? OFFSET ?"
    count = f"SELECT count(*) FROM pedidos{where}"
    return page, count, params


def _pedido_or_draft(conn: sqlite3.Connection, pedido_id: int) -> tuple[bytes, int] | None:
    row = conn.execute("SELECT doc, version FROM pedidos WHERE id = ?", (pedido_id,)).fetchone()
    if row is None:
        row = conn.execute("SELECT doc, version FROM pedido_rascunhos WHERE id = ?", (pedido_id,)).fetchone()
    return None if row is None else (row[0], row[1])


async def get_pedido_doc(pool: ReaderPool, pedido_id: int) -> tuple[bytes, int] | None:
    """The stored JSON of one pedido (or draft: they share ids) and its version, or None."""
    # Primary-key lookups: cheaper on the event loop than a thread hop.
    return await pool.read(_pedido_or_draft, pedido_id, inline=True)


async def get_draft_doc(pool: ReaderPool, draft_id: int) -> tuple[bytes, int] | None:
    """The stored JSON of one draft and its version, or None."""
    row = await pool.fetchone("SELECT doc, version FROM pedido_rascunhos WHERE id = ?", (draft_id,), inline=True)
    return None if row is None else (row[0], row[1])


async def list_draft_docs(pool: ReaderPool, limit: int) -> list[bytes]:
    """Drafts, most recently saved first."""
    rows = await pool.fetchall(
        "SELECT doc FROM pedido_rascunhos ORDER BY ultima_atualizacao DESC, id DESC LIMIT ?", (limit,)
    )
    return [row[0] for row in rows]


async def count_pedidos(pool: ReaderPool, f: PedidoFilter) -> int:
    """How many pedidos match the filter (GET /pedidos/total)."""
    _, count, params = list_query(f)
    row = await pool.fetchone(count, params, inline=index_bounded(f))
    assert row is not None  # an aggregate always yields one row
    return int(row[0])


# Deeper pages walk that many index entries first, and long pages copy that many rows: read them on a thread.
INLINE_MAX_SKIP = 1000
INLINE_MAX_LIMIT = 500


def index_bounded(f: PedidoFilter) -> bool:
    """True when the page walks an index in list order (cost ~ skip + limit) and the count counts an index.

    A `cliente` substring reads every row, and a date range may sort every match:
    those lists run on a reader thread so that a long read never stalls the event loop.
    """
    return (
        f.cliente_folded is None
        and f.data_inicio is None
        and f.data_fim is None
        and f.skip <= INLINE_MAX_SKIP
        and f.limit <= INLINE_MAX_LIMIT
    )


def _page_and_count(
    conn: sqlite3.Connection, page: str, count: str, params: list[Any], limit: int, skip: int
) -> tuple[list[bytes], int]:
    rows = conn.execute(page, (*params, limit, skip)).fetchall()
    total = conn.execute(count, params).fetchone()[0]
    return [r[0] for r in rows], total


async def list_pedido_docs(pool: ReaderPool, f: PedidoFilter) -> tuple[list[bytes], int]:
    """One page of pedido JSON documents and the total matching count, from one snapshot."""
    page, count, params = list_query(f)
    return await pool.read(_page_and_count, page, count, params, f.limit, f.skip, inline=index_bounded(f))


# What the database holds, as of one snapshot: the event-log epoch and the last committed seq.
# Every write appends an event in its own transaction, so an unchanged (epoch, seq) means
# unchanged pedidos; an import or a wiped log starts a new epoch.
DataVersion = tuple[str, int]
_VERSION_QUERY = "SELECT (SELECT value FROM meta WHERE key = 'epoch'), (SELECT coalesce(max(seq), 0) FROM events)"


def _version(conn: sqlite3.Connection) -> DataVersion:
    epoch, seq = conn.execute(_VERSION_QUERY).fetchone()
    return str(epoch or ""), int(seq)


async def data_version(pool: ReaderPool) -> DataVersion:
    """The database's (epoch, last seq): two index lookups, read on the event loop."""
    return await pool.read(_version, inline=True)


def _page_count_version(
    conn: sqlite3.Connection, page: str, count: str, params: list[Any], limit: int, skip: int
) -> tuple[list[bytes], int, DataVersion]:
    docs, total = _page_and_count(conn, page, count, params, limit, skip)
    return docs, total, _version(conn)


async def list_pedido_docs_at(pool: ReaderPool, f: PedidoFilter) -> tuple[list[bytes], int, DataVersion]:
    """Like `list_pedido_docs`, plus the data version of the same snapshot (what the page is as of)."""
    page, count, params = list_query(f)
    return await pool.read(_page_count_version, page, count, params, f.limit, f.skip, inline=index_bounded(f))


_PRODUCTION_FLAGS = ("financeiro", "conferencia", "sublimacao", "costura", "expedicao")
_CLOSED_STATUSES = frozenset({"entregue", "cancelado"})
# One pass over the covering index idx_pedidos_status_flags: the table itself is never read.
SUMMARY_QUERY = (
    "SELECT status, count(*), "
    + ", ".join(f"sum({flag} = 0)" for flag in _PRODUCTION_FLAGS)
    + " FROM pedidos GROUP BY status"
)


async def pedido_summary(pool: ReaderPool) -> PedidoSummary:
    """Counts per status and, among open pedidos, of each production step not yet done."""
    rows = await pool.fetchall(SUMMARY_QUERY)
    por_status: dict[str, int] = {}
    pending = dict.fromkeys(_PRODUCTION_FLAGS, 0)
    for status, count, *flags in rows:
        por_status[status] = count
        if status not in _CLOSED_STATUSES:
            for flag, n in zip(_PRODUCTION_FLAGS, flags, strict=True):
                pending[flag] += n
    return PedidoSummary(
        total=sum(por_status.values()),
        em_aberto=sum(n for status, n in por_status.items() if status not in _CLOSED_STATUSES),
        por_status=StatusCounts(**por_status),
        pendentes=PendenciasProducao(**pending),
    )


def json_array(docs: list[bytes]) -> bytes:
    """Join stored JSON documents into one JSON array without decoding them (one copy of the bytes)."""
    if not docs:
        return b"[]"
    # Brackets go on the first and last documents (small copies), so the join is the only
    # full copy: 10001 pedidos are ~17 MB, and `b"[" + joined + b"]"` would copy them twice.
    first, last = docs[0], docs[-1]
    docs[0] = b"[" + first
    docs[-1] = (docs[-1] if len(docs) > 1 else docs[0]) + b"]"
    try:
        return b",".join(docs)
    finally:
        docs[0], docs[-1] = first, last
