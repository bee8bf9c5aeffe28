"""POST /safira/ask: the built-in assistant, not offered by this server (501, with the reason)."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import Response

from ..deps import CurrentUser
from ..errors import ApiError

__all__ = ["router"]

router = APIRouter(prefix="/safira", tags=["safira"])


@router.post("/ask", summary="Assistente Safira (não disponível)", status_code=501, response_class=Response)
async def ask(_: CurrentUser) -> Response:
    """Always 501: answers need a question-answering service this server does not ship (see docs/reports.md)."""
    raise ApiError(
        501,
        "not_implemented",
        "A assistente Safira não está disponível neste servidor: ela depende de um serviço de respostas "
        "que não faz parte desta instalação.",
    )
