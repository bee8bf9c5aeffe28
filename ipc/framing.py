"""Framing, handshake and the address file of the writer's IPC channel.

TCP on 127.0.0.1 with an ephemeral port by default (it works on Windows), a
Unix socket as an option on POSIX. The address and the run's secret live in
`writer.json` in the data dir, readable only by the owner, so a restarted
writer (on a new port) is found again by the workers.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import os
import struct
from pathlib import Path
from typing import Any

import msgspec

from . import protocol
from .protocol import Hello, Message, Welcome

__all__ = [
    "FrameError",
    "Address",
    "read_frame",
    "read_message",
    "write_message",
    "frame",
    "open_connection",
    "client_handshake",
    "server_handshake",
    "write_address_file",
    "read_address_file",
]

_LENGTH = struct.Struct(">I")
HANDSHAKE_TIMEOUT_S = 5.0


class FrameError(Exception):
    """The peer sent something that is not a valid frame; the connection is dropped."""


class Address(msgspec.Struct, frozen=True):
    """Where the writer listens, and the secret a client must present."""

    transport: str  # "tcp" | "unix"
    host: str
    port: int
    path: str
    secret: str
    pid: int


def frame(message: Message) -> bytes:
    """A message as bytes on the wire: length prefix plus msgpack."""
    body = protocol.encode(message)
    return _LENGTH.pack(len(body)) + body


async def read_frame(reader: asyncio.StreamReader, max_bytes: int = protocol.MAX_FRAME_BYTES) -> bytes:
    """Read one frame body; raises FrameError on oversize and IncompleteReadError at EOF."""
    header = await reader.readexactly(_LENGTH.size)
    (length,) = _LENGTH.unpack(header)
    if length > max_bytes:
        raise FrameError(f"frame of {length} bytes exceeds the {max_bytes}-byte limit")
    return await reader.readexactly(length)


async def read_message(reader: asyncio.StreamReader, max_bytes: int = protocol.MAX_FRAME_BYTES) -> Message:
    """Read and decode one message; raises FrameError on anything malformed."""
    body = await read_frame(reader, max_bytes)
    try:
        return protocol.decode(body)
    except msgspec.DecodeError as exc:
        raise FrameError(f"undecodable frame: {exc}") from None


def write_message(writer: asyncio.StreamWriter, message: Message) -> None:
    """Queue one message on the stream (call `drain` for backpressure)."""
    writer.write(frame(message))


async def server_handshake(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    *,
    secret: str,
    welcome: Welcome,
    timeout: float = HANDSHAKE_TIMEOUT_S,
) -> Hello:
    """Check the first frame's secret (constant time) and answer Welcome; else FrameError."""
    # A tiny first-frame limit: an unauthenticated peer cannot make us buffer much.
    first = await asyncio.wait_for(read_message(reader, max_bytes=4096), timeout)
    if not isinstance(first, Hello):
        raise FrameError("first frame is not a hello")
    if not hmac.compare_digest(first.secret.encode(), secret.encode()):
        raise FrameError("wrong secret")
    if first.version != protocol.PROTOCOL_VERSION:
        raise FrameError(f"protocol version {first.version} != {protocol.PROTOCOL_VERSION}")
    write_message(writer, welcome)
    await writer.drain()
    return first


async def open_connection(address: Address) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """Connect to the writer at `address`."""
    limit = protocol.MAX_FRAME_BYTES + _LENGTH.size
    if address.transport == "unix":
        return await asyncio.open_unix_connection(address.path, limit=limit)
    return await asyncio.open_connection(address.host, address.port, limit=limit)


async def client_handshake(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, *, secret: str, client: str
) -> Welcome:
    """Send Hello and wait for Welcome; raises FrameError when refused."""
    write_message(writer, Hello(secret=secret, version=protocol.PROTOCOL_VERSION, client=client))
    await writer.drain()
    try:
        reply = await asyncio.wait_for(read_message(reader), HANDSHAKE_TIMEOUT_S)
    except asyncio.IncompleteReadError:
        raise FrameError("writer closed the connection during the handshake") from None
    if not isinstance(reply, Welcome):
        raise FrameError("writer did not welcome us")
    return reply


def write_address_file(path: Path, address: Address) -> None:
    """Write the address atomically with owner-only permissions.

    On Windows the mode bits are ignored; the file inherits the data dir's
    ACL, so the data dir must be readable only by the service account.
    """
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    data = msgspec.json.encode(address)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_BINARY", 0), 0o600)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)


def read_address_file(path: Path) -> Address | None:
    """The writer's current address, or None when it has not published one."""
    try:
        raw: Any = path.read_bytes()
    except FileNotFoundError:
        return None
    try:
        return msgspec.json.decode(raw, type=Address)
    except (msgspec.DecodeError, json.JSONDecodeError):
        return None
