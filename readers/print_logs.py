"""Print log reads: newest first with the client's filters, item details from the pedido, per-printer stats."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any

import msgspec

from core.machines import machine_names
from core.print_logs import PrinterStats, PrintLog, item_details, printer_name

from .pool import ReaderPool
from .sqlexpr import DOC, date_range

__all__ = ["PrintLogFilter", "list_print_logs", "printer_stats"]


@dataclass(frozen=True)
class PrintLogFilter:
    """The list's filters, validated by the API."""

    printer_id: int | None = None
    status: str | None = None
    data_inicio: str | None = None
    data_fim: str | None = None
    limit: int = 100
    offset: int = 0


# The item a log names: its stored id first, else the synthetic pedido.id*1000+index (old logs use both).
_ITEM = (
    "CASE WHEN l.item_id IS NULL OR p.id IS NULL THEN NULL ELSE coalesce("
    f"(SELECT j.value FROM json_each({DOC}, '$.items') AS j WHERE json_extract(j.value, '$.id') = l.item_id LIMIT 1), "
    f"(SELECT j.value FROM json_each({DOC}, '$.items') AS j WHERE json_type(j.value, '$.id') IS NOT 'integer' "
    "AND p.id * 1000 + j.key = l.item_id LIMIT 1)) END"
)
_encoder = msgspec.json.Encoder()


def _list(conn: sqlite3.Connection, f: PrintLogFilter) -> bytes:
    params: list[Any] = []
    where = [date_range("l.created_at", f.data_inicio, f.data_fim, params)]
    if f.printer_id is not None:
        where.append("l.printer_id = ?")
        params.append(f.printer_id)
    if f.status is not None:
        where.append("l.status = ?")
        params.append(f.status)
    rows = conn.execute(
        "SELECT l.id, l.printer_id, l.pedido_id, l.item_id, l.status, l.error_message, l.created_at, "
        f"p.numero, p.cliente, {_ITEM} FROM print_logs AS l LEFT JOIN pedidos AS p ON p.id = l.pedido_id "
        f"WHERE {' AND '.join(where)} ORDER BY l.created_at DESC, l.id DESC LIMIT ? OFFSET ?",
        (*params, f.limit, f.offset),
    ).fetchall()
    names = machine_names(conn, (r[1] for r in rows))
    logs = [
        PrintLog(
            id=id_,
            printer_id=printer,
            printer_name=printer_name(printer, names),
            pedido_id=pedido,
            pedido_numero=numero,
            cliente=cliente,
            item_id=item_id,
            status=status,
            error_message=error,
            created_at=created,
            **item_details(msgspec.json.decode(item) if item else None),
        )  # fmt: skip
        for id_, printer, pedido, item_id, status, error, created, numero, cliente, item in rows
    ]
    return _encoder.encode(logs)


async def list_print_logs(pool: ReaderPool, f: PrintLogFilter) -> bytes:
    """The JSON array of logs matching `f`, newest first."""
    return await pool.read(_list, f)


def _stats(conn: sqlite3.Connection, printer_id: int) -> PrinterStats:
    total, ok, errors, reprints = conn.execute(
        "SELECT count(*), coalesce(sum(status = 'success'), 0), coalesce(sum(status = 'error'), 0), "
        "coalesce(sum(status = 'reprint'), 0) FROM print_logs WHERE printer_id = ?",
        (printer_id,),
    ).fetchone()
    return PrinterStats(
        printer_id=printer_id,
        printer_name=printer_name(printer_id, machine_names(conn, [printer_id])),
        total_prints=total,
        successful=ok,
        errors=errors,
        reprints=reprints,
        success_rate=round(ok / total * 100, 2) if total else 0.0,
    )


async def printer_stats(pool: ReaderPool, printer_id: int) -> PrinterStats:
    """Counts of one printer's logs by status and its success rate (percent)."""
    return await pool.read(_stats, printer_id)
