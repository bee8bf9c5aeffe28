"""Designer art panel: item ids, the art item the panel reads, status and comment rules (pure, no I/O)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta, Struct

from .decoding import decode_body
from .pedido_items import ITEM_ID_FACTOR
from .validation import DomainError

__all__ = [
    "ART_FIELDS",
    "ArtComment",
    "ArtCommentCreate",
    "ArtStatus",
    "ArtStatusPatch",
    "CLOSED_STATUSES",
    "art_item",
    "art_status",
    "decode_comment",
    "decode_status_patch",
    "item_id_of",
]

# Orders in these statuses leave the panel (and cannot be found by item id there).
CLOSED_STATUSES = ("cancelado", "entregue")

ArtStatus = Literal["aguardando", "liberado"]

# Item fields the panel reads, copied as stored (`None` when absent), besides the computed ones.
ART_FIELDS = (
    "tipo_producao", "descricao", "largura", "altura", "metro_quadrado", "imagem", "observacao",
    "tecido", "composicao_tecidos", "acabamento", "vendedor", "emenda", "emenda_qtd",
    "quantidade_paineis", "quantidade_totem", "quantidade_lona", "quantidade_adesivo", "tipo_acabamento",
    "quantidade_ilhos", "espaco_ilhos", "quantidade_cordinha", "espaco_cordinha", "tipo_adesivo",
    "acabamento_lona", "acabamento_totem", "acabamento_totem_outro", "terceirizado", "ziper",
    "cordinha_extra", "alcinha", "toalha_pronta",
)  # fmt: skip


class ArtStatusPatch(Struct, kw_only=True, forbid_unknown_fields=False):
    """PATCH /designers/itens/{id}/status-arte body."""

    status_arte: ArtStatus


class ArtCommentCreate(Struct, kw_only=True):
    """POST /designers/itens/{id}/comentarios body (`autor` is the client's username)."""

    texto: Annotated[str, Meta(min_length=1, max_length=5000)]
    autor: Annotated[str, Meta(max_length=200)] | None = None


class ArtComment(Struct, kw_only=True):
    """One stored comment, as the panel reads it."""

    id: str
    autor: str
    texto: str
    data: str


def item_id_of(item: Mapping[str, Any], pedido_id: int, index: int) -> int:
    """The id the client uses for an item: its stored `id`, else `pedido.id*1000+index`."""
    stored = item.get("id")
    if isinstance(stored, int) and not isinstance(stored, bool):
        return stored
    return pedido_id * ITEM_ID_FACTOR + index


def art_status(item: Mapping[str, Any]) -> ArtStatus:
    """`liberado` when set so, or for the legacy `legenda_imagem: "LIBERADO"`; else `aguardando`."""
    if item.get("status_arte") == "liberado":
        return "liberado"
    # Every stored item carries `status_arte` ("aguardando" by default, as in the old server's
    # model), so the legacy marker counts beside it, as the old panel read it.
    legenda = item.get("legenda_imagem")
    if isinstance(legenda, str) and legenda.strip().upper() == "LIBERADO":
        return "liberado"
    return "aguardando"


def _comments(value: Any) -> list[Any]:
    # Old rows and other clients may hold a plain string: shown as one comment rather than dropped.
    if isinstance(value, list):
        return [c for c in value if isinstance(c, dict)]
    if isinstance(value, str) and value.strip():
        return [{"id": "legado", "autor": "", "texto": value, "data": ""}]
    return []


def art_item(pedido: Mapping[str, Any], index: int, item: Mapping[str, Any]) -> dict[str, Any]:
    """The art item of `item` (position `index`) in `pedido`: the panel's fields, no money."""
    pedido_id = int(pedido["id"])
    result: dict[str, Any] = {
        "item_id": item_id_of(item, pedido_id, index),
        "order_id": pedido_id,
        "item_index": index,
        "numero_pedido": str(pedido.get("numero") or pedido_id),
        "cliente": pedido.get("cliente"),
        "data_entrada": pedido.get("data_entrada"),
        "data_entrega": pedido.get("data_entrega"),
        "status_pedido": pedido.get("status"),
        "prioridade": pedido.get("prioridade") or "NORMAL",
        "designer": item.get("designer"),
    }
    for name in ART_FIELDS:
        result[name] = item.get(name)
    result["status_arte"] = art_status(item)
    result["comentarios"] = _comments(item.get("comentarios"))
    return result


_status_decoder = msgspec.json.Decoder(ArtStatusPatch)
_comment_decoder = msgspec.json.Decoder(ArtCommentCreate)


def decode_status_patch(body: bytes) -> ArtStatusPatch:
    """Validate a status-arte body, or raise DomainError naming the field."""
    return decode_body(_status_decoder, body)


def decode_comment(body: bytes) -> ArtCommentCreate:
    """Validate a comment body (`texto` not blank), or raise DomainError naming the field."""
    comment = decode_body(_comment_decoder, body)
    if not comment.texto.strip():
        raise DomainError("texto", "texto é obrigatório e não pode ficar vazio")
    return comment
