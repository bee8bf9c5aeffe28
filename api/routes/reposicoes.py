"""/reposicoes: reprint requests for a pedido (server-only family of the old server; the SGP client
makes a new pedido instead). Every call needs a token, as on the old server."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from starlette.responses import Response

from core.reposicoes import (
    Reposicao,
    ReposicaoCreate,
    ReposicaoDeleted,
    ReposicaoPatch,
    ReposicaoStatus,
    decode_reposicao_create,
    decode_reposicao_patch,
)
from ipc.protocol import CreateReposicao, DeleteReposicao, PatchReposicao
from readers.pedidos import json_array
from readers.reposicoes import get_reposicao_doc, list_reposicao_docs

from ..body import read_body
from ..commands import send
from ..deps import CurrentUser, ReaderDep, SettingsDep, WriterDep
from ..errors import ApiError
from ..page import page_limit
from ..responses import Responses, body_spec, error_responses, json_content, json_response, ref

__all__ = ["router", "SCHEMAS"]

router = APIRouter(prefix="/reposicoes", tags=["reposicoes"])
SCHEMAS = (ReposicaoCreate, ReposicaoPatch, Reposicao, ReposicaoDeleted)
ReposicaoId = Annotated[int, Path(ge=1, le=2**63 - 1, description="Id da reposição")]
_ONE: Responses = {"200": json_content(ref("Reposicao")), **error_responses(404)}


@router.get(
    "", summary="Listar reposições", response_class=Response,
    responses={"200": json_content({"type": "array", "items": ref("Reposicao")})},
)  # fmt: skip
async def list_reposicoes(
    readers: ReaderDep,
    settings: SettingsDep,
    _: CurrentUser,
    order_id: Annotated[int | None, Query(ge=1, le=2**63 - 1, description="Só as deste pedido")] = None,
    status: Annotated[ReposicaoStatus | None, Query()] = None,
    skip: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, description="No máximo SGP_MAX_PAGE_SIZE")] = 100,
) -> Response:
    """Newest first."""
    limit = page_limit(limit, settings.max_page_size, "SGP_MAX_PAGE_SIZE")
    docs = await list_reposicao_docs(readers, order_id=order_id, status=status, skip=skip, limit=limit)
    return json_response(json_array(docs))


@router.post(
    "", summary="Criar reposição", status_code=201, response_class=Response,
    openapi_extra=body_spec("ReposicaoCreate"),
    responses={"201": json_content(ref("Reposicao"), "Reposição criada"), **error_responses(404)},
)  # fmt: skip
async def create_reposicao(request: Request, writer: WriterDep, settings: SettingsDep, _: CurrentUser) -> Response:
    """Create a reposição of an existing pedido; it is numbered `REP-<id>`."""
    body = await read_body(request, settings.max_body_bytes)
    return await send(request, writer, CreateReposicao(decode_reposicao_create(body)), body)


@router.get("/{reposicao_id:int}", summary="Obter reposição", response_class=Response, responses=_ONE)
async def get_reposicao(reposicao_id: ReposicaoId, readers: ReaderDep, _: CurrentUser) -> Response:
    """One reposição."""
    doc = await get_reposicao_doc(readers, reposicao_id)
    if doc is None:
        raise ApiError(404, "not_found", f"Reposição {reposicao_id} não encontrada.")
    return json_response(doc)


@router.patch(
    "/{reposicao_id:int}", summary="Atualizar reposição", response_class=Response,
    openapi_extra=body_spec("ReposicaoPatch"), responses=_ONE,
)  # fmt: skip
async def patch_reposicao(
    reposicao_id: ReposicaoId, request: Request, writer: WriterDep, settings: SettingsDep, _: CurrentUser
) -> Response:
    """Change the fields sent."""
    body = await read_body(request, settings.max_body_bytes)
    return await send(request, writer, PatchReposicao(reposicao_id, decode_reposicao_patch(body)), body)


@router.delete(
    "/{reposicao_id:int}", summary="Excluir reposição", response_class=Response,
    responses={"200": json_content(ref("ReposicaoDeleted")), **error_responses(404)},
)  # fmt: skip
async def delete_reposicao(reposicao_id: ReposicaoId, request: Request, writer: WriterDep, _: CurrentUser) -> Response:
    """Delete a reposição."""
    return await send(request, writer, DeleteReposicao(reposicao_id))
