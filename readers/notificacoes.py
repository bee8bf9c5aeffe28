"""Notification reads: a user's designer notifications, newest first; the newest pedido id."""

from __future__ import annotations

import msgspec

from core.notificacoes import NOTIFICACAO_COLUMNS, notificacao_from_row

from .pool import ReaderPool

__all__ = ["list_notificacoes", "last_pedido_id"]

_encoder = msgspec.json.Encoder()


async def list_notificacoes(pool: ReaderPool, user_id: int, *, include_read: bool, limit: int) -> bytes:
    """JSON array of `user_id`'s notifications (unread only unless `include_read`), newest first."""
    unread = "" if include_read else " AND visualizada = 0"
    rows = await pool.fetchall(
        f"SELECT {NOTIFICACAO_COLUMNS} FROM notificacoes WHERE user_id = ?{unread} ORDER BY id DESC LIMIT ?",
        (user_id, limit),
        inline=True,  # bounded by idx_notificacoes_user and the limit
    )
    return _encoder.encode([notificacao_from_row(r) for r in rows])


async def last_pedido_id(pool: ReaderPool) -> int:
    """The highest pedido id (0 when there is none): one step down the primary key."""
    row = await pool.fetchone("SELECT coalesce(max(id), 0) FROM pedidos", inline=True)
    assert row is not None  # an aggregate always yields one row
    return int(row[0])
