"""Images in the API: intake for JSON bodies (data URLs stored, references resolved), errors, serving.

Runs in the API worker before the command is sent, so the writer receives
only references (sha256, type, size). Images are taken one after the other:
the first bad one answers 422 and nothing is sent to the writer. Files
already stored for the same request stay on disk unreferenced; the media
sweep (media/sweep.py, run by the supervisor) deletes them after the grace
period (deleting them here could remove a file another request has just
deduplicated onto). Serving a stored file over HTTP is api/media_serve.py.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

from fastapi import Request
from starlette.responses import Response

from core.images import image_url, reference_sha
from ipc.protocol import ImageRef, ItemImage
from media import MediaError, MediaNotFound, MediaStorageFull, MediaStore, MediaTooLarge, StoredMedia

from .errors import ApiError
from .media_serve import file_response

__all__ = ["as_ref", "image_error", "is_image_data", "kept_verbatim", "serve_image", "take_image", "take_item_images"]

_NOT_STORED = "Imagem não encontrada no servidor; envie-a novamente."


def image_error(exc: MediaError, field: str, *, too_large_status: int = 422) -> ApiError:
    """The answer for a refused image: 422 naming the field (413 for size where the body is the image, 507 disk full)."""
    if isinstance(exc, MediaStorageFull):
        return ApiError(507, exc.code, exc.message, field=field, headers={"Retry-After": "60"})
    status = too_large_status if isinstance(exc, MediaTooLarge) else 422
    message = _NOT_STORED if isinstance(exc, MediaNotFound) else exc.message
    return ApiError(status, exc.code, f"{field}: {message}", field=field)


def as_ref(media: StoredMedia) -> ImageRef:
    """The reference the writer records."""
    return ImageRef(sha256=media.sha256, mime=media.mime, size=media.size)


_SHA256 = re.compile(r"[0-9a-f]{64}")
# Bare base64 (no data: prefix) is long and has no '.', ':' or '\\': paths and URLs always do.
_BARE_BASE64 = re.compile(r"[A-Za-z0-9+/=\s]{64,}")


def is_image_data(value: str) -> bool:
    """True when `value` carries image bytes (a data URL or bare base64) rather than a reference."""
    return value[:5].lower() == "data:" or _BARE_BASE64.fullmatch(value[:4096]) is not None


def kept_verbatim(value: str) -> bool:
    """True for a reference we do not own (another host's URL, a local path, an imported id): stored as sent.

    The old server stored such strings unchanged; duplicating an imported order copies them.
    """
    if is_image_data(value) or value.strip()[:7].lower() == "sha256:":
        return False  # bytes to store, or our explicit reference form: resolved (or refused)
    sha = reference_sha(value)
    return sha is None or _SHA256.fullmatch(sha) is None


async def take_image(store: MediaStore, value: str, field: str) -> StoredMedia:
    """Store a data URL (or bare base64), or resolve a reference to a stored file; errors name `field`."""
    try:
        sha = reference_sha(value)
        if sha is None:
            return await store.save_data_url(value)
        # Touched: the sweeper must not take a file this request is about to reference.
        _, media = await asyncio.to_thread(store.lookup, sha, touch=True)
        return media
    except MediaError as exc:
        raise image_error(exc, field) from None


async def take_item_images(store: MediaStore, items: list[dict[str, Any]]) -> list[ItemImage]:
    """Replace each item's `imagem` by its URL (and set `imagem_path`); return the references to record."""
    images: list[ItemImage] = []
    for index, item in enumerate(items):
        value = item.get("imagem")
        # `imagem_path` is output only: derived from `imagem`, whatever the client sent.
        if not value or not isinstance(value, str):
            item["imagem"] = item["imagem_path"] = None
            continue
        if kept_verbatim(value):
            item["imagem_path"] = item.get("imagem_path") if isinstance(item.get("imagem_path"), str) else None
            continue
        media = await take_image(store, value, f"items[{index}].imagem")
        item["imagem"] = item["imagem_path"] = image_url(media.sha256)
        images.append(ItemImage(index=index, image=as_ref(media)))
    return images


async def serve_image(store: MediaStore, sha256: str, request: Request) -> Response:
    """A stored image with ETag, conditional GET and ranges; 404 for anything not safely inside the store."""
    try:
        path, media = await asyncio.to_thread(store.lookup, sha256)
    except MediaNotFound as exc:
        raise ApiError(404, exc.code, exc.message) from None
    return file_response(path, sha256=media.sha256, mime=media.mime, request_headers=request.headers)
