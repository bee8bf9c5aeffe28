"""One way to turn a JSON body into a msgspec Struct, with errors that name the field."""

from __future__ import annotations

from typing import TypeVar

import msgspec

from .validation import UNREADABLE_JSON, DomainError, from_validation_error

__all__ = ["decode_body"]

_T = TypeVar("_T")


def decode_body(decoder: msgspec.json.Decoder[_T], body: bytes) -> _T:
    """Decode `body` with `decoder`, or raise DomainError naming the bad field."""
    try:
        return decoder.decode(body)
    except msgspec.ValidationError as exc:
        # msgspec checks the type at the first token, before it reads on: `[1,` is a "wrong type" to it.
        # Broken JSON is a 400 whatever it starts with (this untyped parse runs on the error path only).
        try:
            msgspec.json.decode(body)
        except UNREADABLE_JSON:
            raise DomainError(None, "JSON inválido", "invalid_json") from exc
        raise from_validation_error(exc) from exc
    except UNREADABLE_JSON as exc:
        raise DomainError(None, "JSON inválido", "invalid_json") from exc
