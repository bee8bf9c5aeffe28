"""Image references in the database, and the sweeper that deletes files nothing references.

API workers store the files; the writer records which pedido item or ficha
uses which file, in the same transaction as the change itself. Periodically
the writer's maintenance reads every referenced sha256 (one short query on
its own thread) and hands the set to `MediaStore.sweep` in a worker thread:
deleting files is plain I/O and never holds the write lock.

Why a file is never deleted while a request may still commit it: every path
that lets a request use a file (a new upload, a duplicate upload, a
reference to an existing file) sets the file's mtime to that moment, before
the command is sent. The sweep deletes only files older than the grace
period at the instant it *starts*, before it reads the references. A file a
request is about to commit was touched less than one request ago, far less
than the grace period (default 1 h), so it is skipped; once committed, it is
referenced and stays.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

import re

from core.images import image_url, reference_sha
from media import MediaStore

from ipc.errors import CommandError
from ipc.protocol import ItemImage

__all__ = ["MediaSweeper", "check_item_images", "delete_pedido_images", "record_pedido_images", "referenced_shas"]

log = logging.getLogger("sgp.writer.media")

# Sweep at most this often; sooner when the grace period is shorter (tests).
_SWEEP_EVERY_S = 300.0
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


def referenced_shas(conn: sqlite3.Connection) -> set[str]:
    """Every sha256 a pedido item or a ficha references, from one snapshot."""
    rows = conn.execute(
        "SELECT sha256 FROM pedido_imagens UNION SELECT sha256 FROM rascunho_imagens "
        "UNION SELECT imagem_sha256 FROM fichas WHERE imagem_sha256 IS NOT NULL"
    ).fetchall()
    return {row[0] for row in rows}


class MediaSweeper:
    """Decides when to sweep and runs one sweep: references from SQL, deletes in a thread."""

    def __init__(self, media_dir: Path, *, max_bytes: int, grace_s: float) -> None:
        # Only the store's sweep is used here: the writer never reads image bytes.
        self._store = MediaStore(media_dir, max_bytes=max_bytes)
        self.grace_s = grace_s
        self.interval_s = min(_SWEEP_EVERY_S, max(grace_s / 2, 1.0))
        self.last_sweep_at: float | None = None
        self.deleted_total = 0

    def due(self, now: float) -> bool:
        """True when the last sweep is at least one interval old."""
        return self.last_sweep_at is None or now - self.last_sweep_at >= self.interval_s

    async def run(self, read_references: Callable[[], Awaitable[set[str]]]) -> list[str]:
        """One sweep; `read_references` runs the SQL on the writer's thread."""
        # The cutoff is taken before the references are read (see the module docstring).
        started = time.time()
        self.last_sweep_at = started  # a failing sweep is retried next interval, not every tick
        referenced = await read_references()
        deleted = await asyncio.to_thread(self._store.sweep, referenced, grace_seconds=self.grace_s, now=started)
        self.deleted_total += len(deleted)
        return deleted
