"""GET /metrics (every process's figures, from prometheus_client's multiprocess files) and POST /admin/backup."""

from __future__ import annotations

import msgspec
from fastapi import APIRouter, Request
from starlette.responses import Response

from core.prometheus import CONTENT_TYPE
from ipc.protocol import Backup

from ..body import read_body
from ..commands import Caller
from ..deps import AdminUser, OpsAccess, WriterDep
from ..json_body import decode_json
from ..metrics import WorkerMetrics
from ..responses import json_content, json_response, ref

__all__ = ["router"]

router = APIRouter(tags=["ops"])

# A large database copies at tens of MB/s; the request waits for the verified copy.
_BACKUP_TIMEOUT_S = 3600.0
_MAX_BODY_BYTES = 64 * 1024
_BACKUP_STATUS = {"backup_target_exists": 409, "backup_in_progress": 409, "backup_corrupt": 500, "backup_failed": 500}


class BackupRequest(msgspec.Struct, forbid_unknown_fields=True):
    """Body of POST /admin/backup."""

    path: str | None = None


@router.get(
    "/metrics",
    summary="Prometheus metrics of the whole service",
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE: {}}}},
)
async def metrics(request: Request, _: OpsAccess) -> Response:
    """Every worker's and the writer's metrics (replaced processes' counters included): the same page on every worker.

    Read from files, not asked of the writer: the page is there while the writer is down.
    """
    own: WorkerMetrics = request.app.state.metrics
    return Response(own.render(), media_type=CONTENT_TYPE)


@router.post(
    "/admin/backup",
    summary="Backup online do banco e das imagens",
    response_class=Response,
    openapi_extra={
        "requestBody": {
            "required": False,
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "properties": {"path": {"type": "string", "description": "Pasta de destino (nova ou vazia)"}},
                    }
                }
            },
        }
    },
    responses={
        409: json_content(ref("Error"), "Destino existente e não vazio, ou backup em andamento"),
        500: json_content(ref("Error"), "A cópia falhou ou não passou na verificação de integridade"),
        503: json_content(ref("Error"), "Escritor indisponível"),
    },
)
async def backup(request: Request, writer: WriterDep, _: AdminUser) -> Response:
    """Ask the writer for a consistent copy (database + media) while writes go on; answers when verified."""
    body = await read_body(request, _MAX_BODY_BYTES, optional=True)
    path = decode_json(body, BackupRequest).path if body.strip() else None
    caller = Caller.of(request, idempotent=False)
    ok = await caller.call(writer, Backup(path=path), deadline_s=_BACKUP_TIMEOUT_S, statuses=_BACKUP_STATUS)
    return json_response(ok.body)
