"""/pedidos (and /api/v1/pedidos): reads from the reader pool, writes as commands to the writer.

Ids are `{pedido_id:int}` in the paths: `/summary`, `/total` or `/rascunhos` never
match an id route, so the order in which routes and routers are declared does not
matter. Drafts, item patches and the admin resets live in their own routers.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from fastapi import APIRouter, Header, Path, Query, Request
from msgspec import UNSET
from starlette.responses import Response

from core.domain import decode_create, decode_patch
from core.pedido_ops import decode_batch_status
from ipc.protocol import BatchStatus, CreatePedido, DeletePedido, PatchPedido
from readers.pedidos import (
    PedidoFilter,
    count_pedidos,
    data_version,
    get_draft_doc,
    get_pedido_doc,
    json_array,
    list_pedido_docs_at,
)
from readers.pedidos_summary import DashboardSummary, dashboard_summary
from readers.pool import ReaderPool

from ..body import read_body
from ..commands import Caller, send
from ..deps import ReaderDep, SettingsDep, WriterDep
from ..errors import ApiError
from ..images import take_item_images
from ..list_cache import accepts_gzip, etag_for, gzip_etag, gzipped, matches
from ..page import page_limit
from ..pedido_params import PedidoId, forbid_unless_admin, list_filters, status_param
from ..responses import Responses, error_responses, json_content, json_response, ref
from ..state import WorkerState
from .pedidos_drafts import save_draft

__all__ = ["router", "SCHEMAS"]

SCHEMAS = (DashboardSummary,)

Skip = Annotated[int, Query(ge=0, le=10_000_000, description="Quantos pedidos pular")]
Limit = Annotated[int | None, Query(ge=1, description="Tamanho da página (sem limit: todos, até SGP_MAX_PEDIDOS_PAGE)")]
_STATUS_HELP = "pendente, em_producao, pronto, entregue, cancelado (grafias antigas aceitas)"

router = APIRouter(prefix="/pedidos", tags=["pedidos"])

_ERRORS: Responses = {
    "400": json_content(ref("Error"), "Requisição inválida"),
    "413": json_content(ref("Error"), "Corpo grande demais"),
    "422": json_content(ref("Error"), "Campo inválido"),
    "503": json_content(ref("Error"), "Gravação indisponível; tente de novo (Retry-After)"),
}
_NOT_FOUND: Responses = {"404": json_content(ref("Error"), "Pedido não encontrado")}
_WRITE_HEADERS = {"X-SGP-Seq": {"description": "Sequence number of the committed event", "schema": {"type": "integer"}}}
_PAGE_HEADERS = {
    "X-Total-Count": {"description": "Total de pedidos do filtro", "schema": {"type": "integer"}},
    "ETag": {
        "description": "Versão desta lista (If-None-Match: 304 enquanto nada mudar)",
        "schema": {"type": "string"},
    },
}
_ETAG_HEADERS = {"ETag": {"description": "Versão do pedido (use em If-Match)", "schema": {"type": "string"}}}
_PAGE: Responses = {
    "200": {**json_content({"type": "array", "items": ref("Pedido")}), "headers": _PAGE_HEADERS},
    "304": {"description": "A lista do cliente está atual (If-None-Match)"},
}

_json = msgspec.json.Encoder()
# Lists are revalidated (ETag) on every load, and their encoding depends on Accept-Encoding.
_REVALIDATE = {"Cache-Control": "no-cache", "Vary": "Accept-Encoding"}


def _body_spec(schema: str) -> dict[str, Any]:
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": ref(schema)}}}}


def _written(schema: str, description: str = "OK") -> Responses:
    return {"200": {**json_content(ref(schema), description), "headers": _WRITE_HEADERS}}


def _state(request: Request) -> WorkerState:
    # The hot routes take the worker's state straight from the app instead of one FastAPI
    # dependency per part: each dependency costs ~12 µs of solving per request.
    state: WorkerState = request.app.state.sgp
    return state


def _page_size(request: Request, limit: int | None) -> int:
    """An omitted `limit` means every pedido (the client's performance panel), up to SGP_MAX_PEDIDOS_PAGE."""
    return page_limit(limit, _state(request).settings.max_pedidos_page, "SGP_MAX_PEDIDOS_PAGE")


def _forbid_financeiro_unless_admin(request: Request, sets_financeiro: bool) -> None:
    """Releasing payment (`financeiro`, `financeiro_liberado_em`) is for admins only (the old server's rule)."""
    if sets_financeiro:
        forbid_unless_admin(request, "Somente administradores podem alterar o status financeiro.", "financeiro")


def _forbid_numero_unless_admin(request: Request, sets_numero: bool) -> None:
    """An explicit OS number is for admins only: the desktop app never sends one (numbers are assigned)."""
    if sets_numero:
        forbid_unless_admin(request, "Somente administradores podem escolher o número do pedido.", "numero")


def _not_found(pedido_id: int) -> ApiError:
    return ApiError(404, "not_found", f"Pedido {pedido_id} não encontrado.")


async def _page(request: Request, filters: PedidoFilter) -> Response:
    """One page as a plain JSON array (what SGP clients parse), the total in X-Total-Count.

    The `ETag` names the page's data version; `If-None-Match` with it answers 304 while
    nothing was written, and answers at the same version come from this worker's cache.
    """
    state = _state(request)
    settings = state.settings
    readers, cache = state.readers, state.lists
    if_none_match = request.headers.get("if-none-match")
    answer = None
    if if_none_match is not None or cache.max_bytes:
        # Two index lookups: far cheaper than the page whenever the answer is already known.
        version = await data_version(readers)
        if if_none_match is not None:
            etag = etag_for(filters, version)
            for tag in (etag, gzip_etag(etag)):
                if matches(if_none_match, tag):
                    return Response(status_code=304, headers={"ETag": tag, **_REVALIDATE})
        answer = cache.get(filters, version)
    if answer is None:
        docs, total, version = await list_pedido_docs_at(readers, filters)
        answer = cache.put(filters, version, json_array(docs), total)
        del docs
    headers = {"X-Total-Count": str(answer.total), "ETag": answer.etag, **_REVALIDATE}
    gzip_min = settings.list_gzip_min_bytes
    if gzip_min and len(answer.body) >= gzip_min and accepts_gzip(request.headers.get("accept-encoding", "")):
        headers["ETag"] = gzip_etag(answer.etag)
        headers["Content-Encoding"] = "gzip"
        return json_response(await gzipped(answer), headers=headers)
    return json_response(answer.body, headers=headers)


@router.post(
    "",
    summary="Criar pedido",
    response_class=Response,
    openapi_extra=_body_spec("PedidoCreate"),
    responses={**_written("Pedido", "Pedido criado"), "409": json_content(ref("Error"), "Número já existe"), **_ERRORS},
)
async def create_pedido(request: Request) -> Response:
    """Create a pedido; `numero` is assigned by the writer when absent; item images are stored first."""
    state = _state(request)
    settings, writer = state.settings, state.writer
    body = await read_body(request, settings.max_body_bytes)
    data = decode_create(body, max_items=settings.max_items)
    _forbid_financeiro_unless_admin(request, data.financeiro or data.financeiro_liberado_em is not None)
    _forbid_numero_unless_admin(request, data.numero is not None)
    caller = Caller.of(request, body)
    del body  # may hold megabytes of base64; the items now hold it until stored
    images = await take_item_images(state.media, data.items)
    return await caller.send(writer, CreatePedido(data=data, images=images))


@router.get("", summary="Listar pedidos", response_class=Response, responses={**_PAGE, **_ERRORS})
async def list_pedidos(
    request: Request,
    status: Annotated[str | None, Query(max_length=40, description=_STATUS_HELP)] = None,
    cliente: Annotated[str | None, Query(max_length=200, description="Trecho do nome, sem diferenciar acentos")] = None,
    data_inicio: Annotated[str | None, Query(max_length=40, description="AAAA-MM-DD (ou data e hora ISO)")] = None,
    data_fim: Annotated[str | None, Query(max_length=40, description="AAAA-MM-DD, inclusive")] = None,
    date_mode: Annotated[str, Query(max_length=20, description="entrada, entrega ou qualquer")] = "entrada",
    is_pronto: bool | None = None,
    skip: Skip = 0,
    limit: Limit = None,
) -> Response:
    """Pedidos newest first (ALTA first within a day), drafts left out; total in `X-Total-Count`."""
    filters = PedidoFilter(
        **list_filters(status, cliente, data_inicio, data_fim, date_mode),
        is_pronto=is_pronto,
        skip=skip,
        limit=_page_size(request, limit),
    )
    return await _page(request, filters)


@router.get(
    "/total",
    summary="Quantos pedidos o filtro encontra",
    response_class=Response,
    responses=error_responses(400),
)
async def total(
    readers: ReaderDep,
    status: Annotated[str | None, Query(max_length=40, description=_STATUS_HELP)] = None,
    cliente: Annotated[str | None, Query(max_length=200)] = None,
    data_inicio: Annotated[str | None, Query(max_length=40)] = None,
    data_fim: Annotated[str | None, Query(max_length=40)] = None,
    date_mode: Annotated[str, Query(max_length=20)] = "entrada",
) -> Response:
    """`{"total": n}` with the list's filters."""
    filters = PedidoFilter(**list_filters(status, cliente, data_inicio, data_fim, date_mode))
    return json_response(_json.encode({"total": await count_pedidos(readers, filters)}))


@router.get(
    "/status/{status}", summary="Listar pedidos por status", response_class=Response, responses={**_PAGE, **_ERRORS}
)
async def list_by_status(
    status: Annotated[str, Path(max_length=40, description=_STATUS_HELP)],
    request: Request,
    skip: Skip = 0,
    limit: Limit = None,
) -> Response:
    """Pedidos of one status, paginated like the list; total in `X-Total-Count`."""
    filters = PedidoFilter(status=status_param(status), skip=skip, limit=_page_size(request, limit))
    return await _page(request, filters)


@router.post(
    "/batch-status",
    summary="Mudar o status de vários pedidos",
    response_class=Response,
    openapi_extra=_body_spec("BatchStatusRequest"),
    responses={**_written("BatchStatusResult"), **_ERRORS},
)
async def batch_status(request: Request, writer: WriterDep, settings: SettingsDep) -> Response:
    """Set one status on many pedidos in one transaction; answers the count and the ids not found."""
    body = await read_body(request, settings.max_body_bytes)
    data = decode_batch_status(body)
    return await send(request, writer, BatchStatus(ids=data.id_pedidos, status=data.status), body)


@router.get(
    "/summary",
    summary="Resumo do painel: contagens, atrasados, urgentes, eficiência, formas de envio",
    response_class=Response,
    responses={"200": json_content(ref("DashboardSummary"))},
)
async def summary(readers: ReaderDep) -> Response:
    """The dashboard's figures (the client's field names), plus counts per status and pending steps."""
    return json_response(_json.encode(await dashboard_summary(readers)))


@router.get(
    "/{pedido_id:int}",
    summary="Obter pedido",
    response_class=Response,
    responses={"200": {**json_content(ref("Pedido")), "headers": _ETAG_HEADERS}, **_NOT_FOUND},
)
async def get_pedido(pedido_id: PedidoId, request: Request) -> Response:
    """One pedido; its `ETag` is its version (use it in `If-Match`)."""
    doc, version = await _load(_state(request).readers, pedido_id)
    return json_response(doc, headers={"ETag": f'"{version}"'})


@router.get(
    "/{pedido_id:int}/json",
    summary="JSON do pedido (para integrações)",
    response_class=Response,
    responses={"200": {**json_content(ref("Pedido")), "headers": _ETAG_HEADERS}, **_NOT_FOUND},
)
async def get_pedido_json(pedido_id: PedidoId, readers: ReaderDep) -> Response:
    """The pedido's JSON exactly as clients receive it, offered as a file download."""
    doc, version = await _load(readers, pedido_id)
    headers = {"ETag": f'"{version}"', "Content-Disposition": f'inline; filename="pedido-{pedido_id}.json"'}
    return json_response(doc, headers=headers)


async def _load(readers: ReaderPool, pedido_id: int) -> tuple[bytes, int]:
    found = await get_pedido_doc(readers, pedido_id)
    if found is None:
        raise _not_found(pedido_id)
    return found


def _if_match(value: str | None) -> int | None:
    if value is None or value.strip() == "*":
        return None
    raw = value.strip().removeprefix("W/").strip('"')
    # isascii: str.isdigit() also accepts "²", which int() rejects; 18 digits fit the int64 channel.
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 18):
        raise ApiError(400, "invalid_if_match", "If-Match deve conter a versão do pedido (ETag).", field="If-Match")
    return int(raw)


@router.patch(
    "/{pedido_id:int}",
    summary="Atualizar pedido (parcial)",
    response_class=Response,
    openapi_extra=_body_spec("PedidoPatch"),
    responses={
        **_written("Pedido"),
        **_NOT_FOUND,
        "409": json_content(ref("Error"), "Número já existe"),
        "412": json_content(ref("Error"), "Versão desatualizada"),
        **_ERRORS,
    },
)
async def patch_pedido(
    pedido_id: PedidoId,
    request: Request,
    if_match: Annotated[str | None, Header()] = None,
) -> Response:
    """Change only the fields sent; `items`, when sent, replaces the list and its images. Drafts merge loosely."""
    state = _state(request)
    readers, writer, settings, store = state.readers, state.writer, state.settings, state.media
    if await get_draft_doc(readers, pedido_id) is not None:
        return await save_draft(request, writer, settings, store, pedido_id)
    body = await read_body(request, settings.max_body_bytes)
    patch = decode_patch(body, max_items=settings.max_items)
    _forbid_financeiro_unless_admin(request, patch.financeiro is not UNSET or patch.financeiro_liberado_em is not UNSET)
    _forbid_numero_unless_admin(request, patch.numero is not UNSET and patch.numero is not None)
    caller = Caller.of(request, body)
    if_version = _if_match(if_match)
    del body
    images = await take_item_images(store, patch.items) if patch.items is not UNSET else []
    return await caller.send(writer, PatchPedido(id=pedido_id, patch=patch, if_version=if_version, images=images))


@router.delete(
    "/{pedido_id:int}",
    summary="Excluir pedido",
    response_class=Response,
    responses={
        **_written("PedidoDeleted", "Pedido excluído"),
        **_NOT_FOUND,
        "422": _ERRORS["422"],
        "503": _ERRORS["503"],
    },
)
async def delete_pedido(pedido_id: PedidoId, request: Request, writer: WriterDep) -> Response:
    """Delete a pedido and its image references; a second delete is 404."""
    return await send(request, writer, DeletePedido(id=pedido_id))
