"""Print log commands and the storage functions an importer reuses (explicit ids kept)."""

from __future__ import annotations

import sqlite3

import msgspec

from core.domain import pedido_from_json
from core.machines import machine_names
from core.pedido_items import find_item_index
from core.print_logs import PrintLog, item_details, printer_name
from ipc.errors import CommandError
from ipc.protocol import CreatePrintLog

from .context import Context, Outcome

__all__ = ["create_print_log", "insert_print_log", "record_item_print"]

_json = msgspec.json.Encoder()


def insert_print_log(
    conn: sqlite3.Connection,
    *,
    printer_id: int,
    pedido_id: int,
    item_id: int | None,
    status: str,
    error_message: str | None,
    created_at: str,
    id: int | None = None,
) -> int:
    """Insert one log row (with `id` when importing old rows) and return its id.

    `status` is stored lowercase (`success`/`error`/`reprint`; old rows hold the
    enum names `SUCCESS`...); `created_at` is UTC text `YYYY-MM-DDTHH:MM:SS`.
    """
    cursor = conn.execute(
        "INSERT INTO print_logs (id, printer_id, pedido_id, item_id, status, error_message, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        (id, printer_id, pedido_id, item_id, status.lower(), error_message, created_at.replace(" ", "T")[:19]),
    )
    return int(cursor.lastrowid or 0)


def record_item_print(
    conn: sqlite3.Connection, *, pedido_id: int, item_id: int, printer_id: int, status: str, created_at: str
) -> int:
    """Log an item print, updating the (pedido, item) log if there is one (as the old server did)."""
    row = conn.execute(
        "SELECT id FROM print_logs WHERE pedido_id = ? AND item_id = ? ORDER BY id DESC LIMIT 1", (pedido_id, item_id)
    ).fetchone()
    if row is None:
        return insert_print_log(
            conn, printer_id=printer_id, pedido_id=pedido_id, item_id=item_id, status=status,
            error_message=None, created_at=created_at,
        )  # fmt: skip
    conn.execute(
        "UPDATE print_logs SET printer_id = ?, status = ?, created_at = ? WHERE id = ?",
        (printer_id, status.lower(), created_at[:19], row[0]),
    )
    return int(row[0])


def create_print_log(ctx: Context, cmd: CreatePrintLog) -> Outcome:
    """Log a print of a pedido (or of one of its items); 404 when the pedido does not exist."""
    data = cmd.data
    row = ctx.conn.execute("SELECT doc FROM pedidos WHERE id = ?", (data.pedido_id,)).fetchone()
    if row is None:
        raise CommandError("not_found", "Pedido não encontrado", field="pedido_id")
    pedido = pedido_from_json(row[0])
    created_at = ctx.now[:19]
    if data.item_id is not None:
        log_id = record_item_print(
            ctx.conn, pedido_id=data.pedido_id, item_id=data.item_id, printer_id=data.printer_id,
            status=data.status, created_at=created_at,
        )  # fmt: skip
        if data.error_message is not None:
            ctx.conn.execute("UPDATE print_logs SET error_message = ? WHERE id = ?", (data.error_message, log_id))
    else:
        log_id = insert_print_log(
            ctx.conn, printer_id=data.printer_id, pedido_id=data.pedido_id, item_id=None, status=data.status,
            error_message=data.error_message, created_at=created_at,
        )  # fmt: skip
    item = None
    if data.item_id is not None and (index := find_item_index(pedido.items, pedido.id, data.item_id)) is not None:
        item = pedido.items[index]
    names = machine_names(ctx.conn, [data.printer_id])
    log = PrintLog(
        id=log_id,
        printer_id=data.printer_id,
        printer_name=printer_name(data.printer_id, names),
        pedido_id=pedido.id,
        pedido_numero=pedido.numero,
        cliente=pedido.cliente,
        item_id=data.item_id,
        status=data.status,
        error_message=data.error_message,
        created_at=created_at,
        **item_details(item),
    )
    body = _json.encode(log)
    # No order id at the top level: clients would refetch the pedido and toast on every print.
    seq = ctx.emit_message("print_logged", None, {"print_log": msgspec.Raw(body)})
    return Outcome(201, body, seq)
