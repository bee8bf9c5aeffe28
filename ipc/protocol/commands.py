"""Commands of the other families (fichas, art, print logs, notificações, templates, catalogs, reposições, users) and ops."""

from __future__ import annotations

from typing import Any

import msgspec

from core.fichas import FichaCreate, FichaPatch
from core.metrics import Snapshot
from core.print_logs import PrintLogCreate
from core.reposicoes import ReposicaoCreate, ReposicaoPatch

from .base import ImageRef

__all__ = [
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
    "CreateRecord",
    "PatchRecord",
    "DeleteRecord",
    "CreateReposicao",
    "PatchReposicao",
    "DeleteReposicao",
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
]


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
