"""The IPC protocol between API workers and the writer.

Every frame is a 4-byte big-endian length followed by one msgpack-encoded
`Message`. A connection opens with `Hello` (carrying the run's secret and the
protocol version); the writer answers `Welcome` or closes. After that the
worker sends `Call`s (each with its own request id) and may `Subscribe` to
committed events; the writer answers each call with `Ok` or `Fail`, in any
order, and pushes `Events` to subscribers.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec

# Normalised* types: the API worker already validated and normalised these; the writer
# decodes them without running the normalisers again.
from core.domain import NormalizedCreate, NormalizedPatch
from core.fichas import FichaCreate, FichaPatch
from core.print_logs import PrintLogCreate
from core.reposicoes import ReposicaoCreate, ReposicaoPatch
from core.metrics import Snapshot

__all__ = [
    "PROTOCOL_VERSION",
    "MAX_FRAME_BYTES",
    "Hello",
    "Welcome",
    "Actor",
    "ImageRef",
    "ItemImage",
    "CreatePedido",
    "PatchPedido",
    "DeletePedido",
    "SaveRascunho",
    "PromoverRascunho",
    "PatchPedidoItem",
    "DeleteAllPedidos",
    "ResetIds",
    "CreateFicha",
    "PatchFicha",
    "DeleteFicha",
    "BatchStatus",
    "SetArtStatus",
    "AddArtComment",
    "CreatePrintLog",
    "MarkNotificacaoRead",
    "MarkAllNotificacoesRead",
    "PutTemplates",
    "CreateReposicao",
    "PatchReposicao",
    "DeleteReposicao",
    "CreateRecord",
    "PatchRecord",
    "DeleteRecord",
    "CreateUser",
    "UpdateUser",
    "ChangePassword",
    "RehashPassword",
    "RevokeToken",
    "Ping",
    "GetStats",
    "ReportMetrics",
    "GetMetrics",
    "Backup",
    "IntegrityCheck",
    "Command",
    "Call",
    "Ok",
    "Fail",
    "Subscribe",
    "Event",
    "Events",
    "Reset",
    "UserValidity",
    "RevokedToken",
    "AuthChanged",
    "Broadcast",
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


Sha256 = Annotated[str, msgspec.Meta(pattern="^[0-9a-f]{64}$")]


class ImageRef(msgspec.Struct, frozen=True):
    """An image an API worker already stored: the writer records it, never sees its bytes."""

    sha256: Sha256
    mime: Annotated[str, msgspec.Meta(max_length=100)]
    size: Annotated[int, msgspec.Meta(ge=1)]


class ItemImage(msgspec.Struct, frozen=True):
    """The image of item `index`; that item's `imagem` holds the image's URL."""

    index: Annotated[int, msgspec.Meta(ge=0)]
    image: ImageRef


# Commands ---------------------------------------------------------------


class CreatePedido(msgspec.Struct, tag="create_pedido", frozen=True):
    """Insert a pedido; the writer assigns `numero` when the data has none."""

    data: NormalizedCreate
    images: list[ItemImage] = []


class PatchPedido(msgspec.Struct, tag="patch_pedido", frozen=True):
    """Change the fields present in `patch`; `if_version` guards against lost updates.

    When `patch.items` is sent, `images` replaces every image reference of the pedido.
    """

    id: int
    patch: NormalizedPatch
    if_version: int | None = None
    images: list[ItemImage] = []


class DeletePedido(msgspec.Struct, tag="delete_pedido", frozen=True):
    """Remove a pedido and its image references."""

    id: int


class SaveRascunho(msgspec.Struct, tag="save_rascunho", frozen=True):
    """Create a draft (`id` None) or merge `fields` over a stored one; drafts are loosely typed.

    When `fields` holds `items`, `images` replaces every image reference of the draft.
    """

    fields: dict[str, Any]
    id: int | None = None
    images: list[ItemImage] = []


class PromoverRascunho(msgspec.Struct, tag="promover_rascunho", frozen=True):
    """Turn draft `id` into a pedido with the same id and the next numero; `data` was validated from it."""

    id: int
    data: NormalizedCreate
    if_version: int
    images: list[ItemImage] = []


class PatchPedidoItem(msgspec.Struct, tag="patch_pedido_item", frozen=True):
    """Merge `fields` over one item, found by its id or the synthetic `pedido_id*1000+index`.

    `image` is the item's new image when `fields` holds `imagem` (None: no stored image).
    """

    item_id: int
    fields: dict[str, Any]
    pedido_id: int | None = None
    image: ImageRef | None = None


class DeleteAllPedidos(msgspec.Struct, tag="delete_all_pedidos", frozen=True):
    """Delete every pedido and draft, only if nothing changed since the backup `backup_seq` names."""

    backup: str
    backup_seq: int


class ResetIds(msgspec.Struct, tag="reset_ids", frozen=True):
    """Restart the id and numero sequences after the highest ones still stored (after a backup)."""

    backup: str
    backup_seq: int


class CreateFicha(msgspec.Struct, tag="create_ficha", frozen=True):
    """Insert a ficha; `data.imagem_base64` is always None (the image travels as `image`)."""

    data: FichaCreate
    image: ImageRef | None = None


class PatchFicha(msgspec.Struct, tag="patch_ficha", frozen=True):
    """Change the fields present in `patch`; `image`: UNSET keeps it, None removes it."""

    id: int
    patch: FichaPatch
    image: ImageRef | None | msgspec.UnsetType = msgspec.UNSET


class DeleteFicha(msgspec.Struct, tag="delete_ficha", frozen=True):
    """Remove a ficha (and so its image reference)."""

    id: int


class BatchStatus(msgspec.Struct, tag="batch_status", frozen=True):
    """Set one status on many pedidos in one transaction."""

    ids: list[int]
    status: str


class SetArtStatus(msgspec.Struct, tag="set_art_status", frozen=True):
    """Set `status_arte` of the item `item_id` (stored or synthetic id) of pedido `pedido_id`."""

    pedido_id: int
    item_id: int
    status_arte: str


class AddArtComment(msgspec.Struct, tag="add_art_comment", frozen=True):
    """Append a comment to an item's `comentarios`; `comment_id` comes from the API (retries keep it)."""

    pedido_id: int
    item_id: int
    comment_id: str
    autor: str
    texto: str


class CreatePrintLog(msgspec.Struct, tag="create_print_log", frozen=True):
    """Log a print of a pedido or of one of its items."""

    data: PrintLogCreate


class MarkNotificacaoRead(msgspec.Struct, tag="mark_notificacao_read", frozen=True):
    """Mark one notification of `user_id` read (`notification_id`: its uuid or its numeric id)."""

    user_id: int
    notification_id: str


class MarkAllNotificacoesRead(msgspec.Struct, tag="mark_all_notificacoes_read", frozen=True):
    """Mark every notification of `user_id` read."""

    user_id: int


class PutTemplates(msgspec.Struct, tag="put_templates", frozen=True):
    """Store templates of one kind (`ficha`, `ficha_html`, `relatorio`): type -> JSON (or HTML) bytes."""

    kind: str
    docs: dict[str, bytes]
class CreateRecord(msgspec.Struct, tag="create_record", frozen=True):
    """Insert a catalog record; `family` names one of core.catalogs.FAMILIES, `data` its create fields."""

    family: str
    data: dict[str, Any]


class PatchRecord(msgspec.Struct, tag="patch_record", frozen=True):
    """Change the fields present in `data` of one catalog record."""

    family: str
    id: int
    data: dict[str, Any]


class DeleteRecord(msgspec.Struct, tag="delete_record", frozen=True):
    """Remove one catalog record (its family's delete rule may refuse)."""

    family: str
    id: int


class CreateReposicao(msgspec.Struct, tag="create_reposicao", frozen=True):
    """Insert a reposição of pedido `data.order_id`."""

    data: ReposicaoCreate


class PatchReposicao(msgspec.Struct, tag="patch_reposicao", frozen=True):
    """Change the fields present in `patch`."""

    id: int
    patch: ReposicaoPatch


class DeleteReposicao(msgspec.Struct, tag="delete_reposicao", frozen=True):
    """Remove one reposição."""

    id: int


class CreateUser(msgspec.Struct, tag="create_user", frozen=True):
    """Add a user; the password arrives hashed (hashing is heavy work, done by the caller)."""

    username: str
    password_hash: str
    is_admin: bool = False
    setor: str | None = None
    active: bool = True


class UpdateUser(msgspec.Struct, tag="update_user", frozen=True):
    """Change the fields given; role, name, activation or password changes end the user's sessions.

    `deleted` removes the user for good: sessions end, the name is free again, the row stays
    (events name it).
    """

    id: int
    username: str | msgspec.UnsetType = msgspec.UNSET
    deleted: bool = False
    is_admin: bool | msgspec.UnsetType = msgspec.UNSET
    active: bool | msgspec.UnsetType = msgspec.UNSET
    setor: str | None | msgspec.UnsetType = msgspec.UNSET
    password_hash: str | msgspec.UnsetType = msgspec.UNSET


class ChangePassword(msgspec.Struct, tag="change_password", frozen=True):
    """Replace a password, only if the stored hash is still the one the caller verified."""

    id: int
    expected_hash: str
    password_hash: str


class RehashPassword(msgspec.Struct, tag="rehash_password", frozen=True):
    """Store a fresh hash of the password a login just verified (older scheme or parameters).

    Applied only if the stored hash is still `expected_hash`; sessions are kept.
    """

    id: int
    expected_hash: str
    password_hash: str


class RevokeToken(msgspec.Struct, tag="revoke_token", frozen=True):
    """Log out one token (by its jti) until it would have expired anyway."""

    jti: str
    expires_at: float
    user_id: int


class Ping(msgspec.Struct, tag="ping", frozen=True):
    """Liveness probe answered by the writer's event loop, outside any batch."""


class GetStats(msgspec.Struct, tag="get_stats", frozen=True):
    """The writer's health figures."""


# Ops commands ---------------------------------------------------------------
# Answered outside the batches (writer/ops.py), like Ping and GetStats.


class ReportMetrics(msgspec.Struct, tag="report_metrics", frozen=True):
    """A worker's metrics registry, sent about once a second; the writer keeps the latest."""

    worker: str
    snapshot: Snapshot


class GetMetrics(msgspec.Struct, tag="get_metrics", frozen=True):
    """Every worker's metrics merged with the writer's; `report` refreshes the caller's first."""

    report: ReportMetrics | None = None


class Backup(msgspec.Struct, tag="backup", frozen=True):
    """Copy the database and the media to `path` (None: a new dir under data/backups) and verify it."""

    path: str | None = None


class IntegrityCheck(msgspec.Struct, tag="integrity_check", frozen=True):
    """Run PRAGMA integrity_check on a read connection of its own."""


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
    return _decoder.decode(payload)
