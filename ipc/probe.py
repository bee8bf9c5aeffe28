"""A blocking liveness probe of the writer, for callers without an event loop (the supervisor, the CLI).

One short connection per probe: Hello, Welcome, Ping, Ok, over the same
framing the workers use. A new connection each time keeps no state to go
stale across writer restarts, and the handshake costs well under a millisecond.
"""

from __future__ import annotations

import socket
import struct
import time
from pathlib import Path

import msgspec

from . import protocol
from .framing import Address, FrameError, frame, read_address_file
from .protocol import Call, Fail, Hello, Message, Ok, Ping, Welcome

__all__ = ["ping"]

_LENGTH = struct.Struct(">I")
_MAX_REPLY_BYTES = 64 * 1024


def ping(address_file: Path, *, timeout: float = 2.0, expect_pid: int | None = None) -> Address | None:
    """The writer's address when it answered a Ping within `timeout`, else None."""
    address = read_address_file(address_file)
    if address is None or (expect_pid is not None and address.pid != expect_pid):
        return None
    deadline = time.monotonic() + timeout
    try:
        with _connect(address, timeout) as sock:
            sock.sendall(frame(Hello(secret=address.secret, version=protocol.PROTOCOL_VERSION, client="probe")))
            if not isinstance(_receive(sock, deadline), Welcome):
                return None
            sock.sendall(frame(Call(id=1, command=Ping(), deadline=time.time() + timeout)))
            reply = _receive(sock, deadline)
            # The writer pushes some messages to every peer; skip them until the answer.
            while not isinstance(reply, (Ok, Fail)):
                reply = _receive(sock, deadline)
    except (OSError, FrameError, msgspec.DecodeError):
        return None
    return address if isinstance(reply, Ok) else None


def _connect(address: Address, timeout: float) -> socket.socket:
    if address.transport == "unix":
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(timeout)
        try:
            sock.connect(address.path)
        except BaseException:
            sock.close()
            raise
        return sock
    return socket.create_connection((address.host, address.port), timeout=timeout)


def _receive(sock: socket.socket, deadline: float) -> Message:
    (length,) = _LENGTH.unpack(_read_exactly(sock, _LENGTH.size, deadline))
    if length > _MAX_REPLY_BYTES:
        raise FrameError(f"reply of {length} bytes is too large for a probe")
    return protocol.decode(_read_exactly(sock, length, deadline))


def _read_exactly(sock: socket.socket, size: int, deadline: float) -> bytes:
    chunks: list[bytes] = []
    while size:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("the writer did not answer the probe in time")
        sock.settimeout(remaining)
        chunk = sock.recv(size)
        if not chunk:
            raise ConnectionError("the writer closed the probe connection")
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)
