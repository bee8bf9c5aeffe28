"""Pre-framed WebSocket writes for the order feed, straight to the connection's transport.

hypercorn 0.18 sends each ASGI `websocket.send` through the middleware's send
wrappers, Starlette, wsproto (framing, and a per-connection deflate), its stream
and protocol layers, an `asyncio.Lock` and a `drain()`: with one sender task
per socket that was ~65 µs of server CPU per delivered event (docs/performance.md).
The feed's messages are the same bytes for every socket, so a worker frames
each one once (`api.feed_wire.text_frame`) and the fan-out writes a client's
whole backlog with one `transport.write`, no task per socket woken.

Frames are whole and each goes in one `write`, so they never interleave with the
frames hypercorn still writes on the same connection (the 101, pongs to the
client's pings, the close). They go uncompressed: with permessage-deflate
negotiated, a message with RSV1 clear is an uncompressed message (RFC 7692 §6),
which browsers and client libraries read as such; the handshake is unchanged.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

__all__ = ["RawSink", "expose_ws_transport", "raw_sink", "EXTENSION"]

log = logging.getLogger("sgp.api.ws")

# The key under scope["extensions"] where the patched hypercorn leaves the connection's sink.
EXTENSION = "sgp.raw_frames"
# While the transport is not paused, its buffer empties on the next writable event: poll that often.
_POLL_S = 0.005


class RawSink:
    """One upgraded HTTP/1.1 connection's transport: whole WebSocket frames in, bytes out."""

    __slots__ = ("writer", "transport", "_high")

    def __init__(self, writer: asyncio.StreamWriter) -> None:
        self.writer = writer
        self.transport = writer.transport
        get_limits = getattr(self.transport, "get_write_buffer_limits", None)
        self._high = get_limits()[1] if get_limits is not None else 64 * 1024

    def write(self, data: bytes) -> bool:
        """Queue whole frames on the socket (sent at once when the kernel takes them); False once it is gone."""
        if self.transport.is_closing():
            return False
        try:
            self.transport.write(data)
        except RuntimeError:  # hypercorn already wrote EOF: the connection is ending
            return False
        return True

    def backlog(self) -> int:
        """Bytes written here or by hypercorn that the kernel has not taken yet."""
        return self.transport.get_write_buffer_size()

    async def writable(self, timeout: float) -> None:
        """Return when the backlog may have shrunk (drained below the low mark, or a short poll)."""
        if self.transport.is_closing():
            raise ConnectionResetError("feed socket closed")
        if self.backlog() > self._high:  # the protocol is paused: drain() wakes us on resume
            await asyncio.wait_for(self.writer.drain(), timeout)
        else:
            await asyncio.sleep(min(_POLL_S, timeout))


def _sink_of(stream: Any) -> RawSink | None:
    """The sink under a hypercorn WSStream served over HTTP/1.1 on asyncio, else None (HTTP/2, trio)."""
    from hypercorn.asyncio.tcp_server import TCPServer
    from hypercorn.protocol.h11 import H11Protocol

    protocol = getattr(getattr(stream, "send", None), "__self__", None)
    if not isinstance(protocol, H11Protocol):
        return None
    server = getattr(protocol.send, "__self__", None)
    writer = getattr(server, "writer", None)
    if not isinstance(server, TCPServer) or not isinstance(writer, asyncio.StreamWriter):
        return None
    return RawSink(writer)


_patched = False


def expose_ws_transport() -> bool:
    """Patch hypercorn's WSStream (once per process) to publish its sink in the scope at accept."""
    global _patched
    if _patched:
        return True
    try:
        from hypercorn.protocol.ws_stream import WSStream
    except ImportError:
        return False
    original = getattr(WSStream, "_accept", None)
    if original is None:
        log.warning("this hypercorn has no WSStream._accept: feed frames go through hypercorn")
        _patched = True
        return False

    async def accept(self: Any, message: Any) -> None:
        await original(self, message)
        try:
            sink = _sink_of(self)
            extensions = self.scope.get("extensions")
            # Nested in "extensions": shallow copies of the scope down the middleware share it. Without
            # that dict (another hypercorn) the feed never sees a sink and sends through hypercorn.
            if sink is not None and isinstance(extensions, dict):
                extensions[EXTENSION] = sink
        except Exception:
            log.exception("could not offer the raw frame sink; this feed socket sends through hypercorn")

    WSStream._accept = accept  # type: ignore[method-assign]
    _patched = True
    return True


def raw_sink(scope: Any) -> RawSink | None:
    """The accepted socket's sink, or None when the server does not offer one (then send through ASGI)."""
    extensions = scope.get("extensions") or {}
    sink = extensions.get(EXTENSION)
    return sink if isinstance(sink, RawSink) else None
