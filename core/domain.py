"""Pedido domain: items, decoding, building and patching, totals and JSON codecs (pure, no I/O).

The pedido structs themselves (create, patch, stored) are derived from one field definition in core.pedido_views.
"""

from collections.abc import Callable
from typing import Annotated, Any, cast, get_args

import msgspec
from msgspec import UNSET, Meta, Struct

from .decoding import decode_body
from .money import format_money, parse_money
from .pedido_fields import normalize_money, normalize_quantity, normalize_tipo, split_cidade, today_utc
from .pedido_items import assign_item_ids, carry_art_fields
from .pedido_ops import BatchStatusRequest, BatchStatusResult, PedidoDeleted, PedidoSummary
from .pedido_views import (
    Int64,
    LongText,
    MoneyInput,
    NormalizedCreate,
    NormalizedPatch,
    Pedido,
    PedidoCreate,
    PedidoPatch,
    Prioridade,
    Text,
)
from .pricing import COMPOSED_TYPES, composed_price, item_quantity, totals
from .status import STATUS_VALUES, Status, normalize_status
from .text import fold
from .validation import DomainError, from_validation_error, normalize_fields

__all__ = [
    "MAX_ITEMS",
    "MAX_ITEM_EXTRA_BYTES",
    "PRIORIDADE_VALUES",
    "PRODUCTION_TYPES",
    "STATUS_VALUES",
    "Acabamento",
    "DomainError",
    "Item",
    "Pedido",
    "PedidoCreate",
    "PedidoPatch",
    "NormalizedCreate",
    "NormalizedPatch",
    "Prioridade",
    "Status",
    "apply_patch",
    "build_pedido",
    "decode_create",
    "decode_patch",
    "fold",
    "format_money",
    "item_quantity",
    "normalize_item",
    "normalize_status",
    "openapi_schemas",
    "parse_money",
    "pedido_from_json",
    "pedido_to_json",
    "split_cidade",
    "today_utc",
]

MAX_ITEMS = 200
MAX_ITEM_EXTRA_BYTES = 16_384
MAX_ITEM_EXTRA_DEPTH = 16

PRIORIDADE_VALUES: tuple[Prioridade, ...] = get_args(Prioridade)
# Known types; tipo_producao stays free text.
PRODUCTION_TYPES = ("painel", "totem", "lona", "adesivo", "generica", "mesa_babado", "canga")

# Quantities travel as strings ("2", "2,5", ""); kept as sent, parsed by core.pricing.
QuantityInput = str | int | float | None
_INT64_RANGE = range(-(2**63), 2**63)


# --- structs ---


class Acabamento(Struct, kw_only=True):
    """Finishing options of an item."""

    overloque: bool = False
    elastico: bool = False
    ilhos: bool = False


class Item(Struct, kw_only=True):
    """Known fields of an order item; unknown fields travel beside them in the item dict."""

    id: Int64 | None = None
    tipo_producao: Annotated[str, Meta(max_length=40)] | None = None
    descricao: LongText | None = None
    vendedor: Text | None = None
    designer: Text | None = None
    tecido: Text | None = None
    emenda: Text | None = None
    observacao: LongText | None = None
    tipo_acabamento: Text | None = None
    machine_id: Int64 | Text | None = None
    status_arte: Text | None = None
    comentarios: list[dict[str, Any]] | LongText | None = None
    largura: Text | None = None
    altura: Text | None = None
    metro_quadrado: Text | None = None
    acabamento: Acabamento | None = None
    valor_unitario: MoneyInput = "0.00"
    valor_ilhos: MoneyInput = "0.00"
    valor_cordinha: MoneyInput = "0.00"
    valor_painel: MoneyInput = "0.00"
    valores_adicionais: MoneyInput = "0.00"
    quantidade_paineis: QuantityInput = None
    quantidade_totem: QuantityInput = None
    quantidade_lona: QuantityInput = None
    quantidade_adesivo: QuantityInput = None
    quantidade_ilhos: QuantityInput = None
    quantidade_cordinha: QuantityInput = None
    imagem: str | None = None
    imagem_path: Text | None = None

    def __post_init__(self) -> None:
        normalize_fields(self, _ITEM_NORMALIZERS)
        if self.tipo_producao in COMPOSED_TYPES:
            self.valor_unitario = format_money(composed_price(msgspec.structs.asdict(self)))


_ITEM_FIELDS = frozenset(Item.__struct_fields__)
_ITEM_NORMALIZERS: dict[str, Callable[[Any], Any]] = {
    "tipo_producao": normalize_tipo,
    **{name: normalize_money for name in _ITEM_FIELDS if name.startswith("valor")},
    **{name: normalize_quantity for name in _ITEM_FIELDS if name.startswith("quantidade_")},
}


# --- decoding ---

_encoder = msgspec.json.Encoder()
_pedido_decoder = msgspec.json.Decoder(Pedido)
# Lax mode: legacy clients send numbers and booleans as strings ("3", "true").
_create_decoder = msgspec.json.Decoder(PedidoCreate, strict=False)
_patch_decoder = msgspec.json.Decoder(PedidoPatch, strict=False)


def decode_create(body: bytes, *, max_items: int = MAX_ITEMS) -> NormalizedCreate:
    """Validate a POST body into a PedidoCreate with normalised items, or raise DomainError."""
    data = decode_body(_create_decoder, body)
    data.items = _normalize_items(data.items, max_items)
    # Same fields and layout; from now on it is known to be normalised (no copy).
    data.__class__ = NormalizedCreate
    return cast(NormalizedCreate, data)


def decode_patch(body: bytes, *, max_items: int = MAX_ITEMS) -> NormalizedPatch:
    """Validate a PATCH body into a PedidoPatch with normalised items, or raise DomainError."""
    data = decode_body(_patch_decoder, body)
    if data.items is not UNSET:
        data.items = _normalize_items(data.items, max_items)
    data.__class__ = NormalizedPatch
    return cast(NormalizedPatch, data)


def _normalize_items(items: list[dict[str, Any]], max_items: int) -> list[dict[str, Any]]:
    if len(items) > max_items:
        raise DomainError("items", f"um pedido pode ter no máximo {max_items} itens")
    return [_normalize_item(raw, f"items[{index}]") for index, raw in enumerate(items)]


def normalize_item(raw: dict[str, Any], path: str = "item") -> dict[str, Any]:
    """Validate one item dict into its normalised form (known fields typed, extras kept); errors name `path`."""
    return _normalize_item(raw, path)


def _normalize_item(raw: dict[str, Any], path: str) -> dict[str, Any]:
    extras = {key: value for key, value in raw.items() if key not in _ITEM_FIELDS}
    if extras:
        try:
            size = len(_encoder.encode(extras))
        except RecursionError:
            size = MAX_ITEM_EXTRA_BYTES + 1  # nested past the encoder's depth: far too deep anyway
        if size > MAX_ITEM_EXTRA_BYTES:
            raise DomainError(path, f"campos extras do item passam de {MAX_ITEM_EXTRA_BYTES} bytes")
        _check_extra(extras, path, 0)
    try:
        item = msgspec.convert(raw, Item, strict=False)
    except msgspec.ValidationError as exc:
        raise from_validation_error(exc, prefix=path) from exc
    built: dict[str, Any] = msgspec.to_builtins(item)
    return built | extras


def _check_extra(value: Any, path: str, depth: int) -> None:
    """Extras are opaque, but must survive msgpack and other clients' parsers: bound depth and ints."""
    if depth > MAX_ITEM_EXTRA_DEPTH:
        raise DomainError(path, f"campos extras aninhados demais (máximo {MAX_ITEM_EXTRA_DEPTH} níveis)")
    if isinstance(value, dict):
        for key, inner in value.items():
            _check_extra(inner, f"{path}.{key}", depth + 1)
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            _check_extra(inner, f"{path}[{index}]", depth + 1)
    elif isinstance(value, int) and value not in _INT64_RANGE:
        raise DomainError(path, "número inteiro fora do intervalo de 64 bits")


# --- building, patching and totals ---

_CREATE_DEFAULTS = {"telefone_cliente": "", "cidade_cliente": "", "tipo_pagamento": "", "forma_envio_id": 0}


def _finish_items(items: list[dict[str, Any]], pedido_id: int, old: list[dict[str, Any]] | None = None) -> None:
    carry_art_fields(items, old or [])
    assign_item_ids(items, pedido_id)


def build_pedido(data: PedidoCreate, *, id: int, numero: str, now: str, version: int = 1) -> Pedido:
    """Create the stored Pedido from a validated request; the server computes the totals."""
    fields: dict[str, Any] = msgspec.structs.asdict(data)
    for name, default in _CREATE_DEFAULTS.items():
        if fields[name] is None:
            fields[name] = default
    fields["numero"] = numero
    fields["pronto"] = data.pronto or data.status == "entregue"
    if fields["financeiro"] and fields["financeiro_liberado_em"] is None:
        fields["financeiro_liberado_em"] = now
    _finish_items(fields["items"], id)
    fields.update(totals(fields["items"], fields["valor_frete"]))
    return Pedido(
        id=id,
        **fields,
        data_criacao=now,
        ultima_atualizacao=now,
        version=version,
    )


def apply_patch(current: Pedido, patch: PedidoPatch, *, now: str) -> Pedido:
    """Return ``current`` with the sent fields changed, totals recomputed and version + 1."""
    sent = msgspec.structs.asdict(patch).items()
    changes = {name: value for name, value in sent if value is not UNSET}
    if changes.get("numero", current.numero) is None:
        changes.pop("numero")  # an empty numero keeps the current one
    if "data_entrada" in changes and changes["data_entrada"] is None:
        changes["data_entrada"] = now[:10]
    if "data_entrega" in changes and not changes["data_entrega"]:
        changes["data_entrega"] = changes.get("data_entrada", current.data_entrada)
    if "forma_envio_id" in changes and changes["forma_envio_id"] is None:
        changes.pop("forma_envio_id")  # null keeps the current one
    if changes.get("status") == "entregue":
        changes["pronto"] = True
    if "financeiro" in changes and "financeiro_liberado_em" not in changes:
        # Released now when it becomes true; cleared when it becomes false; unchanged otherwise.
        if changes["financeiro"] and not current.financeiro:
            changes["financeiro_liberado_em"] = now
        elif not changes["financeiro"] and current.financeiro:
            changes["financeiro_liberado_em"] = None
    if "items" in changes:
        _finish_items(changes["items"], current.id, current.items)
    items = changes.get("items", current.items)
    return msgspec.structs.replace(
        current,
        **changes,
        **totals(items, changes.get("valor_frete", current.valor_frete)),
        ultima_atualizacao=now,
        version=current.version + 1,
    )


# --- codecs and schema ---


def pedido_to_json(p: Pedido) -> bytes:
    """Encode a Pedido as its wire JSON."""
    return _encoder.encode(p)


def pedido_from_json(b: bytes) -> Pedido:
    """Decode a stored or served Pedido JSON."""
    return _pedido_decoder.decode(b)


def openapi_schemas() -> dict[str, Any]:
    """OpenAPI component schemas: the pedido structs, Item, Acabamento and the batch/summary bodies."""
    ref = "#/components/schemas/{name}"
    structs = [
        PedidoCreate,
        PedidoPatch,
        Pedido,
        Item,
        BatchStatusRequest,
        BatchStatusResult,
        PedidoDeleted,
        PedidoSummary,
    ]
    _, components = msgspec.json.schema_components(structs, ref_template=ref)
    # items are dicts (to keep unknown fields) checked against Item, so document them as Item.
    for name in ("PedidoCreate", "PedidoPatch", "Pedido"):
        components[name]["properties"]["items"] = {
            "type": "array",
            "items": {"$ref": ref.format(name="Item")},
        }
    return components
