"""/maquinas/dashboard/overview: the production queue of each active machine (the client's machine panel).

The CRUD of /maquinas comes from the catalog toolkit (api/routes/records.py).
"""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import Response

from core.maquinas import MachineOverview, MachineQueueItem
from readers.maquinas import machine_overview_json

from ..deps import ReaderDep
from ..responses import json_content, json_response, ref

__all__ = ["router", "SCHEMAS"]

router = APIRouter(prefix="/maquinas", tags=["maquinas"])
SCHEMAS = (MachineOverview, MachineQueueItem)


@router.get(
    "/dashboard/overview",
    summary="Fila de produção por máquina",
    response_class=Response,
    responses={"200": json_content({"type": "array", "items": ref("MachineOverview")})},
)
async def dashboard_overview(readers: ReaderDep) -> Response:
    """Each active machine by name with the items of pendente/em_producao pedidos assigned to it."""
    return json_response(await machine_overview_json(readers))
