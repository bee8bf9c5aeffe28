"""One item of a pedido changed on its own: production fields (pedido-itens) and, for others, art fields.

`update_item` is the shared step: find the item by its id or the client's
synthetic `pedido.id*1000+index` (core.pedido_items.find_item_index), merge the
changes, re-validate and re-price it, re-total the pedido, store, and emit
`order_updated`. The designer art panel's handlers can call it with
`{"status_arte": ...}` or `{"comentarios": [...]}`.
"""

from __future__ import annotations

from typing import Any

import msgspec

from core.domain import DomainError, Pedido, normalize_item
from core.pedido_items import find_item_index
from core.pricing import totals
from ipc.errors import CommandError
from ipc.protocol import ImageRef, PatchPedidoItem

from .context import Context, Outcome
from .pedidos import load_pedido, store_update

__all__ = ["find_pedido_of_item", "patch_pedido_item", "update_item"]

_json = msgspec.json.Encoder()


def find_pedido_of_item(ctx: Context, item_id: int, pedido_id: int | None = None) -> tuple[Pedido, int]:
    """The pedido holding item `item_id` and the item's index; not_found in Portuguese otherwise.

    Without `pedido_id`, the pedido of the synthetic id (`item_id // 1000`) is tried first,
    then any pedido whose doc names that item id.
    """
    candidates: list[int] = [pedido_id] if pedido_id is not None else [item_id // 1000]
    if pedido_id is None:
        pattern = f'%"id":{item_id},%'
        rows = ctx.conn.execute("SELECT id FROM pedidos WHERE CAST(doc AS TEXT) LIKE ? LIMIT 20", (pattern,))
        candidates += [row[0] for row in rows]
    for candidate in dict.fromkeys(candidates):
        try:
            pedido = load_pedido(ctx.conn, candidate)
        except CommandError:
            if pedido_id is not None:
                raise CommandError("not_found", "Pedido não encontrado.") from None
            continue
        index = find_item_index(pedido.items, pedido.id, item_id)
        if index is not None:
            return pedido, index
    raise CommandError("not_found", f"Item {item_id} não encontrado no pedido informado.")


def update_item(
    ctx: Context, pedido: Pedido, index: int, changes: dict[str, Any], *, image: ImageRef | None = None
) -> tuple[Pedido, dict[str, Any], bytes, int]:
    """Merge `changes` over item `index`, re-price and re-total, store, emit order_updated.

    Returns the new pedido, the item, the pedido's JSON and the event seq. When
    `changes` holds `imagem`, `image` is the stored image it names (None: no stored image).
    """
    items = list(pedido.items)
    merged = {**items[index], **changes, "id": items[index].get("id") or changes.get("id")}
    try:
        item = normalize_item(merged, f"items[{index}]")
    except DomainError as exc:
        raise CommandError("validation_error", exc.message, field=exc.field) from None
    items[index] = item
    new = msgspec.structs.replace(
        pedido, items=items, **totals(items, pedido.valor_frete),
        ultima_atualizacao=ctx.now, version=pedido.version + 1,
    )  # fmt: skip
    doc = store_update(ctx.conn, new, pedido)
    if "imagem" in changes:
        ctx.conn.execute("DELETE FROM pedido_imagens WHERE pedido_id = ? AND item_index = ?", (pedido.id, index))
        if image is not None:
            ctx.conn.execute(
                "INSERT INTO pedido_imagens (pedido_id, item_index, sha256, mime, size, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (pedido.id, index, image.sha256, image.mime, image.size, ctx.now),
            )
    seq = ctx.emit("order_updated", pedido.id, doc)
    return new, item, doc, seq


def patch_pedido_item(ctx: Context, cmd: PatchPedidoItem) -> Outcome:
    """PATCH /pedidos/pedido-itens/{item_id}: the item keeps the id the client named it by."""
    pedido, index = find_pedido_of_item(ctx, cmd.item_id, cmd.pedido_id)
    changes = {**cmd.fields, "id": pedido.items[index].get("id") or cmd.item_id}
    _, item, _, seq = update_item(ctx, pedido, index, changes, image=cmd.image)
    body = {"status": "success", "message": "Item atualizado", "item": item}
    return Outcome(200, _json.encode(body), seq)
