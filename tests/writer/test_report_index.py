"""The report index (writer/report_index.py, writer/report_rows.py) follows every write to pedidos; a migration fills it."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from core.domain import build_pedido, decode_create, decode_patch, pedido_to_json
from ipc.protocol import CreatePedido, DeletePedido, PatchPedido
from writer import schema
from writer.commands import Context, Sequences
from writer.commands.pedidos import _PEDIDO_COLUMNS, _row, create_pedido, delete_pedido, patch_pedido

ITEMS = [
    {"tipo_producao": "painel", "designer": " Júlia ", "vendedor": "Carlos", "tecido": "Oxford",
     "valor_painel": "100.00", "quantidade_paineis": "2", "metro_quadrado": "6,00", "emenda": "com-emenda",
     "acabamento": {"overloque": True, "elastico": False, "ilhos": True}, "quantidade_ilhos": "4"},
    {"tipo_producao": "totem", "valor_unitario": "50,25", "quantidade_totem": 3, "largura": "1,5", "altura": "2"},
]  # fmt: skip


def _ctx(conn: sqlite3.Connection, seqs: Sequences) -> Context:
    now = datetime.now(UTC)
    return Context(conn=conn, now=now.isoformat(), now_ts=now.timestamp(), actor=None, seqs=seqs)


def _create(conn: sqlite3.Connection, seqs: Sequences, **fields: object) -> int:
    body = {"cliente": "Loja", "data_entrada": "2025-05-10", "valor_frete": "15.00", "items": ITEMS, **fields}
    create_pedido(_ctx(conn, seqs), CreatePedido(data=decode_create(json.dumps(body).encode())))
    return seqs.last_pedido_id


def _rows(conn: sqlite3.Connection) -> tuple[list[tuple], list[tuple]]:
    pedidos = conn.execute(
        "SELECT pedido_id, status, total_cents, frete_cents, itens_cents, n_itens FROM report_pedidos ORDER BY pedido_id"
    ).fetchall()
    itens = conn.execute(
        "SELECT pedido_id, idx, designer, vendedor, tecido, valor_cents, consumo_m2, overloque, ilhos, emenda, qtd_ilhos "
        "FROM report_itens ORDER BY pedido_id, idx"
    ).fetchall()
    return pedidos, itens


def test_index_follows_create_patch_and_delete(tmp_path: Path) -> None:
    conn = schema.open_write_connection(tmp_path / "db.sqlite3", synchronous="normal", journal_size_limit=1 << 20)
    schema.migrate(conn)
    seqs = Sequences(last_seq=0, last_pedido_id=0)
    pedido_id = _create(conn, seqs)
    pedidos, itens = _rows(conn)
    # painel 2 x 100.00 + totem 3 x 50.25 = 350.75; + 15.00 freight
    assert pedidos == [(pedido_id, "pendente", 36575, 1500, 35075, 2)]
    assert itens == [
        (pedido_id, 0, "Júlia", "Carlos", "Oxford", 20000, 12.0, 1, 1, 1, 4),
        (pedido_id, 1, None, None, None, 15075, 9.0, 0, 0, 0, 0),  # 1,5 x 2 m² x 3 (its first positive quantity)
    ]
    patch = decode_patch(json.dumps({"status": "pronto", "items": ITEMS[:1]}).encode())
    patch_pedido(_ctx(conn, seqs), PatchPedido(id=pedido_id, patch=patch))
    pedidos, itens = _rows(conn)
    assert pedidos == [(pedido_id, "pronto", 21500, 1500, 20000, 1)] and len(itens) == 1
    delete_pedido(_ctx(conn, seqs), DeletePedido(id=pedido_id))
    assert _rows(conn) == ([], [])


def _store_before_migration_6(conn: sqlite3.Connection, pedido_id: int, **fields: object) -> None:
    """A pedido row as the writer stored it before the report index existed (no report rows to write)."""
    body = {"cliente": "Loja", "data_entrada": "2025-05-10", "valor_frete": "15.00", "items": ITEMS, **fields}
    pedido = build_pedido(decode_create(json.dumps(body).encode()), id=pedido_id, numero=f"{pedido_id:010d}", now="x")
    values = (pedido_id, *_row(pedido, pedido_to_json(pedido)))
    conn.execute(f"INSERT INTO pedidos (id, {_PEDIDO_COLUMNS}) VALUES ({', '.join('?' * len(values))})", values)


def test_migration_fills_the_index_from_pedidos_already_stored(tmp_path: Path) -> None:
    conn = schema.open_write_connection(tmp_path / "db.sqlite3", synchronous="normal", journal_size_limit=1 << 20)
    for script in schema.MIGRATIONS[:5]:
        for statement in schema._statements(script):
            conn.execute(statement)
    conn.execute("INSERT INTO meta (key, value) VALUES ('numero_counter', '0')")
    conn.execute("PRAGMA user_version=5")
    first, second = 1, 2
    _store_before_migration_6(conn, first)
    _store_before_migration_6(conn, second, valor_frete="0")
    assert schema.migrate(conn) == schema.SCHEMA_VERSION
    pedidos, itens = _rows(conn)
    assert [(p[0], p[2]) for p in pedidos] == [(first, 36575), (second, 35075)] and len(itens) == 4
    assert all(status == "ok" for status in schema.ensure_indexes(conn).values())
