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

from core.art import CLOSED_STATUSES, art_item
from core.pedido_items import find_item_index
from ipc.errors import CommandError
from ipc.protocol import AddArtComment, SetArtStatus

from .context import Context, Outcome
from .pedido_items import update_item
from .pedidos import load_pedido

__all__ = ["set_art_status", "add_art_comment"]

_json = msgspec.json.Encoder()


def _item_not_found(item_id: int) -> CommandError:
    return CommandError("not_found", f"Item {item_id} não encontrado em nenhum pedido ativo.")


def _update_art(
    ctx: Context, pedido_id: int, item_id: int, change: Callable[[dict[str, Any]], dict[str, Any]]
) -> Outcome:
    """Merge `change(item)` into one item of an open pedido (pedido_items.update_item); answers the art item."""
    try:
        pedido = load_pedido(ctx.conn, pedido_id)
    except CommandError:
        raise _item_not_found(item_id) from None
    index = find_item_index(pedido.items, pedido_id, item_id) if pedido.status not in CLOSED_STATUSES else None
    if index is None:
        raise _item_not_found(item_id)
    # Pin the id the client used, so the item stays addressable if the list is reordered.
    changes = {"id": item_id, **change(dict(pedido.items[index]))}
    new, item, _, seq = update_item(ctx, pedido, index, changes)
    return Outcome(200, _json.encode(art_item(msgspec.to_builtins(new), index, item)), seq)


def set_art_status(ctx: Context, cmd: SetArtStatus) -> Outcome:
    """Set `status_arte` of one item; nothing else of the item or the pedido changes."""
    return _update_art(ctx, cmd.pedido_id, cmd.item_id, lambda item: {"status_arte": cmd.status_arte})


def add_art_comment(ctx: Context, cmd: AddArtComment) -> Outcome:
    """Append a comment `{id, autor, texto, data}` to one item's `comentarios`."""
    comment = {"id": cmd.comment_id, "autor": cmd.autor, "texto": cmd.texto, "data": ctx.now.removesuffix("Z")}

    def append(item: dict[str, Any]) -> dict[str, Any]:
        existing = item.get("comentarios")
        comments = [c for c in existing if isinstance(c, dict)] if isinstance(existing, list) else []
        if isinstance(existing, str) and existing.strip():  # a legacy plain-text comment is kept
            comments.append({"id": "legado", "autor": "", "texto": existing, "data": ""})
        return {"comentarios": [*comments, comment]}

    return _update_art(ctx, cmd.pedido_id, cmd.item_id, append)
