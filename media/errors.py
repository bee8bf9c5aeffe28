"""Exceptions raised by the media package.

    MediaError              base: ``code`` (stable, English) + Portuguese message
     ├── MediaTooLarge      image_too_large   decoded size over the limit
     ├── MediaInvalid       invalid_image     bad base64, refused type, claim mismatch
     ├── MediaNotFound      image_not_found   unknown, malformed or unsafe id
     └── MediaStorageFull   storage_full      the disk is full (ENOSPC, EDQUOT)

The API maps them to HTTP (413, 422, 404, 507) and answers
``{"detail": err.message, "code": err.code}``.
"""

from __future__ import annotations

__all__ = ["MediaError", "MediaInvalid", "MediaNotFound", "MediaStorageFull", "MediaTooLarge"]


class MediaError(Exception):
    """Base class: a stable English ``code`` and a Portuguese ``message`` for the user."""

    code: str = "media_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, message={self.message!r})"


class MediaTooLarge(MediaError):
    """The decoded file exceeds the configured maximum size."""

    code = "image_too_large"

    def __init__(self, max_bytes: int) -> None:
        super().__init__(f"Imagem excede o tamanho máximo permitido ({_human_size(max_bytes)}).")
        self.max_bytes = max_bytes


class MediaInvalid(MediaError):
    """The payload is not valid base64, is of a refused type, or contradicts its declared type."""

    code = "invalid_image"


class MediaNotFound(MediaError):
    """No stored file answers to this id (or the id is malformed or unsafe)."""

    code = "image_not_found"

    def __init__(self, message: str = "Imagem não encontrada.") -> None:
        super().__init__(message)


class MediaStorageFull(MediaError):
    """The disk holding the media store is full; nothing of the upload was kept."""

    code = "storage_full"

    def __init__(self) -> None:
        super().__init__("O disco do servidor está cheio; tente novamente mais tarde.")


def _human_size(n: int) -> str:
    for unit, scale in (("MB", 1024 * 1024), ("KB", 1024)):
        if n >= scale:
            return f"{n / scale:.1f}".rstrip("0").rstrip(".") + f" {unit}"
    return f"{n} bytes"
