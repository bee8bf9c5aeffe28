"""The one way a route turns a JSON body into a type, with our error contract.

Bytes that are not JSON answer 400 `invalid_json`; a value of the wrong shape
answers 422 `validation_error` with a Portuguese `detail` and the bad `field`
(core.validation translates msgspec's English). Pedido bodies go through
core.domain, which uses the same translation.
"""

from __future__ import annotations

from typing import Any, TypeVar, cast

import msgspec

from core.decoding import decode_body
from core.validation import DomainError

from .errors import ApiError

__all__ = ["decode_json", "decode_object"]

_T = TypeVar("_T")


# One decoder per (type, strictness), built on first use: a Decoder compiles its type once.
_decoders: dict[tuple[Any, bool], msgspec.json.Decoder[Any]] = {}


def _decoder(type_: Any, strict: bool) -> msgspec.json.Decoder[Any]:
    found = _decoders.get((type_, strict))
    if found is None:
        found = _decoders[type_, strict] = msgspec.json.Decoder(type_, strict=strict)
    return found


def decode_json(body: bytes, type_: type[_T], *, strict: bool = True, invalid: str | None = None) -> _T:
    """`body` as `type_`: 400 for bad JSON, 422 naming the field (`invalid` replaces the detail) for a bad value."""
    try:
        return cast(_T, decode_body(_decoder(type_, strict), body))
    except DomainError as exc:
        if exc.code == "invalid_json":
            raise ApiError(400, "invalid_json", exc.detail) from None
        raise ApiError(422, exc.code, invalid or exc.detail, field=exc.field) from None


def decode_object(body: bytes, what: str) -> dict[str, Any]:
    """`body` as a JSON object of any fields; anything else is 422 "<what> deve ser um objeto JSON."."""
    return decode_json(body, dict[str, Any], invalid=f"{what} deve ser um objeto JSON.")
