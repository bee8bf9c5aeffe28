"""Reports: /relatorios (templates, fechamentos statistics/trends/rankings) and /relatorios-fechamentos.

Every report is computed by SQLite over the indexed date range of the
pedidos (readers/reports.py); money is summed in integer cents and answered
as decimal strings.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Literal

import msgspec
from fastapi import APIRouter, Path, Query, Request
from starlette.responses import Response

from core.fechamento_report import REPORT_TYPES, build_report
from core.money import format_money
from core.status import normalize_status
from core.templates import RelatorioTemplatesPut, decode_relatorio_templates
from core.text import fold
from ipc.protocol import PutTemplates
from readers.pedidos import json_array
from readers.reports import (
    RANKING_CATEGORIES,
    ReportFilter,
    ranking_rows,
    report_pedido_docs,
    report_units,
    statistics_row,
    trend_rows,
)
from readers.templates import template_pair

from ..body import read_body
from ..commands import send
from ..deps import AdminUser, ReadAccess, ReaderDep, SettingsDep, WriterDep
from ..errors import ApiError
from ..responses import Responses, body_spec, error_responses, json_content, json_response

__all__ = ["router", "SCHEMAS"]

router = APIRouter(tags=["relatorios"])
_encoder = msgspec.json.Encoder()
SCHEMAS = (RelatorioTemplatesPut,)
_OBJECT: Responses = {"200": json_content({"type": "object"})}
_REPORT: Responses = {**_OBJECT, **error_responses(400)}

Text = Annotated[str | None, Query(max_length=200)]
DateText = Annotated[str | None, Query(max_length=40, description="YYYY-MM-DD")]
DateModeParam = Annotated[str, Query(max_length=20, description="entrada (padrão), entrega ou qualquer")]


def _money(cents: int) -> str:
    return format_money(Decimal(cents).scaleb(-2))


def _day(value: str | None, name: str, required: bool = False) -> str | None:
    if value is None or not value.strip():
        if required:
            raise ApiError(422, "validation_error", f"{name} é obrigatório (YYYY-MM-DD).", field=name)
        return None
    try:
        return date.fromisoformat(value.strip()[:10]).isoformat()
    except ValueError:
        raise ApiError(400, "invalid_date", f"{name} invalida. Use YYYY-MM-DD", field=name) from None


def _filter(
    start_date: str | None, end_date: str | None, date_mode: str, status: str | None = None,
    cliente: str | None = None, vendedor: str | None = None, designer: str | None = None, *, required: bool = False,
) -> ReportFilter:  # fmt: skip
    start, end = _day(start_date, "start_date", required), _day(end_date, "end_date", required)
    if start is not None and end is not None and start > end:
        raise ApiError(400, "invalid_range", "start_date deve ser menor ou igual a end_date", field="start_date")
    mode = (date_mode or "entrada").strip().lower()
    if mode not in ("entrada", "entrega", "qualquer"):
        raise ApiError(400, "invalid_date_mode", "date_mode invalido", field="date_mode")
    normalized = None
    if status is not None and status.strip() and fold(status) not in ("todos", "all"):
        try:
            normalized = normalize_status(status)
        except ValueError as exc:
            raise ApiError(422, "validation_error", str(exc), field="status") from None
    return ReportFilter(
        start=start, end=end, date_mode=mode, status=normalized,  # type: ignore[arg-type]
        cliente=fold(cliente) if cliente and cliente.strip() else None,
        vendedor=fold(vendedor) if vendedor and vendedor.strip() else None,
        designer=fold(designer) if designer and designer.strip() else None,
    )  # fmt: skip


# --- templates ---


@router.get(
    "/relatorios/templates", summary="Modelos dos relatórios impressos", response_class=Response, responses=_OBJECT
)
async def get_templates(readers: ReaderDep, _: ReadAccess) -> Response:
    """`{envios, fechamentos}`: stored, or the defaults."""
    return json_response(await template_pair(readers, "relatorio"))


@router.put(
    "/relatorios/templates",
    summary="Salvar modelos dos relatórios",
    response_class=Response,
    openapi_extra=body_spec("RelatorioTemplatesPut"),
    responses={**_OBJECT, **error_responses(403)},
)
async def put_templates(request: Request, writer: WriterDep, settings: SettingsDep, _: AdminUser) -> Response:
    """Store the templates sent (admins, as the old server required); answers the stored pair."""
    body = await read_body(request, settings.max_body_bytes)
    data = decode_relatorio_templates(body)
    docs = {t: _encoder.encode(v) for t, v in (("envios", data.envios), ("fechamentos", data.fechamentos)) if v}
    return await send(request, writer, PutTemplates(kind="relatorio", docs=docs), body)


# --- fechamentos aggregates ---


class _Statistics(msgspec.Struct):
    total_pedidos: int
    total_items: int
    total_revenue: str
    total_frete: str
    total_servico: str
    average_ticket: str


@router.get(
    "/relatorios/fechamentos/statistics", summary="Totais do período", response_class=Response, responses=_REPORT
)
async def statistics(
    readers: ReaderDep, _: ReadAccess, start_date: DateText = None, end_date: DateText = None,
    date_mode: DateModeParam = "entrada", status: Text = None, vendedor: Text = None, designer: Text = None,
    cliente: Text = None,
) -> Response:  # fmt: skip
    """Pedidos, items and money totals of the period (money as decimal strings)."""
    f = _filter(start_date, end_date, date_mode, status, cliente, vendedor, designer)
    pedidos, items, total, frete, servico = await statistics_row(readers, f)
    average = _money(round(total / pedidos)) if pedidos else "0.00"
    body = _Statistics(pedidos, items, _money(total), _money(frete), _money(servico), average)
    return json_response(_encoder.encode(body))


@router.get(
    "/relatorios/fechamentos/trends", summary="Evolução por período", response_class=Response, responses=_REPORT
)
async def trends(
    readers: ReaderDep, _: ReadAccess, start_date: DateText = None, end_date: DateText = None,
    date_mode: DateModeParam = "entrada", group_by: Literal["day", "week", "month"] = "day", status: Text = None,
    vendedor: Text = None, designer: Text = None, cliente: Text = None,
) -> Response:  # fmt: skip
    """`{trends: [{period, pedidos, revenue, frete, servico}]}` per day, week (YYYY-Www) or month (YYYY-MM)."""
    f = _filter(start_date, end_date, date_mode, status, cliente, vendedor, designer)
    rows = await trend_rows(readers, f, group_by)
    trend = [
        {"period": p, "pedidos": n, "revenue": _money(t), "frete": _money(fr), "servico": _money(s)}
        for p, n, t, fr, s in rows
    ]
    return json_response(_encoder.encode({"trends": trend}))


@router.get(
    "/relatorios/fechamentos/rankings/{category}",
    summary="Ranking por categoria",
    response_class=Response,
    responses=_REPORT,
)
async def rankings(
    category: Annotated[str, Path(description="vendedor, designer, cliente ou tipo_producao")],
    readers: ReaderDep, _: ReadAccess, start_date: DateText = None, end_date: DateText = None,
    date_mode: DateModeParam = "entrada", limit: Annotated[int, Query(ge=1, le=1000)] = 10, status: Text = None,
    vendedor: Text = None, designer: Text = None, cliente: Text = None,
) -> Response:  # fmt: skip
    """`{category, rankings: [{name, pedidos, items, revenue}]}`, highest revenue first."""
    if category not in RANKING_CATEGORIES:
        raise ApiError(
            422, "validation_error", f"categoria inválida: {category!r}; use {', '.join(RANKING_CATEGORIES)}",
            field="category",
        )  # fmt: skip
    f = _filter(start_date, end_date, date_mode, status, cliente, vendedor, designer)
    rows = await ranking_rows(readers, f, category, limit)
    ranked = [{"name": n, "pedidos": p, "items": i, "revenue": _money(r)} for n, p, i, r in rows]
    return json_response(_encoder.encode({"category": category, "rankings": ranked}))


# --- relatorios-fechamentos ---


@router.get(
    "/relatorios-fechamentos/pedidos/relatorio-semanal",
    summary="Pedidos do fechamento",
    response_class=Response,
    responses={"200": json_content({"type": "array", "items": {"type": "object"}}), **error_responses(400)},
)
async def relatorio_semanal(
    readers: ReaderDep, _: ReadAccess, start_date: DateText = None, end_date: DateText = None,
    date_mode: DateModeParam = "entrada", cliente: Text = None,
) -> Response:  # fmt: skip
    """The pedidos of the period as stored (the client computes the report from them), oldest first."""
    f = _filter(start_date, end_date, date_mode, cliente=cliente, required=True)
    return json_response(json_array(await report_pedido_docs(readers, f)))


@router.get(
    "/relatorios-fechamentos/pedidos/relatorio",
    summary="Relatório de fechamento",
    response_class=Response,
    responses=_REPORT,
)
async def relatorio(
    readers: ReaderDep, _: ReadAccess, report_type: Annotated[str, Query(max_length=60)] = "sintetico_cliente",
    start_date: DateText = None, end_date: DateText = None, date_mode: DateModeParam = "entrada",
    status: Text = None, vendedor: Text = None, designer: Text = None, cliente: Text = None,
    frete_distribution: Annotated[str, Query(max_length=30)] = "por_pedido",
) -> Response:  # fmt: skip
    """Grouped closing report (`groups`, subtotals, total) of one of the REPORT_TYPES."""
    if report_type not in REPORT_TYPES:
        raise ApiError(400, "invalid_report_type", f"report_type invalido: {report_type}", field="report_type")
    if frete_distribution not in ("por_pedido", "proporcional"):
        raise ApiError(400, "invalid_frete_distribution", "frete_distribution invalido", field="frete_distribution")
    f = _filter(start_date, end_date, date_mode, status, cliente, vendedor, designer, required=True)
    report = build_report(
        await report_units(readers, f), report_type, f.start or "", f.end or "", date_mode=f.date_mode,
        status=f.status, frete_distribution=frete_distribution,
    )  # fmt: skip
    return json_response(_encoder.encode(report))
