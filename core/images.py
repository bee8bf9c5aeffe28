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

# Root form: the desktop app's needsUpload() takes any "/pedidos/..." value as already stored;
# "/api/v1/..." would make it try to read a local file and abort the save (contract images.md §2).
IMAGE_PATH = "/pedidos/imagens/"
FICHA_IMAGE_PATH = "/api/v1/fichas/imagens/"
SHA256_PREFIX = "sha256:"
# Forms of our image URL clients may send back: root, under /api/v1, without the leading slash.
_IMAGE_PATHS = (IMAGE_PATH, "/api/v1/pedidos/imagens/", "pedidos/imagens/", "api/v1/pedidos/imagens/")

# Longer strings are data (a data URL is megabytes): never copied to be inspected.
_MAX_REFERENCE_CHARS = 2048


def image_url(sha256: str) -> str:
    """The URL path that serves a stored image (immutable: the id is the content hash)."""
    return IMAGE_PATH + sha256


def ficha_image_url(ficha_id: int) -> str:
    """The URL path that serves a ficha's current image (changes when the image is replaced)."""
    return f"{FICHA_IMAGE_PATH}{ficha_id}"


def _our_path(path: str) -> str | None:
    for prefix in _IMAGE_PATHS:
        if path.startswith(prefix):
            return path[len(prefix) :].lower()
    return None


def reference_sha(value: str) -> str | None:
    """The image id a reference names, or None when `value` is not one of our references.

    References: ``sha256:<hex>``, the image URL path ``/pedidos/imagens/<hex>`` (also
    under ``/api/v1``, without the leading slash, or on an absolute ``http(s)://`` URL).
    A reference whose id is not a 64-hex sha256 (an imported ``/pedidos/imagens/12``)
    gives that text, so the caller reports an unknown image or keeps it verbatim.
    """
    if len(value) > _MAX_REFERENCE_CHARS:
        return None
    text = value.strip().replace("\\", "/")
    if text[: len(SHA256_PREFIX)].lower() == SHA256_PREFIX:
        return text[len(SHA256_PREFIX) :].lower()
    if text[:8].lower().startswith(("http://", "https://")):
        # Only our own image URLs: the server never fetches anything from elsewhere.
        return _our_path(urlsplit(text).path)
    return _our_path(text)
