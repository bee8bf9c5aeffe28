"""Read what is left of a small request body before the last byte of an early answer.

A route may answer before it reads the body (401 from auth, 422 on a bad path
id). Hypercorn then closes the keep-alive connection unless the body had fully
arrived when the answer finished, and it says so too late for the client: the
client's *next* request on that connection fails with "server disconnected".
Draining the unread rest first (bounded in size and time) keeps the connection
usable; past the bounds it closes as before.
"""

from __future__ import annotations

import asyncio

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["DrainUnreadBody"]

_MAX_DRAIN_BYTES = 1024 * 1024
_MAX_DRAIN_S = 2.0


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
        size = 0
        try:
            async with asyncio.timeout(_MAX_DRAIN_S):
                while size <= _MAX_DRAIN_BYTES:
                    message = await receive()
                    size += len(message.get("body", b""))
                    if message["type"] != "http.request" or not message.get("more_body", False):
                        return
        except TimeoutError:
            pass
