"""Ficha reads: each one short read transaction on a pooled read-only connection."""

from __future__ import annotations

import sqlite3

from core.fichas import FICHA_COLUMNS, ficha_from_row, ficha_to_json

from .pool import ReaderPool

__all__ = ["get_ficha_doc", "list_ficha_docs", "ficha_image"]


async def get_ficha_doc(pool: ReaderPool, ficha_id: int) -> bytes | None:
    """One ficha's JSON, or None."""
    row = await pool.fetchone(f"SELECT {FICHA_COLUMNS} FROM fichas WHERE id = ?", (ficha_id,))
    return None if row is None else ficha_to_json(ficha_from_row(row))


def _ficha_page(conn: sqlite3.Connection, client_id: int | None, skip: int, limit: int) -> tuple[list[bytes], int]:
    where, params = ("WHERE client_id = ?", [client_id]) if client_id is not None else ("", [])
    rows = conn.execute(
        f"SELECT {FICHA_COLUMNS} FROM fichas {where} ORDER BY id DESC LIMIT ? OFFSET ?", (*params, limit, skip)
    ).fetchall()
    total = conn.execute(f"SELECT count(*) FROM fichas {where}", params).fetchone()[0]
    return [ficha_to_json(ficha_from_row(row)) for row in rows], total


async def list_ficha_docs(pool: ReaderPool, *, client_id: int | None, skip: int, limit: int) -> tuple[list[bytes], int]:
    """One page of fichas (newest first) and the total matching count, from one snapshot (one thread hop)."""
    return await pool.read(_ficha_page, client_id, skip, limit)


async def ficha_image(pool: ReaderPool, ficha_id: int) -> tuple[bool, str | None]:
    """(the ficha exists, the sha256 of its image or None)."""
    row = await pool.fetchone("SELECT imagem_sha256 FROM fichas WHERE id = ?", (ficha_id,))
    return (False, None) if row is None else (True, row[0])
