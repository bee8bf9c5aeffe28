"""Validation errors: DomainError, and msgspec's errors turned into field paths in Portuguese."""

import re
from collections.abc import Callable, Mapping
from typing import Any

import msgspec
from msgspec import UNSET, Struct

__all__ = ["UNREADABLE_JSON", "DomainError", "from_validation_error", "normalize_fields"]

# What msgspec raises for bytes that are not JSON at all: syntax, invalid UTF-8 inside a
# string, nesting past the interpreter's recursion limit. Answered as invalid_json (400).
UNREADABLE_JSON = (msgspec.DecodeError, UnicodeDecodeError, RecursionError)

_LOCATION = re.compile(r" - at `\$(?P<path>[^`]*)`$")
_MISSING = re.compile(r"Object missing required field `(?P<field>[^`]+)`")
_UNKNOWN = re.compile(r"Object contains unknown field `(?P<field>[^`]+)`")
_ENUM = re.compile(r"Invalid enum value (?P<value>.+)")
_WRONG_TYPE = re.compile(r"Expected `(?P<expected>[^`]+)`, got `(?P<got>[^`]+)`")
_BOUND = re.compile(r"Expected `[^`]+`(?P<length> of length)? (?P<op>[<>]=?) (?P<limit>\S+)")
_TYPE_NAMES = {
    "str": "texto",
    "int": "inteiro",
    "float": "número",
    "bool": "booleano",
    "null": "nulo",
    "object": "objeto",
    "array": "lista",
    "date": "data (AAAA-MM-DD)",
}
_COMPARISONS = {">=": "no mínimo", "<=": "no máximo", ">": "maior que", "<": "menor que"}


class DomainError(ValueError):
    """A request the domain rejects; ``field`` is a path such as ``items[3].valor_painel``."""

    def __init__(self, field: str | None, message: str, code: str = "validation_error") -> None:
        super().__init__(field, message, code)
        self.field = field
        self.message = message
        self.code = code

    @property
    def detail(self) -> str:
        """The Portuguese message prefixed with the field it concerns."""
        return f"{self.field}: {self.message}" if self.field else self.message

    def __str__(self) -> str:
        return self.detail


def normalize_fields(struct: Struct, normalizers: Mapping[str, Callable[[Any], Any]]) -> None:
    """Replace each listed field (unless UNSET) by its normalised value; errors name the field."""
    # Called from __post_init__: msgspec wraps the DomainError in a ValidationError located at
    # the struct and keeps it as __cause__, which from_validation_error joins back together.
    for name, normalize in normalizers.items():
        value = getattr(struct, name)
        if value is UNSET:
            continue
        try:
            setattr(struct, name, normalize(value))
        except ValueError as exc:
            raise DomainError(name, str(exc)) from exc


def from_validation_error(exc: msgspec.ValidationError, prefix: str = "") -> DomainError:
    """Turn a msgspec ValidationError into a DomainError naming the field, in Portuguese."""
    text = str(exc)
    location = _LOCATION.search(text)
    path = location["path"] if location else ""
    cause = exc.__cause__
    if isinstance(cause, DomainError):
        leaf, message = cause.field, cause.message
    else:
        leaf, message = _translate(text[: location.start()] if location else text)
    return DomainError(_join_path(prefix, path, leaf), message)


def _translate(message: str) -> tuple[str | None, str]:
    """msgspec's English message -> (missing field, Portuguese message)."""
    if match := _MISSING.fullmatch(message):
        return match["field"], "campo obrigatório"
    if match := _UNKNOWN.fullmatch(message):
        return match["field"], "campo desconhecido"
    if match := _ENUM.fullmatch(message):
        return None, f"valor não aceito: {match['value']}"
    if match := _WRONG_TYPE.fullmatch(message):
        expected, got = (_type_names(match[group]) for group in ("expected", "got"))
        return None, f"tipo inválido: esperado {expected}, recebido {got}"
    if match := _BOUND.fullmatch(message):
        what = "tamanho" if match["length"] else "valor"
        return None, f"{what} deve ser {_COMPARISONS[match['op']]} {match['limit']}"
    if "date" in message:
        return None, "data inválida: use o formato AAAA-MM-DD"
    return None, f"valor inválido ({message})"


def _type_names(spec: str) -> str:
    names = [_TYPE_NAMES.get(name, name) for name in spec.split(" | ")]
    return " ou ".join(filter(None, (", ".join(names[:-1]), names[-1])))


def _join_path(*parts: str | None) -> str | None:
    path = ""
    for part in filter(None, parts):
        part = part.removeprefix(".")
        path = f"{path}{part}" if not path or part.startswith("[") else f"{path}.{part}"
    return path or None
