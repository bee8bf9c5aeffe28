"""Request bodies: read with a size limit while streaming, and the idempotency fingerprint."""

from __future__ import annotations

import hashlib
import re

from fastapi import Request

from .drain import discard
from .errors import ApiError

__all__ = ["read_body", "idempotency", "IDEMPOTENCY_HEADER"]

IDEMPOTENCY_HEADER = "Idempotency-Key"
_KEY = re.compile(r"^[A-Za-z0-9._:\-]{1,200}$")


# Past the limit we still read (and discard) up to this multiple, so the client
# gets its 413 instead of a stalled upload; beyond it we close the connection.
_DRAIN_FACTOR = 4


def _too_large(limit: int, *, close: bool = False) -> ApiError:
    return ApiError(
        413,
        "body_too_large",
        f"Corpo da requisição maior que o limite de {limit} bytes (SGP_MAX_BODY_BYTES).",
        headers={"Connection": "close"} if close else None,
    )


async def _drain(request: Request, already: int, limit: int) -> ApiError:
    ended = await discard(request.stream(), _DRAIN_FACTOR * limit - already)
    return _too_large(limit, close=not ended)


async def read_body(request: Request, limit: int, *, optional: bool = False) -> bytes:
    """The whole body, refusing (413) as soon as it passes `limit` bytes; nothing is kept past it.

    An empty body is 400, unless `optional` (then it is b"").
    """
    declared = request.headers.get("content-length")
    if optional and (declared is None or declared == "0") and "transfer-encoding" not in request.headers:
        return b""
    if declared is not None:
        if not declared.isdigit():
            raise ApiError(400, "bad_content_length", "Cabeçalho Content-Length inválido.")
        if int(declared) > limit:
            if int(declared) > _DRAIN_FACTOR * limit:
                raise _too_large(limit, close=True)
            raise await _drain(request, 0, limit)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            chunks.clear()
            raise await _drain(request, size, limit)
        chunks.append(chunk)
    if size == 0 and not optional:
        raise ApiError(400, "empty_body", "Corpo da requisição vazio; envie um objeto JSON.")
    return b"".join(chunks)


def idempotency(request: Request, body: bytes, scope: str) -> tuple[str | None, str | None]:
    """(key, request hash) from the Idempotency-Key header; the key is scoped per user and route."""
    key = request.headers.get(IDEMPOTENCY_HEADER)
    if key is None:
        return None, None
    if not _KEY.match(key):
        raise ApiError(
            400,
            "invalid_idempotency_key",
            "Idempotency-Key inválida: use até 200 caracteres [A-Za-z0-9._:-].",
            field=IDEMPOTENCY_HEADER,
        )
    digest = hashlib.sha256()
    digest.update(request.method.encode())
    digest.update(b"\0" + request.url.path.encode() + b"\0")
    digest.update(body)
    return f"{scope}:{key}", digest.hexdigest()
