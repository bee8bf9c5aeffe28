"""Reposição reads: one by id, or a page (newest first) optionally of one pedido or status."""

from __future__ import annotations

from typing import Any

from .pool import ReaderPool

__all__ = ["get_reposicao_doc", "list_reposicao_docs"]


async def get_reposicao_doc(pool: ReaderPool, reposicao_id: int) -> bytes | None:
    """One reposição's JSON, or None."""
    row = await pool.fetchone("SELECT doc FROM reposicoes WHERE id = ?", (reposicao_id,), inline=True)
    return None if row is None else bytes(row[0])


async def list_reposicao_docs(
    pool: ReaderPool, *, order_id: int | None, status: str | None, skip: int, limit: int
) -> list[bytes]:
    """A page of reposições, newest first."""
    clauses: list[str] = []
    params: list[Any] = []
    for column, value in (("order_id", order_id), ("status", status)):
        if value is not None:
            clauses.append(f"{column} = ?")
            params.append(value)
    where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
    rows: list[Any] = await pool.fetchall(
        f"SELECT doc FROM reposicoes {where} ORDER BY id DESC LIMIT ? OFFSET ?", (*params, limit, skip)
    )
    return [bytes(r[0]) for r in rows]
