"""The machine panel's read: active machines and the open pedidos' items assigned to them, one snapshot."""

from __future__ import annotations

import sqlite3

import msgspec

from core.maquinas import QUEUE_STATUSES, machine_overview

from .pool import ReaderPool

__all__ = ["machine_overview_json"]

_encoder = msgspec.json.Encoder()


def _overview(conn: sqlite3.Connection) -> bytes:
    machines = conn.execute("SELECT id, nome FROM maquinas WHERE ativo = 1").fetchall()
    marks = ", ".join("?" * len(QUEUE_STATUSES))
    rows = conn.execute(f"SELECT doc FROM pedidos WHERE status IN ({marks})", QUEUE_STATUSES).fetchall()
    # Most open pedidos have no item on a machine: skip them before parsing their JSON.
    pedidos = (msgspec.json.decode(doc) for (doc,) in rows if b'"machine_id":' in doc)
    return _encoder.encode(machine_overview(machines, pedidos))


async def machine_overview_json(pool: ReaderPool) -> bytes:
    """GET /maquinas/dashboard/overview as JSON, computed on a reader thread (it reads every open pedido)."""
    return await pool.read(_overview)
