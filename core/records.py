"""The catalog toolkit: a family of similar resources described as data (pure, no I/O but its rules' SQL).

A `Family` names its URL segment and table, the struct a client creates it
with, the field holding its name and its active flag, what `busca` searches,
which fields must be unique together and a short delete rule. From the create
struct the toolkit derives the PATCH struct (every field optional) and the
answer (`id`, the fields, `created_at`, `updated_at`). `writer/commands/records.py`
stores it, `readers/records.py` reads it, `api/routes/records.py` routes it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import msgspec
from msgspec import UNSET, Struct, UnsetType

from .decoding import decode_body
from .text import fold
from .validation import DomainError, from_validation_error

__all__ = ["Family", "DeleteRule", "RecordRow", "RECORD_COLUMNS", "record_row", "decode_json"]

# (connection, record id) -> a Portuguese reason the record may not be deleted, or None.
DeleteRule = Callable[[sqlite3.Connection, int], str | None]

# The indexed columns every family table has besides `id` and `doc` (writer/schema.py, migration 5).
RECORD_COLUMNS = ("nome", "busca", "ativo", "chave", "created_at", "updated_at")
RecordRow = tuple[str, str, int, str | None, str, str]

_encoder = msgspec.json.Encoder()


def _patch_struct(create: type[Struct], name: str) -> type[Struct]:
    """The PATCH body: the create fields, each optional (UNSET = not sent, kept as stored)."""
    fields = [(f.name, f.type | UnsetType, UNSET) for f in msgspec.structs.fields(create)]
    return msgspec.defstruct(name, fields, kw_only=True, module=create.__module__)


def _record_struct(create: type[Struct], name: str) -> type[Struct]:
    """The answer: id first, the create fields (with their defaults), then when it was created and last changed."""
    fields: list[Any] = [("id", int)]
    for f in msgspec.structs.fields(create):
        fields.append((f.name, f.type) if f.required else (f.name, f.type, f.default))
    fields += [("created_at", str | None, None), ("updated_at", str | None, None)]
    return msgspec.defstruct(name, fields, kw_only=True, module=create.__module__)


@dataclass(frozen=True, eq=False)
class Family:
    """One catalog family as data; everything else about it comes from the toolkit."""

    name: str  # URL segment: "vendedores", "tipos-envios"
    table: str  # SQLite table and event prefix: "tipos_envios" -> "tipos_envios_created"
    label: str  # Portuguese, capitalised, for messages: "Forma de envio"
    create: type[Struct]  # the POST body, with the client's exact field names
    name_field: str = "nome"  # "name" for maquinas and producoes (the old tables' names)
    active_field: str | None = "ativo"  # None: no active flag, no /ativos (clientes)
    search_fields: tuple[str, ...] = ("nome",)
    required_text: tuple[str, ...] = ()  # besides the name: text fields that may not be blank
    unique: tuple[str, ...] = ()  # fields unique together, compared folded; () = no rule
    delete_rule: DeleteRule | None = None
    create_status: int = 201
    delete_message: str | None = None  # None: DELETE answers 204; else 200 {"message": ...}
    feminine: bool = False  # Portuguese agreement in messages ("encontrada")
    description: str = ""
    legacy_table: str = ""  # the old server's table (sqlite-import.md), for an importer
    # Derived in __post_init__. Lax decoders: old clients send numbers and booleans as text.
    patch: type[Struct] = field(init=False)
    record: type[Struct] = field(init=False)
    _create_decoder: msgspec.json.Decoder[Any] = field(init=False, repr=False)
    _patch_decoder: msgspec.json.Decoder[Any] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        base = self.create.__name__.removesuffix("Create")
        derived: dict[str, Any] = {
            "patch": _patch_struct(self.create, f"{base}Patch"),
            "record": _record_struct(self.create, base),
        }
        derived["_create_decoder"] = msgspec.json.Decoder(self.create, strict=False)
        derived["_patch_decoder"] = msgspec.json.Decoder(derived["patch"], strict=False)
        for name, value in derived.items():
            object.__setattr__(self, name, value)  # frozen: derived once, here

    # Names -------------------------------------------------------------------

    @property
    def events(self) -> tuple[str, str, str]:
        """The event types of a create, a change and a delete."""
        return (f"{self.table}_created", f"{self.table}_updated", f"{self.table}_deleted")

    @property
    def schemas(self) -> tuple[type[Struct], ...]:
        """The structs to publish as OpenAPI components."""
        return (self.create, self.patch, self.record)

    def not_found(self, record_id: int) -> str:
        """Portuguese 404 detail."""
        return f"{self.label} {record_id} não encontrad{'a' if self.feminine else 'o'}."

    # Validation (API worker and writer alike) --------------------------------

    def decode_create(self, body: bytes) -> dict[str, Any]:
        """A POST body as a dict of every field (defaults filled in), or DomainError naming the field."""
        return self.check_create(decode_body(self._create_decoder, body))

    def decode_patch(self, body: bytes) -> dict[str, Any]:
        """A PATCH body as a dict of the fields sent, or DomainError naming the field."""
        return self.check_patch(decode_body(self._patch_decoder, body))

    def check_create(self, data: Any) -> dict[str, Any]:
        """Validate create data (a struct or a mapping, e.g. an old row) and normalise it."""
        struct = data if isinstance(data, self.create) else _convert(data, self.create)
        return self._normalise(msgspec.structs.asdict(struct))

    def check_patch(self, data: Any) -> dict[str, Any]:
        """Validate patch data; only the fields sent are returned."""
        struct = data if isinstance(data, self.patch) else _convert(data, self.patch)
        sent = {k: v for k, v in msgspec.structs.asdict(struct).items() if v is not UNSET}
        return self._normalise(sent)

    def _normalise(self, values: dict[str, Any]) -> dict[str, Any]:
        for name in (self.name_field, *self.required_text):
            if name in values:
                text = values[name].strip()
                if not text:
                    raise DomainError(name, "campo obrigatório e não pode ficar vazio")
                values[name] = text
        return values

    # Storage -----------------------------------------------------------------

    def build(self, values: Mapping[str, Any]) -> Struct:
        """The answer struct from stored values (id, fields, timestamps)."""
        return _convert(values, self.record)

    def key(self, values: Mapping[str, Any]) -> str | None:
        """The folded unique key of a record, or None when the family has no unique rule."""
        if not self.unique:
            return None
        return "\x1f".join(fold(str(values.get(name) or "")) for name in self.unique)

    def unique_conflict(self, values: Mapping[str, Any]) -> str:
        """Portuguese 409 detail for a clash on the unique fields."""
        shown = ", ".join(f"{name} '{values.get(name)}'" for name in self.unique)
        return f"Já existe {'uma' if self.feminine else 'um'} {self.label.lower()} com {shown}."


def record_row(family: Family, record: Struct) -> tuple[RecordRow, bytes]:
    """The indexed columns (RECORD_COLUMNS order) and the JSON doc of an answer struct."""
    values = msgspec.structs.asdict(record)
    active = 1 if family.active_field is None else int(bool(values[family.active_field]))
    busca = " ".join(fold(str(values.get(name) or "")) for name in family.search_fields)
    row: RecordRow = (
        values[family.name_field],
        busca,
        active,
        family.key(values),
        values["created_at"],
        values["updated_at"],
    )
    return row, _encoder.encode(record)


def decode_json(body: bytes) -> dict[str, Any]:
    """A stored doc back to a dict."""
    doc: dict[str, Any] = msgspec.json.decode(body)
    return doc


def _convert(values: Any, type_: type[Struct]) -> Struct:
    try:
        return msgspec.convert(values, type_, strict=False)
    except msgspec.ValidationError as exc:
        raise from_validation_error(exc) from exc
