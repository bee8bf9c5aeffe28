"""A minimal WebSocket client for benchmark listeners: a fraction of a full client library's CPU per message.

bench/fanout.py runs 200 listeners in one process on the same 2 cores as the server;
with the `websockets` library they took 20-40 % of a core at 6 000 messages/s,
which a busy box turns into receipt latency that is not the server's. This client
reads whole chunks and splits frames itself: unmasked server text frames, optional
permessage-deflate (context takeover), close frames. It implements only what the
listener uses (`async for`, `recv`, `send`, `close`, `close_code`, `close_reason`)
and is for measurement only; the feed's tests use the `websockets` library.
"""

from __future__ import annotations

import asyncio
import base64
import os
import zlib
from collections import deque
from urllib.parse import urlsplit

__all__ = ["LightWebSocket", "light_connect"]

_TAIL = b"\x00\x00\xff\xff"


class LightWebSocket:
    """One client connection: frames in, text messages out."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, inflate: bool, rest: bytes) -> None:
        self.reader, self.writer = reader, writer
        self.inflater = zlib.decompressobj(-15) if inflate else None
        self.buffer = rest
        self.ready: deque[str] = deque()
        self.close_code: int | None = None
        self.close_reason: str | None = None

    def _parse(self) -> None:
        data, at = self.buffer, 0
        while len(data) - at >= 2:
            first, size = data[at], data[at + 1] & 0x7F
            head = 2
            if size == 126:
                size, head = int.from_bytes(data[at + 2 : at + 4], "big"), 4
            elif size == 127:
                size, head = int.from_bytes(data[at + 2 : at + 10], "big"), 10
            if len(data) - at < head + size:
                break
            payload = data[at + head : at + head + size]
            at += head + size
            opcode = first & 0x0F
            if opcode == 0x1:
                if first & 0x40:  # RSV1: compressed (permessage-deflate)
                    assert self.inflater is not None
                    payload = self.inflater.decompress(payload + _TAIL)
                self.ready.append(payload.decode())
            elif opcode == 0x8:
                self.close_code = int.from_bytes(payload[:2], "big") if len(payload) >= 2 else 1005
                self.close_reason = payload[2:].decode(errors="replace")
        self.buffer = data[at:]

    async def recv(self) -> str:
        """The next text message; ConnectionError once the server closed."""
        while not self.ready:
            if self.close_code is not None:
                raise ConnectionError(f"closed {self.close_code} {self.close_reason}")
            chunk = await self.reader.read(1 << 18)
            if not chunk:
                self.close_code = self.close_code or 1006
                raise ConnectionError("connection lost")
            self.buffer += chunk
            self._parse()
        return self.ready.popleft()

    def __aiter__(self) -> LightWebSocket:
        return self

    async def __anext__(self) -> str:
        try:
            return await self.recv()
        except ConnectionError:
            if self.close_code in (1000, 1006) or self.close_code is None:
                raise StopAsyncIteration from None
            raise

    async def send(self, text: str) -> None:
        """One masked text frame (short messages only: the listener sends pings)."""
        data = text.encode()
        mask = os.urandom(4)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(data))
        self.writer.write(bytes((0x81, 0x80 | len(data))) + mask + masked)

    async def close(self) -> None:
        """Send a close frame (1000) and drop the connection."""
        if not self.writer.is_closing():
            mask = os.urandom(4)
            body = (1000).to_bytes(2, "big")
            self.writer.write(bytes((0x88, 0x80 | len(body))) + mask + bytes(b ^ mask[i] for i, b in enumerate(body)))
            self.writer.close()


async def light_connect(url: str, *, deflate: bool, open_timeout: float) -> LightWebSocket:
    """Handshake on `ws://host:port/path?query`, offering permessage-deflate when `deflate`."""
    parts = urlsplit(url)
    reader, writer = await asyncio.wait_for(asyncio.open_connection(parts.hostname, parts.port), open_timeout)
    key = base64.b64encode(os.urandom(16)).decode()
    offer = "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n" if deflate else ""
    writer.write(
        f"GET {parts.path}?{parts.query} HTTP/1.1\r\nHost: {parts.netloc}\r\nUpgrade: websocket\r\n"
        f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n{offer}\r\n".encode()
    )
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), open_timeout)
    if not head.startswith(b"HTTP/1.1 101"):
        writer.close()
        raise ConnectionError(head.split(b"\r\n", 1)[0].decode(errors="replace"))
    return LightWebSocket(reader, writer, b"permessage-deflate" in head.lower(), b"")
