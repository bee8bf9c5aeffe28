"""Material consumption analysis: GET /materiais/stats and /materiais/stats/evolucao.

Mounted before the materiais catalog, whose `/materiais/{id}` would otherwise take `stats` for an id.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

import msgspec
from fastapi import APIRouter, Query
from starlette.responses import Response

from core.material_stats import evolution, stats
from readers.materiais_stats import material_groups

from ..deps import ReadAccess, ReaderDep
from ..errors import ApiError
from ..responses import Responses, error_responses, json_content, json_response

__all__ = ["router"]

router = APIRouter(prefix="/materiais/stats", tags=["materiais"])
_encoder = msgspec.json.Encoder()

Start = Annotated[date | None, Query(description="Início de data_entrada (YYYY-MM-DD)")]
End = Annotated[date | None, Query(description="Fim de data_entrada, inclusive (YYYY-MM-DD)")]
Tipo = Annotated[str | None, Query(max_length=40, description="Só itens deste tipo_producao (omitido: todos)")]


def _range(data_inicio: date | None, data_fim: date | None) -> tuple[str | None, str | None]:
    if data_inicio is not None and data_fim is not None and data_inicio > data_fim:
        raise ApiError(400, "invalid_range", "data_inicio deve ser menor ou igual a data_fim.", field="data_inicio")
    return (data_inicio.isoformat() if data_inicio else None, data_fim.isoformat() if data_fim else None)


_DOC: Responses = {"200": json_content({"type": "object"}), **error_responses(400)}


@router.get("", summary="Consumo de materiais: indicadores e rankings", response_class=Response, responses=_DOC)
async def material_stats(
    readers: ReaderDep, _: ReadAccess, data_inicio: Start = None, data_fim: End = None, tipo_producao: Tipo = None
) -> Response:
    """KPIs, fabric and finishing rankings of the items of non-cancelled pedidos entered in the range."""
    start, end = _range(data_inicio, data_fim)
    groups = await material_groups(readers, start=start, end=end, tipo=tipo_producao or None)
    return json_response(_encoder.encode(stats(groups)))


@router.get("/evolucao", summary="Consumo de materiais por dia", response_class=Response, responses=_DOC)
async def material_evolution(
    readers: ReaderDep, _: ReadAccess, data_inicio: Start = None, data_fim: End = None, tipo_producao: Tipo = None
) -> Response:
    """Each day's m² and the share of the period's three most used fabrics."""
    start, end = _range(data_inicio, data_fim)
    groups = await material_groups(readers, start=start, end=end, tipo=tipo_producao or None)
    return json_response(_encoder.encode(evolution(groups, end)))
