"""Parse ``data:`` URLs and decode their base64 payload incrementally.

The payload of a large image is several MB; decoding it in bounded chunks
lets the caller hash, write and enforce the size limit as it goes, and stop
at the first chunk that goes over instead of materialising the whole file.
"""

from __future__ import annotations

import binascii
from collections.abc import Iterator

from .errors import MediaInvalid

__all__ = ["CHUNK_CHARS", "decode_base64_chunks", "parse_data_url"]

# Base64 characters read per step; a multiple of 4 (decodes to 48 KiB).
CHUNK_CHARS = 64 * 1024

# A header longer than this is not a data URL header we accept.
_MAX_HEADER_CHARS = 256

_INVALID_BASE64 = "Conteúdo base64 da imagem é inválido."


def parse_data_url(text: str) -> tuple[str | None, int]:
    """Return (declared MIME type or None, index where the base64 payload starts).

    Accepts ``data:<mime>[;param=value]*;base64,<payload>`` and bare base64.
    """
    head = text[:_MAX_HEADER_CHARS]
    start = len(head) - len(head.lstrip())
    if head[start : start + 5].lower() != "data:":
        return None, start
    comma = head.find(",", start)
    if comma < 0:
        raise MediaInvalid("Data URL da imagem malformada: falta a vírgula após o cabeçalho.")
    params = head[start + 5 : comma].split(";")
    if params[-1].strip().lower() != "base64":
        raise MediaInvalid("Data URL da imagem precisa estar codificada em base64.")
    mime = params[0].strip() if len(params) > 1 else ""
    return (mime or None), comma + 1


def decode_base64_chunks(text: str, start: int = 0, chunk_chars: int = CHUNK_CHARS) -> Iterator[bytes]:
    """Yield the decoded bytes of ``text[start:]`` chunk by chunk (strict base64, whitespace ignored).

    Decoding is lazy: a consumer that stops iterating stops the decoding.
    Raises MediaInvalid on any character outside the alphabet, misplaced
    padding or a truncated final quantum.
    """
    if chunk_chars <= 0 or chunk_chars % 4:
        raise ValueError("chunk_chars must be a positive multiple of 4")
    carry = ""
    padded = False
    for pos in range(start, len(text), chunk_chars):
        # Whitespace (line-wrapped base64) shifts the 4-char alignment, so the
        # remainder of each step is carried over to the next one.
        piece = carry + "".join(text[pos : pos + chunk_chars].split())
        usable = len(piece) - len(piece) % 4
        carry = piece[usable:]
        if not usable:
            continue
        if padded:
            # Padding ended an earlier quantum; strict base64 allows nothing after it.
            raise MediaInvalid(_INVALID_BASE64)
        block = piece[:usable]
        try:
            decoded = binascii.a2b_base64(block, strict_mode=True)
        except ValueError:  # binascii.Error, or non-ASCII characters in a str
            raise MediaInvalid(_INVALID_BASE64) from None
        padded = block.endswith("=")
        yield decoded
    if carry:
        raise MediaInvalid(_INVALID_BASE64)
