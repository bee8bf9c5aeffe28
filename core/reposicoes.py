"""Reposições (reprints of a pedido's items): request and answer structs, numbering (pure, no I/O)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

import msgspec
from msgspec import UNSET, Meta, Struct, UnsetType

from .decoding import decode_body
from .validation import DomainError

__all__ = [
    "Reposicao",
    "ReposicaoCreate",
    "ReposicaoDeleted",
    "ReposicaoPatch",
    "ReposicaoStatus",
    "decode_reposicao_create",
    "decode_reposicao_patch",
    "numero_of",
]

ReposicaoStatus = Literal["Pendente", "Em Processamento", "Concluída", "Cancelada"]
Prioridade = Literal["NORMAL", "ALTA"]
Text = Annotated[str, Meta(max_length=5000)]
OrderId = Annotated[int, Meta(ge=1, le=2**63 - 1)]


class ReposicaoCreate(Struct, kw_only=True):
    """POST /reposicoes body (the old server's fields)."""

    order_id: OrderId
    motivo: Annotated[str, Meta(max_length=2000)]
    descricao: Text | None = None
    data_solicitacao: date | None = None  # today when absent
    data_entrega_prevista: date | None = None
    status: ReposicaoStatus = "Pendente"
    prioridade: Prioridade = "NORMAL"
    observacao: Text | None = None
    financeiro: bool = False
    conferencia: bool = False
    sublimacao: bool = False
    costura: bool = False
    expedicao: bool = False
    pronto: bool = False


class ReposicaoPatch(Struct, kw_only=True):
    """PATCH body: UNSET fields were not sent and stay (the pedido it reprints does not change)."""

    motivo: Annotated[str, Meta(max_length=2000)] | UnsetType = UNSET
    descricao: Text | None | UnsetType = UNSET
    data_solicitacao: date | UnsetType = UNSET
    data_entrega_prevista: date | None | UnsetType = UNSET
    status: ReposicaoStatus | UnsetType = UNSET
    prioridade: Prioridade | UnsetType = UNSET
    observacao: Text | None | UnsetType = UNSET
    financeiro: bool | UnsetType = UNSET
    conferencia: bool | UnsetType = UNSET
    sublimacao: bool | UnsetType = UNSET
    costura: bool | UnsetType = UNSET
    expedicao: bool | UnsetType = UNSET
    pronto: bool | UnsetType = UNSET


class Reposicao(Struct, kw_only=True):
    """A reposição as served and stored (`doc`)."""

    id: int
    numero: str
    order_id: int
    motivo: str
    descricao: str | None = None
    data_solicitacao: date
    data_entrega_prevista: date | None = None
    status: str = "Pendente"
    prioridade: str = "NORMAL"
    observacao: str | None = None
    financeiro: bool = False
    conferencia: bool = False
    sublimacao: bool = False
    costura: bool = False
    expedicao: bool = False
    pronto: bool = False
    created_at: str
    updated_at: str


class ReposicaoDeleted(Struct):
    """DELETE answer."""

    id: int
    deleted: bool


def numero_of(reposicao_id: int) -> str:
    """The old server's numbering: `REP-<id>`."""
    return f"REP-{reposicao_id}"


_create = msgspec.json.Decoder(ReposicaoCreate, strict=False)
_patch = msgspec.json.Decoder(ReposicaoPatch, strict=False)


def decode_reposicao_create(body: bytes) -> ReposicaoCreate:
    """Validate a POST body (`motivo` not blank), or raise DomainError naming the field."""
    data = decode_body(_create, body)
    if not data.motivo.strip():
        raise DomainError("motivo", "motivo é obrigatório e não pode ficar vazio")
    return data


def decode_reposicao_patch(body: bytes) -> ReposicaoPatch:
    """Validate a PATCH body, or raise DomainError naming the field."""
    data = decode_body(_patch, body)
    if isinstance(data.motivo, str) and not data.motivo.strip():
        raise DomainError("motivo", "motivo é obrigatório e não pode ficar vazio")
    return data
