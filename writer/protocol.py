"""The IPC protocol between API workers and the writer.

Every frame is a 4-byte big-endian length followed by one msgpack-encoded
`Message`. A connection opens with `Hello` (carrying the run's secret and the
protocol version); the writer answers `Welcome` or closes. After that the
worker sends `Call`s (each with its own request id) and may `Subscribe` to
committed events; the writer answers each call with `Ok` or `Fail`, in any
order, and pushes `Events` to subscribers.
"""

from __future__ import annotations

import msgspec

from core.domain import PedidoCreate, PedidoPatch

__all__ = [
    "PROTOCOL_VERSION",
    "MAX_FRAME_BYTES",
    "Hello",
    "Welcome",
    "Actor",
    "CreatePedido",
    "PatchPedido",
    "DeletePedido",
    "BatchStatus",
    "Ping",
    "GetStats",
    "Command",
    "TRANSACTIONAL",
    "Call",
    "Ok",
    "Fail",
    "Subscribe",
    "Event",
    "Events",
    "Reset",
    "Message",
    "encode",
    "decode",
]

PROTOCOL_VERSION = 1
# Commands carry references, never image bytes, so frames stay small.
MAX_FRAME_BYTES = 32 * 1024 * 1024


class Hello(msgspec.Struct, tag="hello", frozen=True):
    """First frame from a worker: proves it belongs to this run."""

    secret: str
    version: int
    client: str


class Welcome(msgspec.Struct, tag="welcome", frozen=True):
    """The writer accepted the connection."""

    version: int
    epoch: str
    last_seq: int
    writer_pid: int


class Actor(msgspec.Struct, frozen=True):
    """Who asked for a write; recorded in its event."""

    id: int
    username: str


# Commands ---------------------------------------------------------------


class CreatePedido(msgspec.Struct, tag="create_pedido", frozen=True):
    """Insert a pedido; the writer assigns `numero` when the data has none."""

    data: PedidoCreate


class PatchPedido(msgspec.Struct, tag="patch_pedido", frozen=True):
    """Change the fields present in `patch`; `if_version` guards against lost updates."""

    id: int
    patch: PedidoPatch
    if_version: int | None = None


class DeletePedido(msgspec.Struct, tag="delete_pedido", frozen=True):
    """Remove a pedido."""

    id: int


class BatchStatus(msgspec.Struct, tag="batch_status", frozen=True):
    """Set one status on many pedidos in one transaction."""

    ids: list[int]
    status: str


class Ping(msgspec.Struct, tag="ping", frozen=True):
    """Liveness probe answered by the writer's event loop, outside any batch."""


class GetStats(msgspec.Struct, tag="get_stats", frozen=True):
    """The writer's health figures."""


Command = CreatePedido | PatchPedido | DeletePedido | BatchStatus | Ping | GetStats
# Commands that run inside a batch transaction; the others are answered directly.
TRANSACTIONAL = (CreatePedido, PatchPedido, DeletePedido, BatchStatus)


class Call(msgspec.Struct, tag="call", frozen=True):
    """One command from a worker. `deadline` is a `time.time()` instant."""

    id: int
    command: Command
    deadline: float
    actor: Actor | None = None
    idempotency_key: str | None = None
    request_hash: str | None = None


class Ok(msgspec.Struct, tag="ok", frozen=True):
    """The command committed: `body` is the JSON the API answers with."""

    id: int
    status: int
    body: bytes
    seq: int | None = None


class Fail(msgspec.Struct, tag="fail", frozen=True):
    """The command did not commit. `code` is stable English, `message` Portuguese."""

    id: int
    code: str
    message: str
    transient: bool
    field: str | None = None


# Events -----------------------------------------------------------------


class Subscribe(msgspec.Struct, tag="subscribe", frozen=True):
    """Ask for every committed event after `since`, then live ones."""

    since: int


class Event(msgspec.Struct, frozen=True):
    """A committed change; `payload` is the JSON message sent to feed clients."""

    seq: int
    type: str
    order_id: int | None
    payload: bytes


class Events(msgspec.Struct, tag="events", frozen=True):
    """Events pushed to a subscriber, in `seq` order."""

    events: list[Event]


class Reset(msgspec.Struct, tag="reset", frozen=True):
    """`since` is older than the retained log: the subscriber must refetch."""

    first_seq: int
    last_seq: int


Message = Hello | Welcome | Call | Ok | Fail | Subscribe | Events | Reset

_encoder = msgspec.msgpack.Encoder()
_decoder = msgspec.msgpack.Decoder(Message)


def encode(message: Message) -> bytes:
    """Encode a message body (without the length prefix)."""
    return _encoder.encode(message)


def decode(payload: bytes) -> Message:
    """Decode a message body; raises msgspec.DecodeError on anything malformed."""
    return _decoder.decode(payload)
