"""Designer notifications: created when the financeiro releases a pedido, marked read by their recipient."""

from __future__ import annotations

import uuid

import msgspec

from core.domain import Pedido
from core.notificacoes import ART_READY, art_ready_texts, designer_recipients
from ipc.errors import CommandError
from ipc.protocol import MarkAllNotificacoesRead, MarkNotificacaoRead

from .context import Context, Outcome

__all__ = ["notify_art_ready", "mark_read", "mark_all_read", "insert_notificacao"]

_json = msgspec.json.Encoder()


class _Marked(msgspec.Struct):
    success: bool
    updated: int


def insert_notificacao(
    ctx: Context, *, user_id: int, order_id: int, art_id: int | None, titulo: str, mensagem: str
) -> str:
    """Store one art-ready notification and emit its `designer_art_ready` message; returns its uuid."""
    notification_id = str(uuid.uuid4())
    created_at = ctx.now
    ctx.conn.execute(
        "INSERT INTO notificacoes (notification_id, user_id, order_id, art_id, tipo, titulo, mensagem, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (notification_id, user_id, order_id, art_id, ART_READY, titulo, mensagem, created_at),
    )
    # The client shows it only when `user_id` is its own user (the recipient, not the actor).
    ctx.emit_message(
        ART_READY,
        order_id,
        {
            "notification_id": notification_id, "user_id": user_id, "art_id": art_id,
            "title": titulo, "message": mensagem, "created_at": created_at,
        },
    )  # fmt: skip
    return notification_id


def notify_art_ready(ctx: Context, before: Pedido, after: Pedido) -> None:
    """When `financeiro` turns true, tell each item's designer (a user of that name) that its art can start."""
    if before.financeiro or not after.financeiro:
        return
    users = ctx.conn.execute("SELECT id, username FROM users WHERE active = 1").fetchall()
    for user_id, index in designer_recipients(after.items, users):
        titulo, mensagem = art_ready_texts(after.numero, after.cliente, after.items[index])
        insert_notificacao(ctx, user_id=user_id, order_id=after.id, art_id=index, titulo=titulo, mensagem=mensagem)


def _marked(ctx: Context, user_id: int, updated: int) -> Outcome:
    # No order id: feed clients ignore it; it keeps "every write has its event" true.
    seq = ctx.emit_message("notificacoes_read", None, {"user_id": user_id, "updated": updated})
    return Outcome(200, _json.encode(_Marked(success=True, updated=updated)), seq)


def mark_read(ctx: Context, cmd: MarkNotificacaoRead) -> Outcome:
    """Mark one of the caller's notifications read (by uuid, or by numeric id); marking it again is harmless."""
    key = "id" if cmd.notification_id.isdigit() else "notification_id"
    value: int | str = int(cmd.notification_id) if key == "id" else cmd.notification_id
    cursor = ctx.conn.execute(
        f"UPDATE notificacoes SET visualizada = 1, read_at = coalesce(read_at, ?) WHERE {key} = ? AND user_id = ?",
        (ctx.now, value, cmd.user_id),
    )
    if cursor.rowcount == 0:
        raise CommandError("not_found", "Notificação não encontrada.")
    return _marked(ctx, cmd.user_id, cursor.rowcount)


def mark_all_read(ctx: Context, cmd: MarkAllNotificacoesRead) -> Outcome:
    """Mark every unread notification of the caller read."""
    cursor = ctx.conn.execute(
        "UPDATE notificacoes SET visualizada = 1, read_at = ? WHERE user_id = ? AND visualizada = 0",
        (ctx.now, cmd.user_id),
    )
    return _marked(ctx, cmd.user_id, cursor.rowcount)
