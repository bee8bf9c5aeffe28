"""A minimal asyncio HTTP/1.1 keep-alive client, cheap enough to drive hundreds of load clients.

One `HttpConnection` is one virtual client: one TCP connection, one request at a
time, reconnecting when the server closed it. Requests carry Content-Length
bodies only; responses may use Content-Length, chunked encoding or
read-until-close. httpx costs several times more CPU per request, and the load
generator shares the CPU with the server it measures.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

__all__ = ["HttpConnection", "ProtocolError", "Response"]

_IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
_CRLF = b"\r\n"
_END_OF_HEAD = b"\r\n\r\n"


class ProtocolError(Exception):
    """The server sent a response this client cannot parse."""


class Response:
    """Status, raw head and body of one response; headers are parsed only when asked for."""

    __slots__ = ("status", "head", "body")

    def __init__(self, status: int, head: bytes, body: bytes) -> None:
        self.status = status
        self.head = head  # status line and headers, ending in CRLF CRLF
        self.body = body

    def header(self, name: str) -> str | None:
        """The first header called `name` (case-insensitive), or None."""
        value = _header_value(self.head.lower(), name.lower().encode("ascii"))
        return None if value is None else value.decode("latin-1")

    def __repr__(self) -> str:
        return f"<Response {self.status} {len(self.body)} bytes>"


def _header_value(lower_head: bytes, lower_name: bytes) -> bytes | None:
    needle = _CRLF + lower_name + b":"
    start = lower_head.find(needle)
    if start < 0:
        return None
    start += len(needle)
    return lower_head[start : lower_head.find(_CRLF, start)].strip()


class HttpConnection:
    """One keep-alive HTTP/1.1 connection to `host:port`, used by one task at a time."""

    def __init__(
        self, host: str, port: int, *, headers: Mapping[str, str] | None = None, timeout: float = 30.0
    ) -> None:
        self.host = host
        self.port = port
        self.timeout = timeout
        self.connects = 0
        # Built once: every request reuses the same header block.
        fixed = {"Host": f"{host}:{port}", **(headers or {})}
        self._headers = b"".join(f"{k}: {v}\r\n".encode("latin-1") for k, v in fixed.items())
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def request(
        self, method: str, path: str, body: bytes | None = None, *, content_type: str = "application/json"
    ) -> Response:
        """Send one request and read its response; raises on timeout or a broken connection."""
        head = b"%s %s HTTP/1.1\r\n%s" % (method.encode("ascii"), path.encode("ascii"), self._headers)
        if body is not None:
            head += b"Content-Type: %s\r\nContent-Length: %d\r\n" % (content_type.encode("ascii"), len(body))
        payload = head + _CRLF + body if body is not None else head + _CRLF
        try:
            async with asyncio.timeout(self.timeout):
                reused = self._writer is not None
                try:
                    return await self._exchange(method, payload)
                except (ConnectionError, asyncio.IncompleteReadError):
                    # A kept-alive connection the server already closed fails before any answer;
                    # only requests that are safe to send twice are retried on a fresh one.
                    if not reused or method not in _IDEMPOTENT:
                        raise
                    self.close()
                    return await self._exchange(method, payload)
        except BaseException:
            self.close()  # the connection's state is unknown: never reuse it
            raise

    async def _exchange(self, method: str, payload: bytes) -> Response:
        if self._writer is None:
            self._reader, self._writer = await asyncio.open_connection(self.host, self.port)
            self.connects += 1
        reader, writer = self._reader, self._writer
        assert reader is not None
        writer.write(payload)
        await writer.drain()
        while True:
            head = await reader.readuntil(_END_OF_HEAD)
            if not head.startswith(b"HTTP/1.") or len(head) < 12:
                raise ProtocolError(f"bad status line: {head[:40]!r}")
            status = int(head[9:12])
            if status >= 200 or status == 101:
                break  # skip interim 1xx answers (100 Continue, 103 Early Hints)
        lower = head.lower()
        keep_alive = head[7:8] == b"1"  # HTTP/1.1 keeps alive by default, 1.0 does not
        connection = _header_value(lower, b"connection")
        if connection is not None:
            keep_alive = b"close" not in connection and (keep_alive or b"keep-alive" in connection)
        if method == "HEAD" or status in (204, 304) or status < 200:
            body = b""
        elif (encoding := _header_value(lower, b"transfer-encoding")) is not None and b"chunked" in encoding:
            body = await _read_chunked(reader)
        elif (length := _header_value(lower, b"content-length")) is not None:
            body = await reader.readexactly(int(length))
        else:
            body = await reader.read()
            keep_alive = False
        if not keep_alive:
            self.close()
        return Response(status, head, body)

    def close(self) -> None:
        """Drop the connection; the next request opens a new one."""
        if self._writer is not None:
            self._writer.close()
        self._reader = self._writer = None

    async def aclose(self) -> None:
        """Close the connection and wait until the socket is released."""
        writer = self._writer
        self.close()
        if writer is not None:
            try:
                await writer.wait_closed()
            except (ConnectionError, OSError):
                pass


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    parts: list[bytes] = []
    while True:
        line = await reader.readuntil(_CRLF)
        try:
            size = int(line.split(b";", 1)[0], 16)
        except ValueError:
            raise ProtocolError(f"bad chunk size line: {line[:40]!r}") from None
        if size == 0:
            while await reader.readuntil(_CRLF) != _CRLF:
                pass  # trailers: ignored
            return b"".join(parts)
        chunk = await reader.readexactly(size + 2)
        parts.append(chunk[:-2])
