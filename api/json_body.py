"""JSON request bodies decoded into msgspec Structs, with errors that name the bad field."""

from __future__ import annotations

import re
from typing import TypeVar

import msgspec

from .errors import ApiError

__all__ = ["decode_json", "field_of"]

_T = TypeVar("_T")
_PATH = re.compile(r"`\$\.([^`]+)`")
_MISSING = re.compile(r"missing required field `([^`]+)`")


def field_of(message: str) -> str | None:
    """The field a msgspec validation message names (`$.a.b` path or a missing field), if any."""
    found = _PATH.search(message) or _MISSING.search(message)
    return found.group(1) if found else None


def decode_json(body: bytes, type_: type[_T]) -> _T:
    """`body` as `type_`; 400 for bad JSON, 422 naming the field for a bad value."""
    try:
        return msgspec.json.decode(body, type=type_)
    except msgspec.ValidationError as exc:
        raise ApiError(422, "validation_error", f"Dados inválidos: {exc}", field=field_of(str(exc))) from None
    except msgspec.DecodeError:
        raise ApiError(400, "invalid_json", "JSON inválido.") from None
