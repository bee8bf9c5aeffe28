"""Designer art panel reads: a designer's items in open pedidos, and finding the pedido of an item id."""

from __future__ import annotations

import sqlite3
from typing import Any

import msgspec

from core.art import CLOSED_STATUSES, art_item
from core.pedido_items import find_item_index

from .pool import ReaderPool
from .sqlexpr import DOC, date_range, in_list, spellings

__all__ = ["designer_items", "find_item_pedido"]

_CLOSED = ", ".join(f"'{s}'" for s in CLOSED_STATUSES)


def _designer_items(
    conn: sqlite3.Connection, nome: str, start: str | None, end: str | None, limit: int, offset: int
) -> list[dict[str, Any]]:
    params: list[Any] = []
    names = in_list(spellings(conn, "designer", nome), params)
    dated = date_range("ri.data_entrada", start, end, params)
    # idx_report_itens_designer finds the page; only those items are taken out of their pedidos' JSON.
    rows = conn.execute(
        "SELECT p.id, p.numero, p.cliente, p.data_entrada, p.data_entrega, p.status, p.prioridade_rank, ri.idx, "
        f"json_extract({DOC}, '$.items[' || ri.idx || ']') "
        "FROM report_itens AS ri JOIN pedidos AS p ON p.id = ri.pedido_id "
        f"WHERE ri.designer IN {names} AND {dated} AND ri.status NOT IN ({_CLOSED}) "
        "ORDER BY ri.data_entrada DESC, ri.pedido_id DESC, ri.idx LIMIT ? OFFSET ?",
        (*params, limit, offset),
    ).fetchall()
    out = []
    for pid, numero, cliente, entrada, entrega, status, rank, index, item_json in rows:
        pedido = {
            "id": pid, "numero": numero, "cliente": cliente, "data_entrada": entrada, "data_entrega": entrega,
            "status": status, "prioridade": "ALTA" if rank else "NORMAL",
        }  # fmt: skip
        out.append(art_item(pedido, int(index), msgspec.json.decode(item_json)))
    return out


async def designer_items(
    pool: ReaderPool, nome_folded: str, *, start: str | None, end: str | None, limit: int, offset: int
) -> list[dict[str, Any]]:
    """Items whose `designer` is `nome` (folded) in open pedidos entered within [start, end], newest first."""
    return await pool.read(_designer_items, nome_folded, start, end, limit, offset)


def _find(conn: sqlite3.Connection, item_id: int) -> int | None:
    # First the pedido the synthetic id points at (id // 1000), as the client builds ids that way.
    row = conn.execute(f"SELECT p.id, {DOC} FROM pedidos AS p WHERE p.id = ?", (item_id // 1000,)).fetchone()
    if row is not None and row[0] is not None:
        items = msgspec.json.decode(row[1]).get("items") or []
        if find_item_index(items, row[0], item_id) is not None:
            return int(row[0])
    # Then a stored item id anywhere among open pedidos (a scan of the open ones, on a reader thread).
    row = conn.execute(
        f"SELECT p.id FROM pedidos AS p, json_each({DOC}, '$.items') AS j WHERE p.status NOT IN ({_CLOSED}) "
        "AND json_type(j.value, '$.id') = 'integer' AND json_extract(j.value, '$.id') = ? LIMIT 1",
        (item_id,),
    ).fetchone()
    return None if row is None else int(row[0])


async def find_item_pedido(pool: ReaderPool, item_id: int) -> int | None:
    """The id of the pedido holding item `item_id` (stored or synthetic id), or None."""
    return await pool.read(_find, item_id)
