"""`PATCH /pedidos/pedido-itens/{item_id}`: production data of one item without re-saving the order.

The client names the item by its id, or by `pedido.id*1000+index` when it has
none (core.pedido_items.find_item_index resolves both), and sends the whole
item merged with the edited fields plus `pedido_id`. The item is re-validated
and re-priced, so re-sending `valor_unitario = valor_painel` does not drop a
painel's extras.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from core.domain import DomainError, normalize_item
from core.pedido_ops import PEDIDO_ID_MAX
from ipc.protocol import PatchPedidoItem

from ..body import read_body
from ..commands import send
from ..deps import MediaDep, SettingsDep, WriterDep
from ..errors import ApiError
from ..images import take_item_images
from ..json_body import decode_object
from ..pedido_params import ItemId
from ..responses import json_content, object_body_spec, ref

__all__ = ["router"]

router = APIRouter(prefix="/pedidos", tags=["pedidos"])


@router.patch(
    "/pedido-itens/{item_id:int}",
    summary="Atualizar um item (dados de produção)",
    response_class=Response,
    openapi_extra=object_body_spec("Os campos do item a mudar"),
    responses={
        "200": json_content({"type": "object"}, '`{"status": "success", "message": "Item atualizado", "item": {...}}`'),
        "404": json_content(ref("Error"), "Pedido ou item não encontrado"),
    },
)
async def patch_item(
    item_id: ItemId, request: Request, writer: WriterDep, settings: SettingsDep, store: MediaDep
) -> Response:
    """Merge the body over the item (found by id or synthetic id, inside `pedido_id` when sent)."""
    body = await read_body(request, settings.max_body_bytes)
    fields = decode_object(body, "O item")
    pedido_id = fields.pop("pedido_id", None)
    if pedido_id is not None and (
        isinstance(pedido_id, bool) or not isinstance(pedido_id, int) or not 1 <= pedido_id <= PEDIDO_ID_MAX
    ):
        raise ApiError(422, "validation_error", "pedido_id deve ser um número inteiro positivo.", field="pedido_id")
    fields.pop("id", None)  # the item keeps its identity
    try:
        normalize_item(dict(fields), "item")  # refuse garbage before anything is stored or sent
    except DomainError as exc:
        raise ApiError(422, exc.code, exc.detail, field=exc.field) from None
    image = None
    if "imagem" in fields:
        images = await take_item_images(store, [fields])
        image = images[0].image if images else None
    command = PatchPedidoItem(item_id=item_id, fields=fields, pedido_id=pedido_id, image=image)
    return await send(request, writer, command, body)
