"""Print logs: request and answer structs, the stored status values, item details (pure, no I/O)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta, Struct

from .decoding import decode_body

__all__ = [
    "NO_PRINTER",
    "NO_PRINTER_NAME",
    "UNKNOWN_PRINTER_NAME",
    "PrintLog",
    "PrintLogCreate",
    "PrintLogStatus",
    "PrinterStats",
    "decode_print_log",
    "item_details",
    "printer_name",
]

# The desktop app logs a sheet print with printer_id 0 when the order's first item has no machine.
# We keep those logs (the old server refused them with 404, so such prints never showed as printed).
NO_PRINTER = 0
UNKNOWN_PRINTER_NAME = "Desconhecida"
NO_PRINTER_NAME = "Sem impressora"

PrintLogStatus = Literal["success", "error", "reprint"]
Id = Annotated[int, Meta(ge=1, le=2**63 - 1)]


class PrintLogCreate(Struct, kw_only=True):
    """POST /print-logs body, as the client sends it."""

    printer_id: Annotated[int, Meta(ge=0, le=2**63 - 1)]
    pedido_id: Id
    item_id: Annotated[int, Meta(ge=0, le=2**63 - 1)] | None = None
    status: PrintLogStatus = "success"
    error_message: Annotated[str, Meta(max_length=2000)] | None = None


class PrintLog(Struct, kw_only=True):
    """A log as served: the fields the client reads, item details when `item_id` names an item."""

    id: int
    printer_id: int
    printer_name: str
    pedido_id: int
    pedido_numero: str | None = None
    cliente: str | None = None
    item_id: int | None = None
    item_descricao: str | None = None
    item_imagem: str | None = None
    item_medidas: str | None = None
    item_material: str | None = None
    status: str
    error_message: str | None = None
    created_at: str


class PrinterStats(Struct, kw_only=True):
    """GET /print-logs/stats/{printer_id}."""

    printer_id: int
    printer_name: str
    total_prints: int
    successful: int
    errors: int
    reprints: int
    success_rate: float


def printer_name(printer_id: int, names: dict[int, str]) -> str:
    """A machine's name; `Sem impressora` for 0, `Desconhecida` for an id no machine has."""
    if printer_id == NO_PRINTER:
        return NO_PRINTER_NAME
    return names.get(printer_id, UNKNOWN_PRINTER_NAME)


def item_details(item: dict[str, Any] | None) -> dict[str, str | None]:
    """`item_descricao`, `item_imagem`, `item_medidas` ("<largura>x<altura>"), `item_material` of an item."""
    if not item:
        return {}
    largura, altura = item.get("largura"), item.get("altura")
    medidas = f"{largura}x{altura}" if largura not in (None, "") or altura not in (None, "") else None
    return {
        "item_descricao": item.get("descricao"),
        "item_imagem": item.get("imagem"),
        "item_medidas": medidas,
        "item_material": item.get("tecido"),
    }


_decoder = msgspec.json.Decoder(PrintLogCreate, strict=False)


def decode_print_log(body: bytes) -> PrintLogCreate:
    """Validate a POST body (numbers may come as strings), or raise DomainError naming the field."""
    return decode_body(_decoder, body)
