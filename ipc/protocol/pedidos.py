"""Pedido commands: create, patch, delete, drafts, items and the admin resets."""

from __future__ import annotations

from typing import Any

import msgspec

# Normalised* types: the API worker already validated and normalised these; the writer
# decodes them without running the normalisers again.
from core.pedido_views import NormalizedCreate, NormalizedPatch

from .base import ImageRef, ItemImage

__all__ = [
    "CreatePedido",
    "PatchPedido",
    "DeletePedido",
    "SaveRascunho",
    "PromoverRascunho",
    "PatchPedidoItem",
    "DeleteAllPedidos",
    "ResetIds",
]


class CreatePedido(msgspec.Struct, tag="create_pedido", frozen=True):
    """Insert a pedido; the writer assigns `numero` when the data has none."""

    data: NormalizedCreate
    images: list[ItemImage] = []


class PatchPedido(msgspec.Struct, tag="patch_pedido", frozen=True):
    """Change the fields present in `patch`; `if_version` guards against lost updates.

    When `patch.items` is sent, `images` replaces every image reference of the pedido.
    """

    id: int
    patch: NormalizedPatch
    if_version: int | None = None
    images: list[ItemImage] = []


class DeletePedido(msgspec.Struct, tag="delete_pedido", frozen=True):
    """Remove a pedido and its image references."""

    id: int


class SaveRascunho(msgspec.Struct, tag="save_rascunho", frozen=True):
    """Create a draft (`id` None) or merge `fields` over a stored one; drafts are loosely typed.

    When `fields` holds `items`, `images` replaces every image reference of the draft.
    """

    fields: dict[str, Any]
    id: int | None = None
    images: list[ItemImage] = []


class PromoverRascunho(msgspec.Struct, tag="promover_rascunho", frozen=True):
    """Turn draft `id` into a pedido with the same id and the next numero; `data` was validated from it."""

    id: int
    data: NormalizedCreate
    if_version: int
    images: list[ItemImage] = []


class PatchPedidoItem(msgspec.Struct, tag="patch_pedido_item", frozen=True):
    """Merge `fields` over one item, found by its id or the synthetic `pedido_id*1000+index`.

    `image` is the item's new image when `fields` holds `imagem` (None: no stored image).
    """

    item_id: int
    fields: dict[str, Any]
    pedido_id: int | None = None
    image: ImageRef | None = None


class DeleteAllPedidos(msgspec.Struct, tag="delete_all_pedidos", frozen=True):
    """Delete every pedido and draft, only if nothing changed since the backup `backup_seq` names."""

    backup: str
    backup_seq: int


class ResetIds(msgspec.Struct, tag="reset_ids", frozen=True):
    """Restart the id and numero sequences after the highest ones still stored (after a backup)."""

    backup: str
    backup_seq: int
