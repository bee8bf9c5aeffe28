"""Detect a file's type from its first bytes; the client's declared type is never trusted.

Accepted: PNG, JPEG, WebP, GIF, PDF, TIFF. Everything else is refused, notably:

- SVG: it is XML that can carry scripts, external references and entity
  tricks; serving it safely needs a real sanitiser, which is out of scope.
  Print shops can export artwork as PNG or PDF instead.
- HTML, executables (MZ, ELF), archives (zip, and so docx/xlsx) and any
  unknown signature: an allow-list keeps a renamed file from being stored
  and later served under an image type.

Files are served with ``X-Content-Type-Options: nosniff`` and the detected
type, so a browser never reinterprets them.
"""

from __future__ import annotations

from .errors import MediaInvalid

__all__ = ["ACCEPTED_MIME_TYPES", "SNIFF_BYTES", "check_claim", "normalise_mime", "sniff"]

# Enough for every signature below plus an XML prolog or comment before "<svg".
SNIFF_BYTES = 512

_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"%PDF-", "application/pdf"),
    (b"II*\x00", "image/tiff"),
    (b"MM\x00*", "image/tiff"),
)

ACCEPTED_MIME_TYPES = frozenset({mime for _, mime in _SIGNATURES} | {"image/webp"})

# Non-standard spellings that clients and old browsers still send.
_ALIASES = {
    "image/jpg": "image/jpeg",
    "image/pjpeg": "image/jpeg",
    "image/x-png": "image/png",
    "image/tif": "image/tiff",
    "image/x-tiff": "image/tiff",
    "application/x-pdf": "application/pdf",
}

# Declarations that say nothing about the content (browsers send the first
# one for files they cannot classify).
_NO_CLAIM = frozenset({"", "application/octet-stream", "binary/octet-stream"})

_ACCEPTED_LABEL = "PNG, JPEG, WebP, GIF, PDF ou TIFF"


def sniff(head: bytes) -> str:
    """Return the MIME type detected from the first bytes, or raise MediaInvalid."""
    for magic, mime in _SIGNATURES:
        if head.startswith(magic):
            return mime
    # RIFF container: size field, then the form type.
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if _looks_like_svg(head):
        raise MediaInvalid(
            f"Imagens SVG não são aceitas por motivos de segurança. Exporte a arte em {_ACCEPTED_LABEL}."
        )
    raise MediaInvalid(f"Tipo de arquivo não aceito. Envie {_ACCEPTED_LABEL}.")


def normalise_mime(mime: str | None) -> str | None:
    """Lower-case a declared MIME type, drop its parameters and aliases; None when it says nothing."""
    if mime is None:
        return None
    base = mime.split(";", 1)[0].strip().lower()
    if base in _NO_CLAIM:
        return None
    return _ALIASES.get(base, base)


def check_claim(claimed: str | None, detected: str) -> None:
    """Raise MediaInvalid when the declared type contradicts the detected one."""
    declared = normalise_mime(claimed)
    if declared is not None and declared != detected:
        raise MediaInvalid(f"O tipo declarado ({declared}) não corresponde ao conteúdo do arquivo ({detected}).")


def _looks_like_svg(head: bytes) -> bool:
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    # Only for a clearer message: anything unlisted is refused anyway.
    return text.startswith(b"<") and b"<svg" in text
