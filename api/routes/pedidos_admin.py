"""Admin-only resets: `DELETE /pedidos/all` and `POST /pedidos/reset-ids`, each after an online backup.

The writer first copies the database and media (the same online backup as
`POST /admin/backup`), then runs the reset only if nothing was committed
since that copy, and the answer names the backup, so no shop loses its
history to a click.
"""

from __future__ import annotations

import time

import msgspec
from fastapi import APIRouter, Request
from starlette.responses import Response

from ipc.protocol import Backup, DeleteAllPedidos, ResetIds

from ..commands import Caller
from ..deps import AdminUser, WriterDep
from ..responses import Responses, committed, json_content, ref

__all__ = ["router"]

router = APIRouter(prefix="/pedidos", tags=["pedidos (admin)"])

_BACKUP_TIMEOUT_S = 3600.0  # a large database copies at tens of MB/s; the request waits for it
_STATUS = {"backup_target_exists": 409, "backup_in_progress": 409, "changed_during_backup": 409}


class _BackupDone(msgspec.Struct):
    path: str
    last_seq: int


async def _reset(
    request: Request, writer: WriterDep, what: str, make: type[DeleteAllPedidos] | type[ResetIds]
) -> Response:
    # Named after the reset and the instant, under <data dir>/backups/: never an existing directory.
    target = f"antes-de-{what}-{time.strftime('%Y%m%d-%H%M%S')}-{time.time_ns() % 1_000_000_000:09d}"
    caller = Caller.of(request, idempotent=False)
    ok = await caller.call(writer, Backup(path=target), deadline_s=_BACKUP_TIMEOUT_S, statuses=_STATUS)
    done = msgspec.json.decode(ok.body, type=_BackupDone)
    reset = make(backup=done.path, backup_seq=done.last_seq)
    return committed(await caller.call(writer, reset, statuses=_STATUS))


_ANSWERS: Responses = {
    "409": json_content(ref("Error"), "Backup em andamento, ou pedidos alterados durante o backup (nada apagado)"),
    "403": json_content(ref("Error"), "Somente administradores"),
}


@router.delete(
    "/all",
    summary="Apagar todos os pedidos e rascunhos (admin; faz backup antes)",
    response_class=Response,
    responses=_ANSWERS,
)
async def delete_all(request: Request, writer: WriterDep, _: AdminUser) -> Response:
    """Back up, then delete every pedido and draft; the answer names the backup directory."""
    return await _reset(request, writer, "apagar-pedidos", DeleteAllPedidos)


@router.post(
    "/reset-ids",
    summary="Reiniciar as sequências de id e número (admin; faz backup antes)",
    response_class=Response,
    responses=_ANSWERS,
)
async def reset_ids(request: Request, writer: WriterDep, _: AdminUser) -> Response:
    """Back up, then restart ids and numeros after the highest ones still stored (existing pedidos keep theirs)."""
    return await _reset(request, writer, "reiniciar-ids", ResetIds)
