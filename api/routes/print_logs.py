"""/print-logs: the history of sheets sent to printers (list badges, reprint detection, the logs page).

`printer_id` 0 is accepted and stored: the desktop app sends it for orders
whose first item has no machine, and the old server's 404 for it meant those
prints were never logged. Unknown printer ids are stored too (a machine may
be deleted later anyway); their name shows as "Desconhecida".
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

import msgspec
from fastapi import APIRouter, Path, Query, Request
from starlette.responses import Response

from core.print_logs import PrinterStats, PrintLog, PrintLogCreate, decode_print_log
from ipc.protocol import CreatePrintLog
from readers.print_logs import PrintLogFilter, list_print_logs, printer_stats

from ..body import read_body
from ..commands import send
from ..deps import CurrentUser, ReadAccess, ReaderDep, SettingsDep, WriterDep
from ..page import page_limit
from ..responses import Responses, body_spec, error_responses, json_content, json_response, ref

__all__ = ["router", "SCHEMAS"]

router = APIRouter(prefix="/print-logs", tags=["print-logs"])
_encoder = msgspec.json.Encoder()
SCHEMAS = (PrintLogCreate, PrintLog, PrinterStats)
_LIST: Responses = {"200": json_content({"type": "array", "items": ref("PrintLog")})}

PrinterId = Annotated[int, Path(ge=0, le=2**63 - 1, description="Id da máquina (0: sem máquina)")]
Limit = Annotated[int, Query(ge=1, description="Quantos (no máximo SGP_MAX_PRINT_LOGS)")]
Offset = Annotated[int, Query(ge=0, le=10_000_000)]
StatusFilter = Annotated[Literal["success", "error", "reprint"] | None, Query()]
Day = Annotated[date | None, Query(description="YYYY-MM-DD; data_fim inclui o dia todo")]


async def _list(
    readers: ReaderDep, max_limit: int, printer_id: int | None, limit: int, offset: int,
    status_filter: str | None, data_inicio: date | None, data_fim: date | None,
) -> Response:  # fmt: skip
    limit = page_limit(limit, max_limit, "SGP_MAX_PRINT_LOGS")
    f = PrintLogFilter(
        printer_id=printer_id,
        status=status_filter,
        data_inicio=data_inicio.isoformat() if data_inicio else None,
        data_fim=data_fim.isoformat() if data_fim else None,
        limit=limit,
        offset=offset,
    )
    return json_response(await list_print_logs(readers, f))


@router.get("", summary="Listar impressões (mais recentes primeiro)", response_class=Response, responses=_LIST)
async def list_logs(
    readers: ReaderDep, settings: SettingsDep, _: ReadAccess, limit: Limit = 100, offset: Offset = 0,
    status_filter: StatusFilter = None, data_inicio: Day = None, data_fim: Day = None,
) -> Response:  # fmt: skip
    """Logs newest first, with each pedido's numero and cliente and the item's details."""
    return await _list(readers, settings.max_print_logs, None, limit, offset, status_filter, data_inicio, data_fim)


@router.get("/printers/{printer_id:int}", summary="Impressões de uma máquina", response_class=Response, responses=_LIST)
async def list_printer_logs(
    printer_id: PrinterId, readers: ReaderDep, settings: SettingsDep, _: ReadAccess, limit: Limit = 100,
    offset: Offset = 0, status_filter: StatusFilter = None, data_inicio: Day = None, data_fim: Day = None,
) -> Response:  # fmt: skip
    """One printer's logs, newest first (an id without logs answers an empty list)."""
    return await _list(
        readers, settings.max_print_logs, printer_id, limit, offset, status_filter, data_inicio, data_fim
    )


@router.get(
    "/stats/{printer_id:int}",
    summary="Estatísticas de uma máquina",
    response_class=Response,
    responses={"200": json_content(ref("PrinterStats"))},
)
async def stats(printer_id: PrinterId, readers: ReaderDep, _: ReadAccess) -> Response:
    """Totals by status and the success rate (percent) of one printer."""
    return json_response(_encoder.encode(await printer_stats(readers, printer_id)))


@router.post(
    "",
    summary="Registrar impressão",
    status_code=201,
    response_class=Response,
    openapi_extra=body_spec("PrintLogCreate"),
    responses={"201": json_content(ref("PrintLog"), "Impressão registrada"), **error_responses(404)},
)
async def create_log(request: Request, writer: WriterDep, settings: SettingsDep, _: CurrentUser) -> Response:
    """Log a print; with `item_id`, the (pedido, item) log is updated instead of duplicated. 404: no such pedido."""
    body = await read_body(request, settings.max_body_bytes)
    return await send(request, writer, CreatePrintLog(decode_print_log(body)), body)
