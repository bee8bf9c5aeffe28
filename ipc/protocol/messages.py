"""The `Command` union, the call/answer frames, committed events and the msgpack codec."""

from __future__ import annotations

import msgspec

from .base import Actor, Hello, Welcome
from .commands import (
    AddArtComment,
    Backup,
    BatchStatus,
    ChangePassword,
    CreateFicha,
    CreatePrintLog,
    CreateRecord,
    CreateReposicao,
    CreateUser,
    DeleteFicha,
    DeleteRecord,
    DeleteReposicao,
    GetMetrics,
    GetStats,
    IntegrityCheck,
    MarkAllNotificacoesRead,
    MarkNotificacaoRead,
    PatchFicha,
    PatchRecord,
    PatchReposicao,
    Ping,
    PutTemplates,
    RehashPassword,
    ReportMetrics,
    RevokeToken,
    SetArtStatus,
    UpdateUser,
)
from .pedidos import (
    CreatePedido,
    DeleteAllPedidos,
    DeletePedido,
    PatchPedido,
    PatchPedidoItem,
    PromoverRascunho,
    ResetIds,
    SaveRascunho,
)

__all__ = [
    "Command",
    "Call",
    "Ok",
    "Fail",
    "Subscribe",
    "Event",
    "Events",
    "UserValidity",
    "RevokedToken",
    "AuthChanged",
    "Broadcast",
    "Reset",
    "Message",
    "encode",
    "decode",
]

Command = (
    CreatePedido
    | PatchPedido
    | DeletePedido
    | SaveRascunho
    | PromoverRascunho
    | PatchPedidoItem
    | DeleteAllPedidos
    | ResetIds
    | BatchStatus
    | SetArtStatus
    | AddArtComment
    | CreatePrintLog
    | MarkNotificacaoRead
    | MarkAllNotificacoesRead
    | PutTemplates
    | CreateReposicao
    | PatchReposicao
    | DeleteReposicao
    | CreateFicha
    | PatchFicha
    | DeleteFicha
    | CreateRecord
    | PatchRecord
    | DeleteRecord
    | CreateUser
    | UpdateUser
    | ChangePassword
    | RehashPassword
    | RevokeToken
    | Ping
    | GetStats
    | ReportMetrics
    | GetMetrics
    | Backup
    | IntegrityCheck
)


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


class UserValidity(msgspec.Struct, frozen=True):
    """Tokens of `user_id` issued before `valid_after` (unix seconds) are no longer accepted."""

    user_id: int
    valid_after: float


class RevokedToken(msgspec.Struct, frozen=True):
    """One logged-out token."""

    jti: str
    expires_at: float


class AuthChanged(msgspec.Struct, tag="auth_changed", frozen=True):
    """Pushed to every worker after a commit that ends sessions (no DB round trip per request)."""

    users: list[UserValidity]
    revoked: list[RevokedToken]


class Broadcast(msgspec.Struct, tag="broadcast", frozen=True):
    """A feed client's message for every other client: relayed, never stored."""

    payload: bytes


class Reset(msgspec.Struct, tag="reset", frozen=True):
    """`since` is older than the retained log: the subscriber must refetch."""

    first_seq: int
    last_seq: int


Message = Hello | Welcome | Call | Ok | Fail | Subscribe | Events | Reset | AuthChanged | Broadcast

_encoder = msgspec.msgpack.Encoder()
_decoder = msgspec.msgpack.Decoder(Message)


def encode(message: Message) -> bytes:
    """Encode a message body (without the length prefix)."""
    return _encoder.encode(message)


def decode(payload: bytes) -> Message:
    """Decode a message body; raises msgspec.DecodeError on anything malformed."""
    message: Message = _decoder.decode(payload)
    return message
