"""Order status values and the legacy spellings clients still send."""

import re
from typing import Literal, get_args

from .text import fold

__all__ = ["STATUS_VALUES", "Status", "normalize_status"]

Status = Literal["pendente", "em_producao", "pronto", "entregue", "cancelado"]
STATUS_VALUES: tuple[Status, ...] = get_args(Status)

_SEPARATORS = re.compile(r"[\s_-]+")
_ALIASES: dict[str, Status] = {
    **{_SEPARATORS.sub("", status): status for status in STATUS_VALUES},
    "concluido": "pronto",
    "concluida": "pronto",
    "cancelada": "cancelado",
}


def normalize_status(value: str) -> Status:
    """Map an accepted spelling (``Em Produção``, ``EM_PRODUCAO``, ``concluído``) to a status."""
    try:
        return _ALIASES[_SEPARATORS.sub("", fold(value))]
    except KeyError:
        allowed = ", ".join(STATUS_VALUES)
        raise ValueError(f"status inválido: {value!r}; valores aceitos: {allowed}") from None
