"""Catalog commands: one handler for every family of core.catalogs, and the storage functions under it.

The storage functions (`insert_record`, `update_record`, `remove_record`) take
a write connection and run inside the caller's transaction, so an importer in
the writer can bring old rows in, with their old ids, through the same rules.
Unique rules are checked here rather than by a UNIQUE index: the writer is the
only writer, so the check cannot race, and old databases hold duplicate names
that an import must keep.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from typing import Any

import msgspec

from core.catalogs import family as family_of
from core.records import RECORD_COLUMNS, Family, decode_json, record_row
from core.validation import DomainError
from ipc.errors import CommandError
from ipc.protocol import CreateRecord, DeleteRecord, PatchRecord

from .context import Context, Outcome

__all__ = ["insert_record", "update_record", "remove_record", "create_record", "patch_record", "delete_record"]

_COLUMNS = ", ".join(RECORD_COLUMNS)
_ASSIGN = ", ".join(f"{name} = ?" for name in RECORD_COLUMNS)
_json = msgspec.json.Encoder()


class _Deleted(msgspec.Struct):
    """DELETE answer of families whose old server answered 200 with a message (clientes)."""

    message: str
    id: int
    deleted: bool = True


def _resolve(name: str) -> Family:
    try:
        return family_of(name)
    except KeyError:
        raise CommandError("validation_error", f"Cadastro desconhecido: {name!r}.", field="family") from None


def _invalid(exc: DomainError) -> CommandError:
    return CommandError("validation_error", exc.detail, field=exc.field)


def _check_unique(conn: sqlite3.Connection, fam: Family, values: Mapping[str, Any], record_id: int) -> None:
    key = fam.key(values)
    if key is None:
        return
    clash = conn.execute(f"SELECT id FROM {fam.table} WHERE chave = ? AND id <> ? LIMIT 1", (key, record_id))
    if clash.fetchone() is not None:
        raise CommandError("duplicate", fam.unique_conflict(values), field=fam.unique[-1])


def _load(conn: sqlite3.Connection, fam: Family, record_id: int) -> dict[str, Any]:
    row = conn.execute(f"SELECT doc FROM {fam.table} WHERE id = ?", (record_id,)).fetchone()
    if row is None:
        raise CommandError("not_found", fam.not_found(record_id))
    return decode_json(row[0])


def insert_record(
    conn: sqlite3.Connection,
    fam: Family,
    data: Any,
    *,
    now: str,
    record_id: int | None = None,
    created_at: str | None = None,
    check_unique: bool = True,
) -> tuple[int, bytes]:
    """Insert one record and return (id, JSON doc); `record_id`/`created_at` keep an imported row's own.

    `data` is the create struct or any mapping (an old row): it is validated
    again here. An importer passes `check_unique=False` to keep old duplicates.
    """
    try:
        values = fam.check_create(data)
    except DomainError as exc:
        raise _invalid(exc) from None
    if check_unique:
        _check_unique(conn, fam, values, record_id or 0)
    stamps = {"created_at": created_at or now, "updated_at": now}
    # The doc holds the id, which SQLite assigns: insert, then store the doc.
    columns, _ = record_row(fam, fam.build({"id": record_id or 0, **values, **stamps}))
    try:
        cursor = conn.execute(
            f"INSERT INTO {fam.table} (id, {_COLUMNS}, doc) VALUES (?, ?, ?, ?, ?, ?, ?, x'')",
            (record_id, *columns),
        )
    except sqlite3.IntegrityError:
        raise CommandError("id_taken", f"{fam.label} {record_id} já existe.", field="id") from None
    new_id = int(cursor.lastrowid or record_id or 0)
    _, doc = record_row(fam, fam.build({"id": new_id, **values, **stamps}))
    conn.execute(f"UPDATE {fam.table} SET doc = ? WHERE id = ?", (doc, new_id))
    return new_id, doc


def update_record(conn: sqlite3.Connection, fam: Family, record_id: int, data: Any, *, now: str) -> bytes:
    """Apply the fields sent in `data` (a patch struct or mapping) to a record; returns its new JSON doc."""
    current = _load(conn, fam, record_id)
    try:
        changes = fam.check_patch(data)
        record = fam.build({**current, **changes, "id": record_id, "updated_at": now})
    except DomainError as exc:
        raise _invalid(exc) from None
    values = msgspec.structs.asdict(record)
    # Only a change of the unique fields is checked: imported duplicates stay editable otherwise.
    if fam.key(values) != fam.key(current):
        _check_unique(conn, fam, values, record_id)
    columns, doc = record_row(fam, record)
    conn.execute(f"UPDATE {fam.table} SET {_ASSIGN}, doc = ? WHERE id = ?", (*columns, doc, record_id))
    return doc


def remove_record(conn: sqlite3.Connection, fam: Family, record_id: int) -> None:
    """Delete a record, unless its family's delete rule finds it in use (409 `in_use`)."""
    _load(conn, fam, record_id)
    if fam.delete_rule is not None and (reason := fam.delete_rule(conn, record_id)) is not None:
        raise CommandError("in_use", reason)
    conn.execute(f"DELETE FROM {fam.table} WHERE id = ?", (record_id,))


def create_record(ctx: Context, cmd: CreateRecord) -> Outcome:
    """Insert a record and append `<table>_created`."""
    fam = _resolve(cmd.family)
    record_id, doc = insert_record(ctx.conn, fam, cmd.data, now=ctx.now)
    seq = ctx.emit(fam.events[0], None, None, resource=fam.name, record_id=record_id, record_json=doc)
    return Outcome(fam.create_status, doc, seq)


def patch_record(ctx: Context, cmd: PatchRecord) -> Outcome:
    """Change a record and append `<table>_updated`."""
    fam = _resolve(cmd.family)
    doc = update_record(ctx.conn, fam, cmd.id, cmd.data, now=ctx.now)
    seq = ctx.emit(fam.events[1], None, None, resource=fam.name, record_id=cmd.id, record_json=doc)
    return Outcome(200, doc, seq)


def delete_record(ctx: Context, cmd: DeleteRecord) -> Outcome:
    """Delete a record and append `<table>_deleted`; 204, or 200 with a message where the old server sent one."""
    fam = _resolve(cmd.family)
    remove_record(ctx.conn, fam, cmd.id)
    seq = ctx.emit(fam.events[2], None, None, resource=fam.name, record_id=cmd.id)
    if fam.delete_message is None:
        return Outcome(204, b"", seq)
    return Outcome(200, _json.encode(_Deleted(message=fam.delete_message, id=cmd.id)), seq)
