"""Designer art panel commands: set an item's `status_arte`, append a comment; each emits `order_updated`.

The item lives inside its pedido's JSON (as in the old server), so a change
rewrites that pedido's document (version + 1) and the feed tells every client
to refetch it: a client that kept a stale copy would otherwise drop the art
state on its next full edit.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import msgspec

from core.art import CLOSED_STATUSES, art_item, find_item
from core.domain import PedidoPatch, apply_patch, pedido_from_json, pedido_to_json

from .errors import CommandError
from .context import Context, Outcome
from .protocol import AddArtComment, SetArtStatus

__all__ = ["set_art_status", "add_art_comment", "update_item"]

_json = msgspec.json.Encoder()


def _item_not_found(item_id: int) -> CommandError:
    return CommandError("not_found", f"Item {item_id} não encontrado em nenhum pedido ativo.")


def update_item(
    ctx: Context, pedido_id: int, item_id: int, change: Callable[[dict[str, Any]], dict[str, Any]]
) -> Outcome:
    """Merge `change(item)` into one item of an open pedido; answers the art item. Reusable by other item writes."""
    row = ctx.conn.execute("SELECT doc FROM pedidos WHERE id = ?", (pedido_id,)).fetchone()
    if row is None:
        raise _item_not_found(item_id)
    current = pedido_from_json(row[0])
    if current.status in CLOSED_STATUSES:
        raise _item_not_found(item_id)
    index = find_item(current.items, pedido_id, item_id)
    if index is None:
        raise _item_not_found(item_id)
    items = [dict(item) for item in current.items]
    # Pin the id the client used, so the item stays addressable if the list is reordered.
    items[index] = {**items[index], "id": item_id, **change(items[index])}
    new = apply_patch(current, PedidoPatch(items=items), now=ctx.now)
    doc = pedido_to_json(new)
    ctx.conn.execute(
        "UPDATE pedidos SET doc = ?, version = ?, ultima_atualizacao = ? WHERE id = ?",
        (doc, new.version, new.ultima_atualizacao, pedido_id),
    )
    seq = ctx.emit("order_updated", pedido_id, doc)
    body = _json.encode(art_item(msgspec.to_builtins(new), index, items[index]))
    return Outcome(200, body, seq)


def set_art_status(ctx: Context, cmd: SetArtStatus) -> Outcome:
    """Set `status_arte` of one item; nothing else of the item or the pedido changes."""
    return update_item(ctx, cmd.pedido_id, cmd.item_id, lambda item: {"status_arte": cmd.status_arte})


def add_art_comment(ctx: Context, cmd: AddArtComment) -> Outcome:
    """Append a comment `{id, autor, texto, data}` to one item's `comentarios`."""
    comment = {"id": cmd.comment_id, "autor": cmd.autor, "texto": cmd.texto, "data": ctx.now.removesuffix("Z")}

    def append(item: dict[str, Any]) -> dict[str, Any]:
        existing = item.get("comentarios")
        comments = [c for c in existing if isinstance(c, dict)] if isinstance(existing, list) else []
        if isinstance(existing, str) and existing.strip():  # a legacy plain-text comment is kept
            comments.append({"id": "legado", "autor": "", "texto": existing, "data": ""})
        return {"comentarios": [*comments, comment]}

    return update_item(ctx, cmd.pedido_id, cmd.item_id, append)
