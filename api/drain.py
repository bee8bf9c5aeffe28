"""Reading and dropping the unread rest of a request body: `discard` (the one drain loop) and its middleware.

`discard` serves a refused body (413 after the rest is read, so the client sees
the answer) and the middleware below; both stop past a byte budget.

The middleware reads what is left of a small request body before the last byte of an early answer.

A route may answer before it reads the body (401 from auth, 422 on a bad path
id). Hypercorn then closes the keep-alive connection unless the body had fully
arrived when the answer finished, and it says so too late for the client: the
client's *next* request on that connection fails with "server disconnected".
Draining the unread rest first (bounded in size and time) keeps the connection
usable; past the bounds it closes as before.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterable, AsyncIterator

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["DrainUnreadBody", "discard"]

_MAX_DRAIN_BYTES = 1024 * 1024
_MAX_DRAIN_S = 2.0


async def discard(chunks: AsyncIterable[bytes], budget: int) -> bool:
    """Read and drop `chunks` to their end (True), or stop once they pass `budget` bytes (False)."""
    size = 0
    async for chunk in chunks:
        size += len(chunk)
        if size > budget:
            return False
    return True


async def _bodies(receive: Receive) -> AsyncIterator[bytes]:
    """The request's remaining body chunks, straight from ASGI `receive`."""
    while True:
        message = await receive()
        yield message.get("body", b"")
        if message["type"] != "http.request" or not message.get("more_body", False):
            return


class DrainUnreadBody:
    """Pure ASGI middleware: before the final body message, consume the request body the app left unread."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        declared = headers.get(b"content-length", b"0")
        if b"transfer-encoding" not in headers and (not declared.isdigit() or int(declared) == 0):
            await self.app(scope, receive, send)  # no body to leave behind
            return
        if declared.isdigit() and int(declared) > _MAX_DRAIN_BYTES:
            await self.app(scope, receive, send)  # reading it all costs more than a new connection
            return
        done = False

        async def tracked_receive() -> Message:
            nonlocal done
            message = await receive()
            if message["type"] != "http.request" or not message.get("more_body", False):
                done = True
            return message

        async def draining_send(message: Message) -> None:
            if message["type"] == "http.response.body" and not message.get("more_body", False) and not done:
                await self._drain(tracked_receive)
            await send(message)

        await self.app(scope, tracked_receive, draining_send)

    @staticmethod
    async def _drain(receive: Receive) -> None:
        try:
            async with asyncio.timeout(_MAX_DRAIN_S):
                await discard(_bodies(receive), _MAX_DRAIN_BYTES)
        except TimeoutError:
            pass
