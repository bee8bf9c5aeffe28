"""Wire forms of stored images: the URLs responses carry and the references clients send back.

An image's id is the sha256 of its bytes (lowercase hex): the media store is
content-addressed, so the id never changes meaning and the same bytes have
one id. Both the API (item and ficha intake) and the writer (checking that a
command's references match its items) use these helpers.
"""

from __future__ import annotations

from urllib.parse import urlsplit

__all__ = [
    "FICHA_IMAGE_PATH",
    "IMAGE_PATH",
    "SHA256_PREFIX",
    "ficha_image_url",
    "image_url",
    "reference_sha",
]

IMAGE_PATH = "/api/v1/pedidos/imagens/"
FICHA_IMAGE_PATH = "/api/v1/fichas/imagens/"
SHA256_PREFIX = "sha256:"

# Longer strings are data (a data URL is megabytes): never copied to be inspected.
_MAX_REFERENCE_CHARS = 2048


def image_url(sha256: str) -> str:
    """The URL path that serves a stored image (immutable: the id is the content hash)."""
    return IMAGE_PATH + sha256


def ficha_image_url(ficha_id: int) -> str:
    """The URL path that serves a ficha's current image (changes when the image is replaced)."""
    return f"{FICHA_IMAGE_PATH}{ficha_id}"


def reference_sha(value: str) -> str | None:
    """The image id a reference names, or None when `value` is not a reference.

    References: ``sha256:<hex>``, the image URL path ``/api/v1/pedidos/imagens/<hex>``
    (as responses carry it), or that path on an absolute ``http(s)://`` URL.
    A reference that names no well-formed id (or a URL of another site) gives
    a string that is not an id, so the caller reports an unknown image.
    """
    if len(value) > _MAX_REFERENCE_CHARS:
        return None
    text = value.strip()
    if text[: len(SHA256_PREFIX)].lower() == SHA256_PREFIX:
        return text[len(SHA256_PREFIX) :].lower()
    if text[:8].lower().startswith(("http://", "https://")):
        # Only our own image URLs: the server never fetches anything from elsewhere.
        path = urlsplit(text).path
        return path[len(IMAGE_PATH) :].lower() if path.startswith(IMAGE_PATH) else ""
    if text.startswith(IMAGE_PATH):
        return text[len(IMAGE_PATH) :].lower()
    return None
