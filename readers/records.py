"""Catalog reads for every family of core.catalogs: a list page and one record, each one read transaction."""

from __future__ import annotations

import sqlite3
from typing import Any

import msgspec

from core.records import Family
from core.text import fold

from .pool import ReaderPool

__all__ = ["RecordFilter", "list_record_docs", "get_record_doc"]


class RecordFilter(msgspec.Struct, frozen=True, kw_only=True):
    """What a list asks for: the active flag, a folded substring of the searchable fields, a page."""

    ativo: bool | None = None
    busca: str | None = None
    skip: int = 0
    limit: int = 100


def _like(text: str) -> str:
    """A LIKE pattern matching `text` anywhere, with LIKE's own wildcards taken literally."""
    escaped = fold(text).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _page(conn: sqlite3.Connection, table: str, where: str, params: list[Any], limit: int, skip: int) -> Any:
    # Table names come from the family definitions, never from the request.
    rows = conn.execute(
        f"SELECT doc FROM {table} {where} ORDER BY id LIMIT ? OFFSET ?", (*params, limit, skip)
    ).fetchall()
    total = conn.execute(f"SELECT count(*) FROM {table} {where}", params).fetchone()[0]
    return [row[0] for row in rows], total


async def list_record_docs(pool: ReaderPool, fam: Family, filters: RecordFilter) -> tuple[list[bytes], int]:
    """One page of a family's records in id order (the old server's) and the total of the filter."""
    clauses: list[str] = []
    params: list[Any] = []
    if filters.ativo is not None and fam.active_field is not None:
        clauses.append("ativo = ?")
        params.append(int(filters.ativo))
    if filters.busca:
        clauses.append("busca LIKE ? ESCAPE '\\'")
        params.append(_like(filters.busca))
    where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
    # On a reader thread: a whole catalog (thousands of clientes) or a substring search reads many rows.
    return await pool.read(_page, fam.table, where, params, filters.limit, filters.skip)


async def get_record_doc(pool: ReaderPool, fam: Family, record_id: int) -> bytes | None:
    """One record's JSON, or None."""
    row = await pool.fetchone(f"SELECT doc FROM {fam.table} WHERE id = ?", (record_id,), inline=True)
    return None if row is None else row[0]
