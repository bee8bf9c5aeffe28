"""Shared pieces of the pedidos routers: the id path parameter, the list's query parameters, the admin-only field rule."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import Path, Request

from core.domain import fold, normalize_status
from core.pedido_ops import PEDIDO_ID_MAX

from .deps import principal_of
from .errors import ApiError

__all__ = ["ItemId", "PedidoId", "forbid_unless_admin", "list_filters", "status_param"]

# Paths declare these ids as `{pedido_id:int}` / `{item_id:int}`: only digits reach them
# (`/pedidos/1.0` or `/pedidos/abc` match no route: 404), the bounds are checked here (422).
PedidoId = Annotated[int, Path(ge=1, le=PEDIDO_ID_MAX, description="Id do pedido")]

ItemId = Annotated[int, Path(ge=0, le=PEDIDO_ID_MAX, description="Id do item, ou pedido.id*1000+posição")]


def forbid_unless_admin(request: Request, detail: str, field: str) -> None:
    """403 naming `field` unless the caller is an admin."""
    principal = principal_of(request)
    if principal is not None and not principal.is_admin:
        raise ApiError(403, "forbidden", detail, field=field)


def status_param(value: str | None) -> str | None:
    """A status filter in its canonical spelling (legacy ones accepted); 422 naming `status` otherwise."""
    if value is None:
        return None
    try:
        return normalize_status(value)
    except ValueError as exc:
        raise ApiError(422, "validation_error", str(exc), field="status") from None


def _date_param(value: str | None, field: str) -> date | None:
    """`YYYY-MM-DD` or an ISO datetime (reduced to its date), as the old server took them; 400 otherwise."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        return date.fromisoformat(text) if len(text) == 10 else datetime.fromisoformat(text).date()
    except ValueError:
        message = f"{field} inválida: {text[:40]!r}. Use o formato YYYY-MM-DD."
        raise ApiError(400, "invalid_date", message, field=field) from None


def list_filters(
    status: str | None, cliente: str | None, data_inicio: str | None, data_fim: str | None, date_mode: str
) -> dict[str, Any]:
    """The list's filter fields (`PedidoFilter` keywords) from the client's query parameters."""
    start, end = _date_param(data_inicio, "data_inicio"), _date_param(data_fim, "data_fim")
    if start is not None and end is not None and start > end:
        raise ApiError(400, "invalid_date_range", "data_inicio deve ser menor ou igual a data_fim", field="data_inicio")
    # Any other date_mode behaves like "entrega", as on the old server.
    mode = date_mode if date_mode in ("entrada", "qualquer") else "entrega"
    return {
        "status": status_param(status),
        "cliente_folded": fold(cliente) if cliente else None,
        "data_inicio": start,
        "data_fim": end,
        "date_mode": mode,
    }
