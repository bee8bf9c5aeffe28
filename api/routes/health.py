"""/health (this worker is alive and can read) and /health/writer (the writer's figures)."""

from __future__ import annotations

import logging
import os
from datetime import UTC, datetime
from typing import Annotated

import msgspec
from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from ipc.errors import CommandError, WriterClientError
from ipc.protocol import GetStats, IntegrityCheck

from ..deps import OpsAccess, ReaderDep, WriterDep
from ..errors import ApiError
from ..responses import json_content, json_response, ref

__all__ = ["router"]

log = logging.getLogger("sgp.api.health")

router = APIRouter(tags=["ops"])

# integrity_check reads every page: seconds per GB of database.
_INTEGRITY_TIMEOUT_S = 600.0


@router.get("/health", summary="Liveness of this worker", response_class=Response)
async def health(request: Request, readers: ReaderDep, writer: WriterDep) -> Response:
    """Always 200 while this worker answers: the desktop client takes any status >= 500 for "server down".

    The old server's body (`status`, `version`, `timestamp`, `checks`) plus ours (`worker`,
    `writer_connected`). `status` is `degraded` when the database cannot be read or the writer
    is unreachable (writes then get 503; /health/writer has the details).
    """
    checks = {"api": "ok", "database": "ok", "writer": "ok" if writer.connected else "down"}
    body: dict[str, object] = {}
    try:
        # Inline: one trivial read on the event loop, never waiting for a busy pool.
        await readers.fetchone("SELECT 1", inline=True)
    except Exception as exc:  # whatever it is, the answer stays < 500 (see the docstring)
        log.warning("health: database read failed: %s", exc)
        checks["database"] = "error"
        body["database_error"] = type(exc).__name__
    status = "ok" if checks["database"] == "ok" and checks["writer"] == "ok" else "degraded"
    body = {
        "status": status,
        "version": request.app.version,
        # Naive ISO UTC, as the old server sent it (the client reads naive times as UTC).
        "timestamp": datetime.now(UTC).replace(tzinfo=None).isoformat(),
        "checks": checks,
        **body,
        "worker": os.getpid(),
        "writer_connected": writer.connected,
    }
    return json_response(msgspec.json.encode(body))


@router.get(
    "/health/writer",
    summary="Writer status and figures",
    response_class=Response,
    responses={
        403: json_content(ref("Error"), "integrity=1 sem ser administrador nem o token de operação"),
        409: json_content(ref("Error"), "Já há uma verificação de integridade em andamento"),
    },
)
async def writer_health(
    writer: WriterDep,
    caller: OpsAccess,
    integrity: Annotated[
        bool,
        Query(description="Also run PRAGMA integrity_check (reads the whole file): admin or ops token, one at a time"),
    ] = False,
) -> Response:
    """The writer's queue, batches, commit latency and storage; 503 `down` when unreachable."""
    if integrity and caller is not None and not caller.is_admin:
        # It reads every page of the database: not something any user may run in a loop.
        raise ApiError(
            403, "forbidden", "Apenas administradores (ou o token de operação) podem verificar a integridade."
        )
    down = json_response(b'{"status":"down"}', status=503, headers={"Retry-After": "2"})
    if not writer.connected:
        return down  # answer at once: a monitor must not wait out the writer's restart
    try:
        ok = await writer.request(GetStats(), timeout=2.0)
        checked = await writer.request(IntegrityCheck(), timeout=_INTEGRITY_TIMEOUT_S) if integrity else None
    except CommandError as exc:
        if exc.code == "integrity_in_progress":
            raise ApiError(409, exc.code, exc.message, headers={"Retry-After": "10"}) from None
        return down
    except WriterClientError:
        return down
    stats = msgspec.json.decode(ok.body)
    backlog = stats["queue_depth"] > 0.8 * stats["queue_capacity"]
    stalled = bool(stats["queue_depth"]) and (stats["last_commit_age_s"] or 0) > 5
    status = "degraded" if backlog or stalled or stats.get("crash_loop") else "ok"
    if checked is not None:
        stats["integrity"] = msgspec.json.decode(checked.body)
        if not stats["integrity"]["ok"]:
            status = "degraded"
    return json_response(msgspec.json.encode({"status": status, **stats}))
