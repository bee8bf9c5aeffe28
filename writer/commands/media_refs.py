"""Image references in the database: the writer records which pedido item (or draft) uses which stored file.

API workers store the files; the writer records the references in the same
transaction as the change itself and never touches a file. The sweep that
deletes unreferenced files reads these rows from its own read-only snapshot
(readers/media_refs.py) in the supervisor (media/sweep.py explains why a file
a request is about to reference is never taken).
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Sequence
from typing import Any

from core.images import image_url, reference_sha
from ipc.errors import CommandError
from ipc.protocol import ItemImage

__all__ = ["check_item_images", "delete_pedido_images", "record_pedido_images"]

_SHA256 = re.compile(r"[0-9a-f]{64}")


def check_item_images(items: Sequence[dict[str, Any]], images: Sequence[ItemImage]) -> None:
    """Refuse references that do not match the items' `imagem` URLs (the rows must mirror the doc)."""
    by_index = {image.index: image for image in images}
    if len(by_index) != len(images):
        raise CommandError("validation_error", "Referência de imagem repetida para o mesmo item.")
    for index, item in enumerate(items):
        image = by_index.pop(index, None)
        imagem = item.get("imagem")
        if image is not None:
            mismatch = imagem != image_url(image.image.sha256)
        else:
            # Without a reference the item may hold nothing or a string we do not own (kept verbatim),
            # never one of our stored images: the rows must mirror the doc for the sweeper.
            sha = reference_sha(imagem) if isinstance(imagem, str) else None
            mismatch = sha is not None and _SHA256.fullmatch(sha) is not None
        if mismatch:
            message = "A imagem do item não corresponde à referência enviada."
            raise CommandError("validation_error", message, field=f"items[{index}].imagem")
    if by_index:
        raise CommandError("validation_error", "Referência de imagem para um item inexistente.")


def record_pedido_images(conn: sqlite3.Connection, pedido_id: int, images: Sequence[ItemImage], now: str) -> None:
    """Make `images` the pedido's only image references."""
    conn.execute("DELETE FROM pedido_imagens WHERE pedido_id = ?", (pedido_id,))
    conn.executemany(
        "INSERT INTO pedido_imagens (pedido_id, item_index, sha256, mime, size, created_at) VALUES (?, ?, ?, ?, ?, ?)",
        [(pedido_id, i.index, i.image.sha256, i.image.mime, i.image.size, now) for i in images],
    )


def delete_pedido_images(conn: sqlite3.Connection, pedido_id: int) -> None:
    """Drop a pedido's image references (its files become the sweeper's)."""
    conn.execute("DELETE FROM pedido_imagens WHERE pedido_id = ?", (pedido_id,))
