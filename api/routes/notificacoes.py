"""/api/notificacoes: designer notifications ("art ready") and the old `ultimos` poll.

The desktop app calls these with plain `fetch` and keeps its base URL's path,
so they live under the fixed `/api/notificacoes` prefix (and, by the usual
double mount, `/api/v1/api/notificacoes` for a base URL ending in /api/v1).
A notification belongs to one user: each call sees and marks only the caller's.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from typing import Annotated

import msgspec
from fastapi import APIRouter, Path, Query, Request
from starlette.responses import Response

from core.notificacoes import Notificacao
from ipc.protocol import MarkAllNotificacoesRead, MarkNotificacaoRead
from readers.notificacoes import last_pedido_id, list_notificacoes

from ..commands import send
from ..deps import CurrentUser, ReadAccess, ReaderDep, SettingsDep, WriterDep
from ..page import page_limit
from ..responses import Responses, error_responses, json_content, json_response, ref

__all__ = ["router", "SCHEMAS"]

router = APIRouter(prefix="/api/notificacoes", tags=["notificacoes"])
_encoder = msgspec.json.Encoder()


class Ultimos(msgspec.Struct):
    """GET /api/notificacoes/ultimos."""

    ultimo_id: int
    timestamp: str


SCHEMAS = (Notificacao, Ultimos)
_POLL_S = 0.25
_MARKED: Responses = {"200": json_content({"type": "object"}, "{success, updated}")}


@router.get(
    "/designer",
    summary="Notificações do usuário (designer)",
    response_class=Response,
    responses={"200": json_content({"type": "array", "items": ref("Notificacao")})},
)
async def designer_notifications(
    readers: ReaderDep,
    settings: SettingsDep,
    user: CurrentUser,
    include_read: Annotated[bool, Query(description="Incluir as já lidas")] = False,
    limit: Annotated[int, Query(ge=1, description="Quantas (limitado a SGP_MAX_NOTIFICACOES)")] = 50,
) -> Response:
    """The caller's notifications, newest first; unread only unless `include_read=true`."""
    limit = page_limit(limit, settings.max_notificacoes, clamp=True)
    return json_response(await list_notificacoes(readers, user.id, include_read=include_read, limit=limit))


@router.patch("/read-all", summary="Marcar todas como lidas", response_class=Response, responses=_MARKED)
async def read_all(request: Request, writer: WriterDep, user: CurrentUser) -> Response:
    """Mark every notification of the caller read: `{success, updated}`."""
    return await send(request, writer, MarkAllNotificacoesRead(user_id=user.id))


@router.patch(
    "/{notification_id}/read",
    summary="Marcar como lida",
    response_class=Response,
    responses={**_MARKED, **error_responses(404)},
)
async def read_one(
    notification_id: Annotated[
        str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9-]+$", description="uuid (ou id numérico)")
    ],
    request: Request,
    writer: WriterDep,
    user: CurrentUser,
) -> Response:
    """Mark one of the caller's notifications read; 404 when the caller has none with that id."""
    return await send(request, writer, MarkNotificacaoRead(user_id=user.id, notification_id=notification_id))


@router.get(
    "/ultimos",
    summary="Último pedido criado",
    response_class=Response,
    responses={"200": json_content(ref("Ultimos"))},
)
async def ultimos(
    readers: ReaderDep,
    settings: SettingsDep,
    _: ReadAccess,
    apos: Annotated[int | None, Query(ge=0, description="Long poll: espere um pedido de id maior que este")] = None,
    espera: Annotated[float, Query(ge=0, description="Segundos de espera no máximo (até SGP_LONG_POLL_MAX_S)")] = 0,
) -> Response:
    """`{ultimo_id, timestamp}`: the newest pedido id, for pollers that predate the WebSocket feed.

    Without `apos` it answers at once, as the old server did. With `apos`, it answers as soon
    as a pedido newer than `apos` exists, or after `espera` seconds (a long poll).
    """
    deadline = time.monotonic() + min(espera, settings.long_poll_max_s)
    ultimo = await last_pedido_id(readers)
    while apos is not None and ultimo <= apos and time.monotonic() < deadline:
        await asyncio.sleep(_POLL_S)  # one primary-key step per poll: a waiting client costs ~nothing
        ultimo = await last_pedido_id(readers)
    now = datetime.now(UTC).replace(tzinfo=None).isoformat()
    return json_response(_encoder.encode(Ultimos(ultimo, now)))
