"""Sending a route's command to the writer: the caller as actor, the Idempotency-Key scoped to that caller."""

from __future__ import annotations

from fastapi import Request
from starlette.responses import Response

from ipc.client import WriterClient
from ipc.protocol import Command

from .body import idempotency
from .deps import principal_of
from .responses import committed

__all__ = ["send"]


async def send(request: Request, writer: WriterClient, command: Command, body: bytes = b"") -> Response:
    """Run `command` and answer the writer's committed body (after commit, as every write)."""
    principal = principal_of(request)  # set by the route's auth dependency
    key, request_hash = idempotency(request, body, f"u{principal.id}" if principal is not None else "anon")
    ok = await writer.call(
        command,
        actor=principal.actor if principal is not None else None,
        idempotency_key=key,
        request_hash=request_hash,
    )
    return committed(ok)
