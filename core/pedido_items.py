"""Item identity inside a pedido: stable ids, and finding an item by its id or the client's synthetic id.

The SGP client names an item `item.id ?? pedido.id * 1000 + index` (contract
pedidos.md, item object). The server gives every item without an id that same
synthetic value when the pedido is created or edited, so both names agree, and
an id once given stays with the item across edits that reorder the list.
Everyone who patches one item (pedido-itens, the designer art panel, print
logs) resolves it with `find_item_index`.
"""

from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["ITEM_ID_FACTOR", "assign_item_ids", "carry_art_fields", "find_item_index"]

ITEM_ID_FACTOR = 1000
_INT64_MAX = 2**63 - 1
ART_DEFAULTS: dict[str, Any] = {"status_arte": "aguardando"}


def find_item_index(items: Sequence[Mapping[str, Any]], pedido_id: int, item_id: int) -> int | None:
    """Index of the item whose stored `id` is `item_id`, else of the synthetic `pedido_id*1000+index`; None if neither."""
    for index, item in enumerate(items):
        if item.get("id") == item_id:
            return index
    index = item_id - pedido_id * ITEM_ID_FACTOR
    if 0 <= index < min(len(items), ITEM_ID_FACTOR):
        # Synthetic only when that position has no id of its own naming another item.
        own = items[index].get("id")
        if own is None or own == item_id:
            return index
    return None


def assign_item_ids(items: list[dict[str, Any]], pedido_id: int) -> None:
    """Give each item without an `id` the synthetic `pedido_id*1000+index` (the next free one when taken)."""
    base = pedido_id * ITEM_ID_FACTOR
    if base + ITEM_ID_FACTOR - 1 > _INT64_MAX:
        return  # ids that large do not fit the client's numbers; items keep no id, as before
    taken = {item.get("id") for item in items}
    candidate = base
    for index, item in enumerate(items):
        if item.get("id") is not None:
            continue
        candidate = max(candidate, base + index)
        while candidate in taken:
            candidate += 1
        item["id"] = candidate
        taken.add(candidate)


def carry_art_fields(new_items: list[dict[str, Any]], old_items: Sequence[Mapping[str, Any]]) -> None:
    """Keep the art panel's `status_arte` and `comentarios` of an item a full edit re-sends without them.

    The client's edit form never sends them, so replacing the list would lose the
    designers' work on every edit (contract CLIENT_CONTRACT.md §7.11).
    """
    old_by_id = {item.get("id"): item for item in old_items if item.get("id") is not None}
    for item in new_items:
        old = old_by_id.get(item.get("id"))
        for key in ("status_arte", "comentarios"):
            if item.get(key) is None and old is not None and old.get(key) is not None:
                item[key] = old[key]
        if item.get("status_arte") is None:
            item["status_arte"] = ART_DEFAULTS["status_arte"]
        if item.get("comentarios") is None:
            item["comentarios"] = []
