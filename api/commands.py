"""Sending a route's command to the writer: the one place a route calls `WriterClient.call`.

The actor/scope rule lives here: the caller a route's auth dependency set is the
actor recorded in the event, and its `Idempotency-Key` is scoped to that caller
("u<id>", "anon" without one) and fingerprinted with the method, path and body.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from fastapi import Request
from starlette.responses import Response

from ipc.client import WriterClient
from ipc.errors import CommandError
from ipc.protocol import Actor, Command, Ok

from .body import idempotency
from .deps import principal_of
from .errors import ApiError, command_error
from .responses import committed

__all__ = ["Caller", "SYSTEM", "send"]


@dataclass(frozen=True, slots=True)
class Caller:
    """Who sends a command and its idempotency (key scoped to the caller, request hash)."""

    actor: Actor | None
    key: str | None = None
    request_hash: str | None = None

    @classmethod
    def of(cls, request: Request, body: bytes = b"", *, idempotent: bool = True) -> Caller:
        """The request's caller; a malformed Idempotency-Key is refused (400) here, before any work."""
        principal = principal_of(request)  # set by the route's auth dependency
        if principal is None:
            actor, scope = None, "anon"
        else:
            actor, scope = principal.actor, f"u{principal.id}"
        if not idempotent:
            return cls(actor)
        key, request_hash = idempotency(request, body, scope)
        return cls(actor, key, request_hash)

    async def call(
        self,
        writer: WriterClient,
        command: Command,
        *,
        deadline_s: float | None = None,
        statuses: Mapping[str, int] | None = None,
    ) -> Ok:
        """Run `command` (answered after commit); `statuses` maps writer failure codes to this route's HTTP status."""
        try:
            return await writer.call(
                command,
                actor=self.actor,
                idempotency_key=self.key,
                request_hash=self.request_hash,
                deadline_s=deadline_s,
            )
        except CommandError as exc:
            if statuses is None:
                raise  # the app's handler translates it (api.errors.command_error)
            if exc.code in statuses:
                raise ApiError(statuses[exc.code], exc.code, exc.message, field=exc.field) from None
            raise command_error(exc) from None

    async def send(self, writer: WriterClient, command: Command) -> Response:
        """Run `command` and answer the writer's committed body."""
        return committed(await self.call(writer, command))


# Writes the server makes on nobody's behalf (the login's password-hash upgrade).
SYSTEM = Caller(None)


async def send(request: Request, writer: WriterClient, command: Command, body: bytes = b"") -> Response:
    """Run `command` as the request's caller (idempotent per `body`) and answer the committed body."""
    return await Caller.of(request, body).send(writer, command)
