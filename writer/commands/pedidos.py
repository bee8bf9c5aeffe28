"""Pedido storage and the pedido command handlers (create, patch, delete, batch status)."""

from __future__ import annotations

import sqlite3
from typing import Any

import msgspec
from msgspec import UNSET, UnsetType

from core.domain import (
    Pedido,
    PedidoPatch,
    apply_patch,
    build_pedido,
    fold,
    normalize_status,
    pedido_from_json,
    pedido_to_json,
)
from core.pedido_ops import BatchStatusResult, PedidoDeleted
from ipc.errors import CommandError
from ipc.protocol import BatchStatus, CreatePedido, DeletePedido, PatchPedido

from ..report_rows import insert_report_rows, update_report_rows
from . import media_refs
from .context import Context, Outcome
from .notificacoes import notify_art_ready

__all__ = [
    "insert_pedido",
    "write_pedido_row",
    "load_pedido",
    "next_numero",
    "store_update",
    "create_pedido",
    "patch_pedido",
    "delete_pedido",
    "batch_status",
]

_json = msgspec.json.Encoder()

_PEDIDO_COLUMNS = (
    "numero, status, cliente, cliente_busca, data_entrada, data_entrega, prioridade_rank, pronto, "
    "financeiro, conferencia, sublimacao, costura, expedicao, data_criacao, ultima_atualizacao, version, doc, "
    "forma_envio"
)
_COLUMN_NAMES = tuple(c.strip() for c in _PEDIDO_COLUMNS.split(","))
_PLACEHOLDERS = ", ".join("?" * (len(_COLUMN_NAMES) + 1))  # the columns and the id


def _row(p: Pedido, doc: bytes) -> tuple[Any, ...]:
    return (
        p.numero,
        p.status,
        p.cliente,
        fold(p.cliente),
        # Columns hold the business date only (the doc keeps a datetime as sent): range filters stay exact.
        p.data_entrada[:10],
        p.data_entrega[:10] if p.data_entrega else None,
        1 if p.prioridade == "ALTA" else 0,
        int(p.pronto),
        int(p.financeiro),
        int(p.conferencia),
        int(p.sublimacao),
        int(p.costura),
        int(p.expedicao),
        p.data_criacao,
        p.ultima_atualizacao,
        p.version,
        doc,
        p.forma_envio,  # a column for the dashboard's shipping methods (no JSON read per row)
    )


def _conflict(numero: str) -> CommandError:
    return CommandError("numero_conflict", f"Já existe um pedido com o número {numero}.", field="numero")


def _not_found(pedido_id: int) -> CommandError:
    return CommandError("not_found", f"Pedido {pedido_id} não encontrado.")


def next_numero(conn: sqlite3.Connection) -> str:
    """Next sequential numero, 10 digits zero-padded; assigned inside the transaction.

    An explicit numero (admins only) never moves this counter: one typo such as
    9999999999 must not make every later order jump there. The counter skips a
    number an explicit one already took.
    """
    value = int(conn.execute("SELECT value FROM meta WHERE key = 'numero_counter'").fetchone()[0])
    while True:
        value += 1
        numero = f"{value:010d}"
        if conn.execute("SELECT 1 FROM pedidos WHERE numero = ?", (numero,)).fetchone() is None:
            break
    conn.execute("UPDATE meta SET value = ? WHERE key = 'numero_counter'", (str(value),))
    return numero


def write_pedido_row(conn: sqlite3.Connection, pedido: Pedido, doc: bytes) -> None:
    """Insert a built pedido row (with its id) and its report index rows; sqlite3.IntegrityError if taken."""
    row = _row(pedido, doc)
    conn.execute(f"INSERT INTO pedidos (id, {_PEDIDO_COLUMNS}) VALUES ({_PLACEHOLDERS})", (pedido.id, *row))
    insert_report_rows(conn, pedido, dict(zip(_COLUMN_NAMES, row, strict=True)))


def insert_pedido(conn: sqlite3.Connection, pedido: Pedido, doc: bytes) -> None:
    """Insert a built pedido row and its report index rows; a taken numero is numero_conflict."""
    try:
        write_pedido_row(conn, pedido, doc)
    except sqlite3.IntegrityError:
        raise _conflict(pedido.numero) from None


def load_pedido(conn: sqlite3.Connection, pedido_id: int) -> Pedido:
    """The stored pedido, or not_found."""
    return _load(conn, pedido_id)


def _load(conn: sqlite3.Connection, pedido_id: int) -> Pedido:
    row = conn.execute("SELECT doc FROM pedidos WHERE id = ?", (pedido_id,)).fetchone()
    if row is None:
        raise _not_found(pedido_id)
    return pedido_from_json(row[0])


_ASSIGNMENTS = ", ".join(f"{c} = ?" for c in _COLUMN_NAMES)


def store_update(conn: sqlite3.Connection, new: Pedido, old: Pedido) -> bytes:
    """Write an updated pedido's columns, doc and report rows; a taken numero is numero_conflict.

    `old` is the pedido as stored (every caller has just loaded it): the report rows change where it differs.
    """
    doc = pedido_to_json(new)
    row = _row(new, doc)
    try:
        conn.execute(f"UPDATE pedidos SET {_ASSIGNMENTS} WHERE id = ?", (*row, new.id))
    except sqlite3.IntegrityError:
        raise _conflict(new.numero) from None
    old_columns = dict(zip(_COLUMN_NAMES, _row(old, b""), strict=True))
    update_report_rows(conn, old, old_columns, new, dict(zip(_COLUMN_NAMES, row, strict=True)))
    return doc


def create_pedido(ctx: Context, cmd: CreatePedido) -> Outcome:
    """Insert a pedido with its image references, assigning the next numero when none was given."""
    conn = ctx.conn
    data = cmd.data
    media_refs.check_item_images(data.items, cmd.images)
    numero = str(data.numero) if data.numero else next_numero(conn)  # decoding normalised it to str
    pedido_id = ctx.seqs.last_pedido_id + 1
    pedido = build_pedido(data, id=pedido_id, numero=numero, now=ctx.now)
    doc = pedido_to_json(pedido)
    insert_pedido(conn, pedido, doc)
    media_refs.record_pedido_images(conn, pedido_id, cmd.images, ctx.now)
    ctx.seqs.last_pedido_id = pedido_id
    seq = ctx.emit("order_created", pedido_id, doc)
    return Outcome(200, doc, seq)


def patch_pedido(ctx: Context, cmd: PatchPedido) -> Outcome:
    """Apply a partial update; a stale `if_version` fails with version_conflict."""
    conn = ctx.conn
    current = _load(conn, cmd.id)
    if cmd.if_version is not None and cmd.if_version != current.version:
        raise CommandError(
            "version_conflict",
            f"O pedido {cmd.id} mudou (versão atual {current.version}); recarregue e tente de novo.",
        )
    items_sent = cmd.patch.items is not UNSET
    if not isinstance(cmd.patch.items, UnsetType):
        media_refs.check_item_images(cmd.patch.items, cmd.images)
    elif cmd.images:
        raise CommandError("validation_error", "Referências de imagem enviadas sem a lista de itens.")
    new = apply_patch(current, cmd.patch, now=ctx.now)
    doc = store_update(conn, new, current)
    if items_sent:
        media_refs.record_pedido_images(conn, cmd.id, cmd.images, ctx.now)
    # The desktop app refetches on `order_updated` and on `order_status_updated` (which it also
    # toasts as a status change); any other type is only a generic toast (contract feed.md).
    type_ = "order_status_updated" if _status_changed(current, new) else "order_updated"
    seq = ctx.emit(type_, new.id, doc)
    notify_art_ready(ctx, current, new)  # financeiro released: designers of its items are told
    return Outcome(200, doc, seq)


_STATUS_FIELDS = ("status", "financeiro", "conferencia", "sublimacao", "costura", "expedicao", "pronto")


def _status_changed(old: Pedido, new: Pedido) -> bool:
    """Status or a production flag changed: the old server's `order_status_updated` condition."""
    return any(getattr(old, name) != getattr(new, name) for name in _STATUS_FIELDS)


def delete_pedido(ctx: Context, cmd: DeletePedido) -> Outcome:
    """Delete a pedido (or a draft: they share ids) and its image references; a missing one is not_found."""
    conn = ctx.conn
    media_refs.delete_pedido_images(conn, cmd.id)
    if conn.execute("DELETE FROM pedidos WHERE id = ?", (cmd.id,)).rowcount == 0:
        # Drafts share the pedidos' ids (the client deletes one at /pedidos/{id}); its image rows cascade.
        if conn.execute("DELETE FROM pedido_rascunhos WHERE id = ?", (cmd.id,)).rowcount == 0:
            raise _not_found(cmd.id)
        seq = ctx.emit("rascunho_excluido", None, None)
        return Outcome(200, _json.encode(PedidoDeleted(id=cmd.id, deleted=True, seq=seq)), seq)
    seq = ctx.emit("order_deleted", cmd.id, None)
    return Outcome(200, _json.encode(PedidoDeleted(id=cmd.id, deleted=True, seq=seq)), seq)


def batch_status(ctx: Context, cmd: BatchStatus) -> Outcome:
    """Set one status on many pedidos; reports the ids that do not exist."""
    conn = ctx.conn
    status = normalize_status(cmd.status)  # the API sends it normalised; other callers may not
    patch = PedidoPatch(status=status)
    updated: list[int] = []
    not_found: list[int] = []
    seq = None
    for pedido_id in dict.fromkeys(cmd.ids):  # de-duplicated, order kept
        row = conn.execute("SELECT doc FROM pedidos WHERE id = ?", (pedido_id,)).fetchone()
        if row is None:
            not_found.append(pedido_id)
            continue
        current = pedido_from_json(row[0])
        new = apply_patch(current, patch, now=ctx.now)
        doc = store_update(conn, new, current)
        seq = ctx.emit("order_status_updated", pedido_id, doc)
        updated.append(pedido_id)
    body = BatchStatusResult(
        status=status, count=len(updated), updated=len(updated), ids=updated, not_found=not_found, seq=seq
    )
    return Outcome(200, _json.encode(body), seq)
