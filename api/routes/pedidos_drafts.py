"""Drafts (rascunhos): `POST /pedidos/rascunho`, `GET /pedidos/rascunhos`, `POST /pedidos/{id}/promover`.

The desktop app saves its order form as a draft (and auto-saves it every 25 s
with `PATCH /pedidos/{id}` and `rascunho: true`), lists drafts in a tab of its
own, and publishes one with `promover` after a full edit. Draft items are the
form's raw tabs, so a draft is loosely typed; it is validated like any new
pedido only when promoted (422 naming the field).
"""

from __future__ import annotations

from typing import Any

import msgspec
from fastapi import APIRouter, Request
from starlette.responses import Response

from core.domain import DomainError, decode_create
from core.settings import Settings
from ipc.client import WriterClient
from ipc.protocol import PromoverRascunho, SaveRascunho
from media import MediaStore
from readers.pedidos import get_draft_doc, json_array, list_draft_docs

from ..body import read_body
from ..commands import Caller
from ..deps import MediaDep, ReaderDep, SettingsDep, WriterDep
from ..errors import ApiError
from ..images import take_item_images
from ..json_body import decode_object
from ..pedido_params import PedidoId
from ..responses import json_content, json_response, object_body_spec, ref

__all__ = ["router", "save_draft"]

router = APIRouter(prefix="/pedidos", tags=["rascunhos"])

_DOC = msgspec.json.Decoder(dict[str, Any])  # a stored draft, written by the writer
_encode = msgspec.json.Encoder()
# Keys of a stored draft that are not part of a create body.
_NOT_CREATE = (
    "id",
    "numero",
    "rascunho",
    "version",
    "data_criacao",
    "ultima_atualizacao",
    "valor_itens",
    "valor_total",
)


def _draft_fields(body: bytes, max_items: int) -> dict[str, Any]:
    """A draft body: any JSON object; `items`, when sent, a list of objects (no other check: drafts are loose)."""
    fields = decode_object(body, "O rascunho")
    items = fields.get("items")
    if "items" in fields:
        if items is None:
            fields["items"] = []
        elif not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
            raise ApiError(422, "validation_error", "items: deve ser uma lista de objetos", field="items")
        elif len(items) > max_items:
            raise ApiError(422, "validation_error", f"items: no máximo {max_items} itens", field="items")
    try:
        msgspec.msgpack.encode(fields)  # what the writer channel carries: 64-bit integers at most
    except OverflowError:
        raise ApiError(422, "validation_error", "Número inteiro fora do intervalo de 64 bits.") from None
    return fields


async def save_draft(
    request: Request, writer: WriterClient, settings: Settings, store: MediaStore, draft_id: int | None
) -> Response:
    """Create a draft (`draft_id` None) or merge the body over one; images are stored first."""
    body = await read_body(request, settings.max_body_bytes)
    fields = _draft_fields(body, settings.max_items)
    caller = Caller.of(request, body)
    del body
    images = await take_item_images(store, fields["items"]) if "items" in fields else []
    return await caller.send(writer, SaveRascunho(fields=fields, id=draft_id, images=images))


# A draft is the pedido's fields as far as they were filled in: none is required, `numero` is null.
_DRAFT = {
    "type": "object",
    "required": ["id", "rascunho"],
    "properties": {
        "id": {"type": "integer"},
        "rascunho": {"type": "boolean", "const": True},
        "numero": {"anyOf": [{"type": "string"}, {"type": "null"}]},
        "version": {"type": "integer"},
    },
    "additionalProperties": True,
}


@router.post(
    "/rascunho",
    summary="Salvar um novo rascunho",
    response_class=Response,
    openapi_extra=object_body_spec("Os campos do pedido que já foram preenchidos (nenhum é obrigatório)"),
    responses={"200": json_content(_DRAFT, "O rascunho, com `id` e `rascunho: true` (sem `numero`)")},
)
async def create_draft(request: Request, writer: WriterDep, settings: SettingsDep, store: MediaDep) -> Response:
    """A draft: no field is required; it gets an id (shared with pedidos) and no numero until promoted."""
    return await save_draft(request, writer, settings, store, None)


@router.get(
    "/rascunhos",
    summary="Listar rascunhos",
    response_class=Response,
    responses={"200": json_content({"type": "array", "items": _DRAFT})},
)
async def list_drafts(readers: ReaderDep, settings: SettingsDep) -> Response:
    """Drafts, most recently saved first (they never appear in `GET /pedidos/`)."""
    return json_response(json_array(await list_draft_docs(readers, settings.max_pedidos_page)))


def _create_body(doc: dict[str, Any]) -> bytes:
    fields = {k: v for k, v in doc.items() if k not in _NOT_CREATE}
    fields.setdefault("data_entrada", None)  # the form's own default: today (UTC)
    # Drafts carry the payment type as the number `forma_pagamento_id`; pedidos as the string `tipo_pagamento`.
    forma = fields.get("forma_pagamento_id")
    if not fields.get("tipo_pagamento") and isinstance(forma, int) and not isinstance(forma, bool) and forma > 0:
        fields["tipo_pagamento"] = str(forma)
    return _encode.encode(fields)


@router.post(
    "/{pedido_id:int}/promover",
    summary="Publicar um rascunho como pedido",
    response_class=Response,
    responses={
        "200": json_content(ref("Pedido"), "O pedido publicado, com `numero`"),
        "404": json_content(ref("Error")),
    },
)
async def promote_draft(
    pedido_id: PedidoId, request: Request, readers: ReaderDep, writer: WriterDep, settings: SettingsDep, store: MediaDep
) -> Response:
    """Validate the draft as a new pedido (422 naming the field), then publish it with the same id and a numero."""
    found = await get_draft_doc(readers, pedido_id)
    if found is None:
        # Promoted already (a second click) or never a draft: the writer answers either way.
        raise ApiError(404, "not_found", f"Rascunho {pedido_id} não encontrado.")
    doc, version = found
    try:
        data = decode_create(_create_body(_DOC.decode(doc)), max_items=settings.max_items)
    except DomainError as exc:
        raise ApiError(422, exc.code, f"Rascunho incompleto: {exc.detail}", field=exc.field) from None
    caller = Caller.of(request)
    images = await take_item_images(store, data.items)
    return await caller.send(writer, PromoverRascunho(id=pedido_id, data=data, if_version=version, images=images))
