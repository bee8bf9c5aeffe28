"""The designers' art panel: a designer's items, `status_arte`, comments (routes under /designers).

Items live inside their pedidos; ids are the client's (stored, or the
synthetic `pedido.id*1000+index`). Reads need a token (or SGP_OPEN_READS),
writes a user: the old server required neither, the client always sends one.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

import msgspec
from fastapi import APIRouter, Path, Query, Request
from starlette.responses import Response

from core.art import ArtCommentCreate, ArtStatusPatch, decode_comment, decode_status_patch
from core.text import fold
from ipc.protocol import AddArtComment, SetArtStatus
from readers.art import designer_items, find_item_pedido

from ..body import read_body
from ..commands import send
from ..deps import CurrentUser, ReadAccess, ReaderDep, SettingsDep, WriterDep
from ..errors import ApiError
from ..page import page_limit
from ..responses import body_spec, error_responses, json_content, json_response

__all__ = ["router", "SCHEMAS"]

router = APIRouter(tags=["designers"])

ItemId = Annotated[int, Path(ge=0, le=2**63 - 1, description="Id do item (guardado ou pedido.id*1000+índice)")]
MAX_PAGE = 200  # the old server clamped `limit` to 1..200; so do we (the client asks 50)
_encoder = msgspec.json.Encoder()
SCHEMAS = (ArtStatusPatch, ArtCommentCreate)
_ART_ITEM = json_content({"type": "object"}, "O item do painel (campos do pedido e do item, sem valores)")


@router.get(
    "/designers/{nome}/itens",
    summary="Itens de um designer (painel de artes)",
    response_class=Response,
    responses={"200": json_content({"type": "array", "items": {"type": "object"}}), **error_responses(400)},
)
async def list_designer_items(
    nome: Annotated[str, Path(min_length=1, max_length=200, description="Nome do designer (como nos itens)")],
    readers: ReaderDep,
    _: ReadAccess,
    start_date: Annotated[date | None, Query(description="Início de data_entrada (YYYY-MM-DD)")] = None,
    end_date: Annotated[date | None, Query(description="Fim de data_entrada, inclusive (YYYY-MM-DD)")] = None,
    limit: Annotated[int, Query(description="Itens por página, limitado a 1..200")] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> Response:
    """Items whose `designer` is `nome` (case and accents ignored) in pedidos not delivered nor cancelled."""
    if start_date is not None and end_date is not None and start_date > end_date:
        raise ApiError(400, "invalid_range", "start_date deve ser menor ou igual a end_date.", field="start_date")
    items = await designer_items(
        readers,
        fold(nome),
        start=start_date.isoformat() if start_date else None,
        end=end_date.isoformat() if end_date else None,
        limit=page_limit(limit, MAX_PAGE, clamp=True),
        offset=offset,
    )
    return json_response(_encoder.encode(items))


async def _pedido_of(readers: ReaderDep, item_id: int) -> int:
    pedido_id = await find_item_pedido(readers, item_id)
    if pedido_id is None:
        raise ApiError(404, "not_found", f"Item {item_id} não encontrado em nenhum pedido ativo.")
    return pedido_id


@router.patch(
    "/designers/itens/{item_id:int}/status-arte",
    summary="Marcar arte do item",
    response_class=Response,
    openapi_extra=body_spec("ArtStatusPatch"),
    responses={"200": _ART_ITEM, **error_responses(404)},
)
async def set_status_arte(
    item_id: ItemId, request: Request, readers: ReaderDep, writer: WriterDep, settings: SettingsDep, _: CurrentUser
) -> Response:
    """Set `status_arte` (`aguardando` | `liberado`) of one item; answers the art item."""
    body = await read_body(request, settings.max_body_bytes)
    patch = decode_status_patch(body)
    pedido_id = await _pedido_of(readers, item_id)
    return await send(request, writer, SetArtStatus(pedido_id, item_id, patch.status_arte), body)


@router.post(
    "/designers/itens/{item_id:int}/comentarios",
    summary="Comentar a arte do item",
    response_class=Response,
    openapi_extra=body_spec("ArtCommentCreate"),
    responses={"200": _ART_ITEM, **error_responses(404)},
)
async def add_comment(
    item_id: ItemId, request: Request, readers: ReaderDep, writer: WriterDep, settings: SettingsDep, user: CurrentUser
) -> Response:
    """Append `{id, autor, texto, data}` to the item's comments; answers the updated art item."""
    body = await read_body(request, settings.max_body_bytes)
    comment = decode_comment(body)
    pedido_id = await _pedido_of(readers, item_id)
    autor = (comment.autor or "").strip() or user.username
    command = AddArtComment(pedido_id, item_id, uuid.uuid4().hex, autor, comment.texto.strip())
    return await send(request, writer, command, body)
