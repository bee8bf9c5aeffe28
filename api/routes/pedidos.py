"""/api/v1/pedidos: reads from the reader pool, writes as commands to the writer."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Header, Path, Query, Request
from starlette.responses import Response

from core.domain import decode_create, decode_patch, fold, normalize_status
from readers.pedidos import PedidoFilter, get_pedido_doc, list_pedido_docs, json_array
from writer.protocol import CreatePedido, DeletePedido, PatchPedido

from ..body import idempotency, read_body
from ..deps import ReaderDep, SettingsDep, WriterDep
from ..errors import ApiError
from ..responses import committed, json_content, json_response, ref

__all__ = ["router"]

PedidoId = Annotated[int, Path(ge=1, le=2**62, description="Id do pedido")]

router = APIRouter(prefix="/api/v1/pedidos", tags=["pedidos"])

_ERRORS = {
    "400": json_content(ref("Error"), "Requisição inválida"),
    "413": json_content(ref("Error"), "Corpo grande demais"),
    "422": json_content(ref("Error"), "Campo inválido"),
    "503": json_content(ref("Error"), "Gravação indisponível; tente de novo (Retry-After)"),
}
_WRITE_HEADERS = {"X-SGP-Seq": {"description": "Sequence number of the committed event", "schema": {"type": "integer"}}}


def _body_spec(schema: str) -> dict:
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": ref(schema)}}}}


def _scope() -> str:
    return "anon"


def _not_found(pedido_id: int) -> ApiError:
    return ApiError(404, "not_found", f"Pedido {pedido_id} não encontrado.")


def _status_param(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return normalize_status(value)
    except ValueError as exc:
        raise ApiError(422, "validation_error", str(exc), field="status") from None


@router.post(
    "/",
    summary="Criar pedido",
    response_class=Response,
    openapi_extra=_body_spec("PedidoCreate"),
    responses={"200": {**json_content(ref("Pedido"), "Pedido criado"), "headers": _WRITE_HEADERS}, "409": json_content(ref("Error"), "Número já existe"), **_ERRORS},
)
async def create_pedido(request: Request, writer: WriterDep, settings: SettingsDep) -> Response:
    """Create a pedido; `numero` is assigned by the writer when absent."""
    body = await read_body(request, settings.max_body_bytes)
    data = decode_create(body, max_items=settings.max_items)
    key, request_hash = idempotency(request, body, _scope())
    ok = await writer.call(CreatePedido(data=data), idempotency_key=key, request_hash=request_hash)
    return committed(ok)


@router.get(
    "/",
    summary="Listar pedidos",
    response_class=Response,
    responses={"200": {**json_content({"type": "array", "items": ref("Pedido")}), "headers": {"X-Total-Count": {"schema": {"type": "integer"}}}}, **_ERRORS},
)
async def list_pedidos(
    readers: ReaderDep,
    settings: SettingsDep,
    status: Annotated[str | None, Query(description="pendente, em_producao, pronto, entregue, cancelado")] = None,
    cliente: Annotated[str | None, Query(max_length=200, description="Trecho do nome, sem diferenciar acentos")] = None,
    data_inicio: date | None = None,
    data_fim: date | None = None,
    date_mode: Literal["entrada", "entrega", "qualquer"] = "entrada",
    is_pronto: bool | None = None,
    skip: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    limit: Annotated[int, Query(ge=1)] = 100,
) -> Response:
    """Pedidos newest first (ALTA first within a day); total in `X-Total-Count`."""
    if limit > settings.max_page_size:
        raise ApiError(
            422, "validation_error", f"limit deve ser no máximo {settings.max_page_size} (SGP_MAX_PAGE_SIZE).",
            field="limit",
        )
    if data_inicio is not None and data_fim is not None and data_inicio > data_fim:
        raise ApiError(400, "invalid_date_range", "data_inicio não pode ser posterior a data_fim.", field="data_inicio")
    filters = PedidoFilter(
        status=_status_param(status),
        cliente_folded=fold(cliente) if cliente else None,
        data_inicio=data_inicio,
        data_fim=data_fim,
        date_mode=date_mode,
        is_pronto=is_pronto,
        skip=skip,
        limit=limit,
    )
    docs, total = await list_pedido_docs(readers, filters)
    return json_response(json_array(docs), headers={"X-Total-Count": str(total)})


@router.get(
    "/{pedido_id}",
    summary="Obter pedido",
    response_class=Response,
    responses={"200": {**json_content(ref("Pedido")), "headers": {"ETag": {"schema": {"type": "string"}}}}, "404": json_content(ref("Error"), "Não encontrado")},
)
async def get_pedido(pedido_id: PedidoId, readers: ReaderDep) -> Response:
    """One pedido; its `ETag` is its version (use it in `If-Match`)."""
    found = await get_pedido_doc(readers, pedido_id)
    if found is None:
        raise _not_found(pedido_id)
    doc, version = found
    return json_response(doc, headers={"ETag": f'"{version}"'})


def _if_match(value: str | None) -> int | None:
    if value is None or value.strip() == "*":
        return None
    raw = value.strip().removeprefix("W/").strip('"')
    if not raw.isdigit():
        raise ApiError(400, "invalid_if_match", "If-Match deve conter a versão do pedido (ETag).", field="If-Match")
    return int(raw)


@router.patch(
    "/{pedido_id}",
    summary="Atualizar pedido (parcial)",
    response_class=Response,
    openapi_extra=_body_spec("PedidoPatch"),
    responses={"200": {**json_content(ref("Pedido")), "headers": _WRITE_HEADERS}, "404": json_content(ref("Error")), "409": json_content(ref("Error")), "412": json_content(ref("Error"), "Versão desatualizada"), **_ERRORS},
)
async def patch_pedido(
    pedido_id: PedidoId,
    request: Request,
    writer: WriterDep,
    settings: SettingsDep,
    if_match: Annotated[str | None, Header()] = None,
) -> Response:
    """Change only the fields sent; `items`, when sent, replaces the list."""
    body = await read_body(request, settings.max_body_bytes)
    patch = decode_patch(body, max_items=settings.max_items)
    key, request_hash = idempotency(request, body, _scope())
    ok = await writer.call(
        PatchPedido(id=pedido_id, patch=patch, if_version=_if_match(if_match)),
        idempotency_key=key,
        request_hash=request_hash,
    )
    return committed(ok)


@router.delete(
    "/{pedido_id}",
    summary="Excluir pedido",
    response_class=Response,
    responses={"200": json_content({"type": "object"}), "404": json_content(ref("Error")), "503": _ERRORS["503"]},
)
async def delete_pedido(pedido_id: PedidoId, request: Request, writer: WriterDep) -> Response:
    """Delete a pedido; a second delete is 404."""
    key, request_hash = idempotency(request, b"", _scope())
    ok = await writer.call(DeletePedido(id=pedido_id), idempotency_key=key, request_hash=request_hash)
    return committed(ok)
