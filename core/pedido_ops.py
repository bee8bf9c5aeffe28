"""Wire structs of the pedido operations beyond one order: batch status, delete answer, summary."""

from typing import Annotated

import msgspec
from msgspec import Meta, Struct

from .decoding import decode_body
from .status import Status, normalize_status
from .validation import normalize_fields

__all__ = [
    "MAX_BATCH_IDS",
    "PEDIDO_ID_MAX",
    "BatchStatusRequest",
    "BatchStatusResult",
    "PedidoDeleted",
    "PedidoSummary",
    "PendenciasProducao",
    "StatusCounts",
    "decode_batch_status",
]

# One batch is one writer transaction; this bounds how long it holds the write lock.
MAX_BATCH_IDS = 1000
# Ids stay far below SQLite's int64 limit, so any accepted id binds without overflow.
PEDIDO_ID_MAX = 2**62

PedidoRef = Annotated[int, Meta(ge=1, le=PEDIDO_ID_MAX)]


class BatchStatusRequest(Struct, kw_only=True):
    """POST /batch-status body: one status for many pedidos."""

    id_pedidos: Annotated[
        list[PedidoRef],
        Meta(min_length=1, max_length=MAX_BATCH_IDS, description=f"Ids dos pedidos (1 a {MAX_BATCH_IDS})"),
    ]
    status: Annotated[str, Meta(description="Novo status; grafias antigas (`Em Produção`, `concluido`) são aceitas")]

    def __post_init__(self) -> None:
        normalize_fields(self, {"status": normalize_status})


class BatchStatusResult(Struct, kw_only=True):
    """POST /batch-status answer: how many changed and which ids do not exist."""

    status: Status
    count: int  # what the desktop client's type names the number changed
    updated: int
    ids: list[int]
    not_found: list[int]
    seq: int | None  # None when no pedido changed (nothing was committed)


class PedidoDeleted(Struct, kw_only=True):
    """DELETE /{id} answer."""

    id: int
    deleted: bool
    seq: int
    message: str = "Pedido deletado com sucesso"


class StatusCounts(Struct, kw_only=True):
    """Pedidos per status."""

    pendente: int = 0
    em_producao: int = 0
    pronto: int = 0
    entregue: int = 0
    cancelado: int = 0


class PendenciasProducao(Struct, kw_only=True):
    """Open pedidos (neither entregue nor cancelado) whose production step is still unchecked."""

    financeiro: int = 0
    conferencia: int = 0
    sublimacao: int = 0
    costura: int = 0
    expedicao: int = 0


class PedidoSummary(Struct, kw_only=True):
    """GET /summary answer: counts per status and of pending production steps."""

    total: int
    em_aberto: Annotated[int, Meta(description="Pedidos que não estão entregues nem cancelados")]
    por_status: StatusCounts
    pendentes: PendenciasProducao


_batch_decoder = msgspec.json.Decoder(BatchStatusRequest, strict=False)  # lax: ids sent as "12" pass


def decode_batch_status(body: bytes) -> BatchStatusRequest:
    """Validate a POST /batch-status body, or raise DomainError naming the field."""
    return decode_body(_batch_decoder, body)
