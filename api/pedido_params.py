"""Shared pieces of the pedidos routers: the id path parameter and the admin-only field rule."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import Path, Request
from pydantic import BeforeValidator

from core.pedido_ops import PEDIDO_ID_MAX

from .deps import principal_of
from .errors import ApiError

__all__ = ["ItemId", "PedidoId", "forbid_unless_admin"]

_DIGITS = re.compile(r"[0-9]{1,19}")


def _digits_only(value: object) -> object:
    # pydantic's lax int takes "1.0" and "1e0" for 1: `GET /pedidos/1.0` must not answer pedido 1.
    if isinstance(value, str) and not _DIGITS.fullmatch(value):
        raise ValueError("o id deve ser um número inteiro")
    return value


PedidoId = Annotated[int, Path(ge=1, le=PEDIDO_ID_MAX, description="Id do pedido"), BeforeValidator(_digits_only)]

ItemId = Annotated[
    int,
    Path(ge=0, le=PEDIDO_ID_MAX, description="Id do item, ou pedido.id*1000+posição"),
    BeforeValidator(_digits_only),
]


def forbid_unless_admin(request: Request, detail: str, field: str) -> None:
    """403 naming `field` unless the caller is an admin."""
    principal = principal_of(request)
    if principal is not None and not principal.is_admin:
        raise ApiError(403, "forbidden", detail, field=field)
