"""The pedido's fields, defined once, and the three views derived from them (pure, no I/O).

`PedidoFields` is the one definition: every field a client sends, in wire order,
with its type, limits and create default. From it:

    PedidoCreate  the POST body: the fields as declared, normalised in __post_init__
    PedidoPatch   the PATCH body: every field optional, UNSET when not sent
    Pedido        stored and served: `id` first, the money block after the address,
                  the server's fields last; the types the server fixes come from
                  `_StoredTypes`, every other type is the declared one without its limits

A new field is one line in `PedidoFields` (plus one in `_StoredTypes` when the
stored type differs). The JSON field order of each view follows `PedidoFields`.
"""

from __future__ import annotations

import functools
import operator
import types
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any, Literal, Union, get_args, get_origin

import msgspec
from msgspec import NODEFAULT, UNSET, Meta, Struct, UnsetType

from .pedido_fields import (
    normalize_business_date,
    normalize_cliente,
    normalize_entrada,
    normalize_moment,
    normalize_money,
    normalize_numero,
    normalize_prioridade,
    normalize_uf,
    split_cidade,
)
from .status import Status, normalize_status
from .validation import normalize_fields

__all__ = [
    "Int64",
    "LongText",
    "MoneyInput",
    "Name",
    "NormalizedCreate",
    "NormalizedPatch",
    "Pedido",
    "PedidoCreate",
    "PedidoFields",
    "PedidoPatch",
    "Prioridade",
    "Text",
]

Prioridade = Literal["NORMAL", "ALTA"]
Text = Annotated[str, Meta(max_length=2000)]
LongText = Annotated[str, Meta(max_length=5000)]
Name = Annotated[str, Meta(max_length=200)]
# JSON allows any integer; msgpack (the writer channel) and most clients stop at 64 bits.
Int64 = Annotated[int, Meta(ge=-(2**63), le=2**63 - 1)]
# Anything parse_money accepts; normalisation turns it into a "0.00" string.
MoneyInput = str | int | float | None


class PedidoFields(Struct, kw_only=True):
    """The pedido's fields as clients send them, in wire order: the one definition of the three views."""

    numero: str | int | None = None
    data_entrada: str | None
    data_entrega: str | None = None
    observacao: LongText | None = None
    prioridade: str = "NORMAL"
    status: str = "pendente"
    cliente: Name
    telefone_cliente: Text | None = None
    cidade_cliente: Text | None = None
    estado_cliente: Text | None = None
    tipo_pagamento: Text | None = None
    obs_pagamento: LongText | None = None
    forma_envio: Text | None = None
    forma_envio_id: Int64 | None = None
    valor_frete: MoneyInput = "0.00"
    financeiro: bool = False
    conferencia: bool = False
    sublimacao: bool = False
    costura: bool = False
    expedicao: bool = False
    pronto: bool = False
    sublimacao_maquina: Text | None = None
    sublimacao_data_impressao: Text | None = None
    financeiro_liberado_em: Text | None = None
    items: list[dict[str, Any]] = []


_NORMALIZERS: dict[str, Callable[[Any], Any]] = {
    "numero": normalize_numero,
    "data_entrada": normalize_entrada,
    "data_entrega": normalize_business_date,
    "prioridade": normalize_prioridade,
    "status": normalize_status,
    "cliente": normalize_cliente,
    "estado_cliente": normalize_uf,
    "valor_frete": normalize_money,
    "financeiro_liberado_em": normalize_moment,
}


class PedidoCreate(PedidoFields, kw_only=True):
    """POST body of an order; decode_create fills ``items`` with normalised item dicts."""

    def __post_init__(self) -> None:
        normalize_fields(self, _NORMALIZERS)
        self.cidade_cliente, self.estado_cliente = split_cidade(self.cidade_cliente, self.estado_cliente)
        if not self.data_entrega:
            self.data_entrega = self.data_entrada


class NormalizedCreate(PedidoCreate, kw_only=True):
    """A PedidoCreate already normalised (by decode_create): decoding one, as the writer does, normalises nothing."""

    def __post_init__(self) -> None:
        """Nothing to do: the API worker normalised it (the writer used to redo it, ~23 µs per create)."""


# --- the PATCH view: every field of PedidoFields, optional ---


def _patch_post_init(self: Any) -> None:
    normalize_fields(self, _NORMALIZERS)
    if isinstance(self.cidade_cliente, str):
        estado = self.estado_cliente if isinstance(self.estado_cliente, str) and self.estado_cliente else None
        cidade, uf = split_cidade(self.cidade_cliente, estado)
        self.cidade_cliente = cidade
        if uf is not None:
            self.estado_cliente = uf


def _skip_post_init(self: Any) -> None:
    """Nothing to do: the API worker normalised it."""


def _derive_patch() -> tuple[type[Struct], type[Struct]]:
    fields = [(f.name, f.type | UnsetType, UNSET) for f in msgspec.structs.fields(PedidoFields)]
    doc = "PATCH body: UNSET fields were not sent and stay; ``items``, when sent, replaces the list."
    patch = msgspec.defstruct(
        "PedidoPatch",
        fields,
        kw_only=True,
        module=__name__,
        namespace={"__doc__": doc, "__post_init__": _patch_post_init},
    )
    normalized = msgspec.defstruct(
        "NormalizedPatch",
        [],
        bases=(patch,),
        kw_only=True,
        module=__name__,
        namespace={
            "__doc__": "A PedidoPatch already normalised (by decode_patch): decoding one normalises nothing.",
            "__post_init__": _skip_post_init,
        },
    )
    return patch, normalized


# --- the stored view ---


class _StoredTypes(PedidoFields, kw_only=True):
    """Where the stored pedido differs from what clients send: fixed types, and the fields the server owns."""

    id: int
    numero: str
    data_entrada: str
    prioridade: Prioridade = "NORMAL"
    status: Status = "pendente"
    cliente: str
    valor_frete: str = "0.00"
    forma_envio_id: int | None = 0
    valor_total: str = "0.00"
    valor_itens: str = "0.00"
    data_criacao: str
    ultima_atualizacao: str
    version: int = 1
    rascunho: bool = False


def _without_limits(type_: Any) -> Any:
    """`type_` without its Annotated limits: stored data (imported ones too) is served as it is."""
    origin = get_origin(type_)
    if origin is Annotated:
        return _without_limits(get_args(type_)[0])
    if origin in (Union, types.UnionType):
        return functools.reduce(operator.or_, (_without_limits(arg) for arg in get_args(type_)))
    return type_


def _stored_order() -> list[str]:
    # The order stored documents and clients have always had: the money block follows the address.
    names = ["id"]
    for name in PedidoFields.__struct_fields__:
        if name != "valor_frete":
            names.append(name)
        if name == "estado_cliente":
            names += ["valor_total", "valor_frete", "valor_itens"]
    return [*names, "data_criacao", "ultima_atualizacao", "version", "rascunho"]


def _derive_stored() -> type[Struct]:
    info = {f.name: f for f in msgspec.structs.fields(_StoredTypes)}
    fields: list[Any] = []
    for name in _stored_order():
        f = info.pop(name)
        if f.default is not NODEFAULT:
            fields.append((name, _without_limits(f.type), f.default))
        elif f.default_factory is not NODEFAULT:
            fields.append((name, _without_limits(f.type), msgspec.field(default_factory=f.default_factory)))
        else:
            fields.append((name, _without_limits(f.type)))
    assert not info, f"stored fields without a place in the wire order: {sorted(info)}"
    doc = "An order as stored and served; msgspec.json encodes it as the wire JSON."
    return msgspec.defstruct("Pedido", fields, kw_only=True, module=__name__, namespace={"__doc__": doc})


if TYPE_CHECKING:
    # mypy sees the stored view with its exact types; the PATCH view's fields are typed loosely.
    Pedido = _StoredTypes

    class PedidoPatch(Struct, kw_only=True):
        """PATCH body: every field of PedidoFields, UNSET when not sent."""

        def __init__(self, **fields: Any) -> None: ...
        def __getattr__(self, name: str) -> Any: ...
        def __setattr__(self, name: str, value: Any) -> None: ...

    class NormalizedPatch(PedidoPatch, kw_only=True):
        """A PedidoPatch already normalised."""

else:
    PedidoPatch, NormalizedPatch = _derive_patch()
    Pedido = _derive_stored()
