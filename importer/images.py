"""Item and ficha images: find each reference's bytes in the old media tree or inline, store them content-addressed.

Where an item's image may be, in the order tried (sqlite-import.md, note 8):

1. its `imagem`: `/pedidos/imagens/<row id>` (also `/api/v1/...` and absolute
   `http(s)://host/...` forms) names a `pedido_imagens` row, possibly of
   another pedido (duplicated orders copy the reference); a `data:` URL holds
   the bytes; `pedidos/...` (or `/pedidos/media/pedidos/...`) is a file under
   the media root, `pedidos/tmp/...` included;
2. the pedido's `pedido_imagens` row for this item (identifier, else index),
   as the old server attached it on every read;
3. its `imagem_path`.

Stored paths may hold Windows backslashes; they are normalised. A reference
that resolves to nothing readable is reported as missing; the item then gets
`imagem: null` and keeps the old value in `imagem_legado`, since any other
string would make the desktop app try (and fail) to re-upload it on the next
edit.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
import stat
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from core.images import image_url
from media import MediaError, MediaInvalid, MediaStore, MediaTooLarge, StoredMedia
from media.dataurl import decode_base64_chunks, parse_data_url
from media.sniff import SNIFF_BYTES, sniff

from .report import ImageReport

__all__ = ["CONCURRENCY", "ImageRow", "ImageResolver", "relative_media_path"]

# A way to turn one image value into stored media, or why not.
_Resolve = Callable[[str], Awaitable["StoredMedia | str"]]

_ROW_REF = re.compile(r"/?(?:api/v1/)?pedidos/imagens/(\d{1,18})")
# Concurrent files in flight: bounds memory (each at most max_image_bytes) and open files. Storing a
# file is mostly waiting for fsync, so many in flight keep the disk busy (see runner: thread pool size).
CONCURRENCY = 32

# Sources remembered (a file referenced by several items is read once); cleared when full.
_CACHE_ENTRIES = 20_000

ImageRow = dict[str, Any]  # a pedido_imagens row (importer.source column names)


def relative_media_path(value: str) -> str | None:
    """A stored path as a safe path relative to the media root (`\\` → `/`), or None if it leaves the root."""
    text = unquote(value.strip().replace("\\", "/")).lstrip("/")
    if text.startswith("pedidos/media/"):  # the client's download form /pedidos/media/<path>
        text = text[len("pedidos/media/") :]
    parts = [part for part in text.split("/") if part not in ("", ".")]
    if not parts or any(part == ".." or ":" in part for part in parts):
        return None
    return "/".join(parts)


class ImageResolver:
    """Resolves references to stored media (or, in a dry run, to checked bytes), with a cache per source."""

    def __init__(
        self, media_root: Path | None, store: MediaStore | None, report: ImageReport, *, max_bytes: int
    ) -> None:
        self.media_root = media_root.resolve() if media_root is not None else None
        self.store = store  # None: dry run, nothing is written
        self.report = report
        self.max_bytes = max_bytes
        self._cache: dict[tuple[str, str], StoredMedia | str] = {}
        self._limit = asyncio.Semaphore(CONCURRENCY)

    # --- sources ---------------------------------------------------------------------

    def sources_for_item(
        self,
        item: dict[str, Any],
        original_id: Any,
        index: int,
        rows: Sequence[ImageRow],
        rows_by_id: dict[int, ImageRow],
    ) -> tuple[list[tuple[str, Any]], str | None]:
        """Where the item's image may be, best first, and the old reference text (None when it had none)."""
        sources: list[tuple[str, Any]] = []
        value = item.get("imagem")
        text = value.strip() if isinstance(value, str) else ""
        if text:
            if text[:5].lower() == "data:":
                sources.append(("data", text))
            else:
                path = text.replace("\\", "/")
                if path[:8].lower().startswith(("http://", "https://")):
                    path = urlsplit(path).path
                if match := _ROW_REF.fullmatch(path):
                    row = rows_by_id.get(int(match.group(1)))
                    if row is not None:
                        sources.append(("row", row))
                elif path.lstrip("/").startswith(("pedidos/", "fichas/")):
                    sources.append(("file", path))
        row = _matching_row(original_id, index, rows)
        if row is not None and ("row", row) not in sources:
            sources.append(("row", row))
        path_value = item.get("imagem_path")
        if isinstance(path_value, str) and path_value.strip() and not path_value.startswith("/api/"):
            sources.append(("file", path_value))
        return sources, (text or None)

    # --- resolving -------------------------------------------------------------------

    async def resolve(self, sources: list[tuple[str, Any]]) -> tuple[StoredMedia | None, str, ImageRow | None]:
        """The first source that yields a readable image: (media, why not when None, the row used)."""
        why = "not a data URL nor a path under the media folder (a workstation's own file?)"
        for kind, value in sources:
            if kind == "row":
                key = ("file", value["path"] or "")
                media = await self._cached(key, self._from_file, value["path"] or "")
                if isinstance(media, StoredMedia):
                    return media, "", value
                why = f"pedido_imagens {value['id']}: {media}"
            elif kind == "file":
                key = ("file", value)
                media = await self._cached(key, self._from_file, value)
                if isinstance(media, StoredMedia):
                    return media, "", None
                why = f"{value}: {media}"
            else:
                media = await self._guarded(self._from_data_url, value)
                if isinstance(media, StoredMedia):
                    return media, "", None
                why = f"data URL: {media}"
        return None, why, None

    async def resolve_file(self, path: str) -> StoredMedia | str:
        """A file under the media root (a ficha's image)."""
        return await self._cached(("file", path), self._from_file, path)

    async def _cached(self, key: tuple[str, str], fn: _Resolve, value: str) -> StoredMedia | str:
        if len(self._cache) >= _CACHE_ENTRIES:
            self._cache.clear()  # memory stays bounded; the store still deduplicates by content
        if key not in self._cache:
            self._cache[key] = await self._guarded(fn, value)
        return self._cache[key]

    async def _guarded(self, fn: _Resolve, value: str) -> StoredMedia | str:
        async with self._limit:
            try:
                return await fn(value)
            except MediaError as exc:
                return exc.message
            except OSError as exc:
                return f"unreadable ({exc.strerror or exc})"

    async def _from_file(self, stored_path: str) -> StoredMedia | str:
        if self.media_root is None:
            return "no --media folder given"
        relative = relative_media_path(stored_path)
        if relative is None:
            return "path outside the media folder"
        # One thread hop per file: read, check and store together (thousands of small files).
        return await asyncio.to_thread(self._file_job, self.media_root / relative)

    def _file_job(self, path: Path) -> StoredMedia | str:
        try:
            f = open(path, "rb")  # noqa: SIM115 - one open, then fstat: fewest system calls per file
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            return "file not found"
        with f:
            info = os.fstat(f.fileno())
            if not stat.S_ISREG(info.st_mode):
                return "file not found"
            if info.st_size > self.max_bytes:
                return f"file larger than {self.max_bytes} bytes"
            data = f.read(self.max_bytes + 1)
        return self._keep(data)

    async def _from_data_url(self, text: str) -> StoredMedia | str:
        return await asyncio.to_thread(self._data_url_job, text)

    def _data_url_job(self, text: str) -> StoredMedia:
        _, start = parse_data_url(text)
        size = 0
        chunks = []
        for chunk in decode_base64_chunks(text, start):
            size += len(chunk)
            if size > self.max_bytes:
                raise MediaTooLarge(self.max_bytes)
            chunks.append(chunk)
        return self._keep(b"".join(chunks))

    def _keep(self, data: bytes) -> StoredMedia:
        if self.store is None:  # dry run: check it as the store would, write nothing
            if len(data) > self.max_bytes:
                raise MediaTooLarge(self.max_bytes)
            if not data:
                raise MediaInvalid("A imagem está vazia.")
            mime = sniff(data[:SNIFF_BYTES])
            return StoredMedia(sha256=hashlib.sha256(data).hexdigest(), mime=mime, size=len(data))
        return self.store.store_bytes(data)


def _matching_row(original_id: Any, index: int, rows: Sequence[ImageRow]) -> ImageRow | None:
    """The old server's rule: the row whose identifier is the item's id, else the row at the item's index."""
    if original_id is not None:
        wanted = str(original_id)
        for row in reversed(rows):  # the newest row wins, as on the old server's last save
            if row["item_identificador"] == wanted:
                return row
    for row in reversed(rows):
        if row["item_index"] == index and not row["item_identificador"]:
            return row
    for row in reversed(rows):
        if row["item_index"] == index:
            return row
    return None


def image_reference(media: StoredMedia) -> str:
    """The `imagem` value our API serves for a stored image."""
    return image_url(media.sha256)
