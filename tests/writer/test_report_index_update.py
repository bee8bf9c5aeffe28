"""Updates rewrite only the report rows and columns that changed (migration #7, then the writer's own rows, #8).

After every kind of update, the report tables must equal what migration #6's
backfill builds from the stored pedidos (the definition of the report rows).
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from core.domain import decode_patch
from ipc.protocol import BatchStatus, PatchPedido
from writer import schema
from writer.commands import Sequences
from writer.commands.pedidos import batch_status, patch_pedido
from writer.report_index import _fill

from .test_report_index import ITEMS, _create, _ctx

_TABLES = ("report_pedidos", "report_itens")


def _snapshot(conn: sqlite3.Connection) -> list[list[tuple[Any, ...]]]:
    return [conn.execute(f"SELECT * FROM {table} ORDER BY 1, 2, 3").fetchall() for table in _TABLES]


def _rebuilt(conn: sqlite3.Connection) -> list[list[tuple[Any, ...]]]:
    """The rows as the backfill computes them from the pedidos now stored (inside a rolled-back savepoint)."""
    conn.execute("SAVEPOINT rebuild")
    try:
        for table in _TABLES:
            conn.execute(f"DELETE FROM {table}")
        for statement in _fill("p", where="all").split(";\n"):
            if statement.strip():
                conn.execute(statement)
        return _snapshot(conn)
    finally:
        conn.execute("ROLLBACK TO rebuild")
        conn.execute("RELEASE rebuild")


def _triggers(conn: sqlite3.Connection) -> set[str]:
    return {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")}


@pytest.fixture
def conn(tmp_path: Path) -> sqlite3.Connection:
    conn = schema.open_write_connection(tmp_path / "db.sqlite3", synchronous="normal", journal_size_limit=1 << 20)
    schema.migrate(conn)
    return conn


PATCHES = [
    {"status": "em_producao"},  # columns only
    {"observacao": "só uma nota", "financeiro": True},  # nothing the report keeps
    {"cliente": "Outra Loja", "data_entrega": "2025-06-01"},  # row columns
    {"numero": "77"},
    {"valor_frete": "20,00"},  # money: rebuilt
    {"forma_envio": "Motoboy"},
    {"items": ITEMS[:1]},  # items: rebuilt
    {"items": [{**ITEMS[1], "tecido": "Lona"}]},
    {"data_entrada": "2025-05-11"},  # the key: rebuilt
    {"status": "pronto", "items": ITEMS},
]


def test_every_update_leaves_the_rows_the_backfill_builds(conn: sqlite3.Connection) -> None:
    assert _triggers(conn) == {"report_pedidos_delete"}  # migration #8: the writer writes the rows
    seqs = Sequences(last_seq=0, last_pedido_id=0)
    ids = [_create(conn, seqs, forma_envio="Retirada"), _create(conn, seqs, cliente="Segunda")]
    before = _snapshot(conn)
    assert before == _rebuilt(conn) and before[1]
    for change in PATCHES:
        patch = decode_patch(json.dumps(change).encode())
        patch_pedido(_ctx(conn, seqs), PatchPedido(id=ids[0], patch=patch))
        assert _snapshot(conn) == _rebuilt(conn), change
    batch_status(_ctx(conn, seqs), BatchStatus(ids=ids, status="entregue"))
    after = _snapshot(conn)
    assert after == _rebuilt(conn)
    assert {row[3] for row in after[0]} == {"entregue"}  # status column of report_pedidos
