"""Every path that writes `pedidos` leaves the report rows migration #6's backfill builds from them (#16).

Since migration #8 the writer computes the rows (writer/report_rows.py) instead of triggers; these
tests hold it to the backfill's definition after each kind of write, and for item values the API
would not send today but stored or imported documents may hold (numbers, booleans, objects, commas).
"""

from __future__ import annotations

import json
import random
import sqlite3
from pathlib import Path
from typing import Any

import msgspec
import pytest

from core.domain import decode_create, pedido_from_json, pedido_to_json
from ipc.protocol import (
    BatchStatus,
    DeleteAllPedidos,
    DeletePedido,
    PatchPedidoItem,
    PromoverRascunho,
    SaveRascunho,
)
from writer import event_log, imports, report_rows, schema
from writer.commands import Sequences
from writer.commands.pedido_admin import delete_all_pedidos
from writer.commands.pedido_items import patch_pedido_item
from writer.commands.pedidos import batch_status, delete_pedido, insert_pedido, load_pedido, store_update
from writer.commands.rascunhos import promover_rascunho, save_rascunho

from .test_report_index import ITEMS, _create, _ctx
from .test_report_index_update import _rebuilt, _snapshot


@pytest.fixture
def conn(tmp_path: Path) -> sqlite3.Connection:
    conn = schema.open_write_connection(tmp_path / "db.sqlite3", synchronous="normal", journal_size_limit=1 << 20)
    schema.migrate(conn)
    return conn


def _check(conn: sqlite3.Connection, pedidos: int) -> None:
    snapshot = _snapshot(conn)
    assert snapshot == _rebuilt(conn)
    assert len(snapshot[0]) == pedidos


def test_item_patches_promote_batch_delete_and_delete_all(conn: sqlite3.Connection) -> None:
    seqs = Sequences(last_seq=0, last_pedido_id=0)
    first, second = _create(conn, seqs), _create(conn, seqs, cliente="Segunda", data_entrega="2025-06-02")
    _check(conn, 2)
    for fields in (
        {"tecido": "Lona"},  # one item column
        {"quantidade_paineis": "3", "valor_painel": "80,00"},  # money: the item and the pedido's totals
        {"acabamento": {"overloque": False, "elastico": True, "ilhos": False}, "emenda": "sem-emenda"},
        {"designer": "  ", "metro_quadrado": "", "largura": "2", "altura": "1,5"},
        {"observacao": "nada que o relatório use"},
    ):
        patch_pedido_item(_ctx(conn, seqs), PatchPedidoItem(item_id=first * 1000, fields=fields, pedido_id=first))
        _check(conn, 2)
    draft = {"cliente": "Rascunho", "data_entrada": "2025-05-12", "items": ITEMS}
    save_rascunho(_ctx(conn, seqs), SaveRascunho(fields=draft))
    draft_id = seqs.last_pedido_id
    data = decode_create(json.dumps(draft).encode())
    promover_rascunho(_ctx(conn, seqs), PromoverRascunho(id=draft_id, data=data, if_version=1))
    _check(conn, 3)
    batch_status(_ctx(conn, seqs), BatchStatus(ids=[first, second, draft_id], status="pronto"))
    _check(conn, 3)
    delete_pedido(_ctx(conn, seqs), DeletePedido(id=second))
    _check(conn, 2)
    backup_seq = event_log.last_seq(conn)
    delete_all_pedidos(_ctx(conn, seqs), DeleteAllPedidos(backup="b.sqlite3", backup_seq=backup_seq))
    assert _snapshot(conn) == [[], []]


def test_import_writes_the_rows(conn: sqlite3.Connection) -> None:
    seqs = Sequences(last_seq=0, last_pedido_id=0)
    pedido = load_pedido(conn, _create(conn, seqs))
    imported = msgspec.structs.replace(pedido, id=500, numero="0000000500", data_entrada="2024-01-02T10:00:00")
    imports.insert_pedido(conn, imported, [], "2024-01-02T10:00:00")
    _check(conn, 2)


_ODD: list[dict[str, Any]] = [
    # Numbers, booleans, objects and text where the API sends strings: stored or imported documents.
    {"tipo_producao": "painel", "valor_unitario": 12.5, "quantidade_paineis": 2.5, "metro_quadrado": 0.1,
     "designer": 7, "vendedor": True, "tecido": {"nome": "Oxford"}, "emenda": None, "quantidade_ilhos": 3.9},
    {"tipo_producao": "lona", "valor_unitario": "1.234,56", "quantidade_lona": " 2 ", "largura": "1e2",
     "altura": "abc", "acabamento": {"overloque": 1, "elastico": "1", "ilhos": True}, "emenda": "",
     "quantidade_ilhos": "-4"},
    {"tipo_producao": "totem", "valor_unitario": "7", "quantidade_totem": "2,5", "quantidade_paineis": "0",
     "quantidade_adesivo": "3", "acabamento": "sim", "emenda": "com", "descricao": " Faixa ", "quantidade_ilhos": ""},
    {"tipo_producao": "adesivo", "valor_unitario": -3, "quantidade_adesivo": 10**20, "metro_quadrado": [1, 2],
     "largura": "1.5x", "altura": 2, "tecido": "", "vendedor": "Ana, Bia", "quantidade_ilhos": True},
    {"valor_unitario": None, "metro_quadrado": "0,5", "quantidade_ilhos": "1e3", "acabamento": None},
    {"tipo_producao": "painel", "quantidade_paineis": 1e20, "quantidade_ilhos": 2e19, "largura": 1e-7, "altura": 3},
    {},
]  # fmt: skip


def _odd_pedido(base: bytes, items: list[dict[str, Any]], **fields: Any) -> Any:
    doc = json.loads(base) | fields | {"items": items}
    return pedido_from_json(json.dumps(doc).encode())


def test_values_the_api_would_not_send_give_the_backfill_rows(conn: sqlite3.Connection) -> None:
    seqs = Sequences(last_seq=0, last_pedido_id=0)
    base = pedido_to_json(load_pedido(conn, _create(conn, seqs)))
    odd = _odd_pedido(base, _ODD, id=900, numero="0000000900", valor_total="1,5", valor_frete="3", forma_envio=" ")
    insert_pedido(conn, odd, pedido_to_json(odd))
    _check(conn, 2)
    steps = [
        {"items": list(reversed(_ODD))},  # every item row changes
        {"items": _ODD[:2], "valor_itens": "abc", "forma_envio": "Correios"},  # fewer items
        {"items": [*_ODD[:2], {**_ODD[0], "quantidade_paineis": "2.5"}]},  # 2.5 vs "2.5": another value
        {"items": [{**i, "tecido": "Lona"} for i in _ODD[:3]], "status": "em_producao"},
        {"data_entrada": "2025-01-01", "items": _ODD},  # the key moves
    ]
    current = load_pedido(conn, 900)
    for step in steps:
        new = _odd_pedido(pedido_to_json(current), step["items"], **{k: v for k, v in step.items() if k != "items"})
        store_update(conn, new, current)
        _check(conn, 2)
        current = new
    store_update(conn, _odd_pedido(pedido_to_json(current), _ODD[:1]), load_pedido(conn, 900))  # as stored
    _check(conn, 2)


_POOLS: dict[str, list[Any]] = {
    "tipo_producao": [None, "painel", "totem", "lona", "adesivo", "generica", "mesa_babado", "canga", 3, "PAINEL"],
    "text": [None, "", "  ", " Ana ", "\tAna", "Ana\n", 7, 1.5, True, {"a": 1}, "Júlia"],
    "valor_unitario": [None, "12.34", "-3.00", "0.00", "1234567890.12", "12345678901.00", "12,34", "12.345",
                       12, 12.5, True, "abc", " 12.34"],
    "quantity": [None, "", "0", "2", "007", "999999", "1000000", "2,5", "2.5", " 3", -2, 0, 5, 2.7, -2.7, 1e20,
                 True, False, "1e3", "abc", 999999, 10**6],
    "measure": [None, "", "7,50", "1.5", "2,35", 0.1, 3, "abc", "1.234,5"],
    "acabamento": [None, "sim", [], {"overloque": True, "elastico": False, "ilhos": True},
                   {"overloque": 1, "elastico": 1.0, "ilhos": "1"}, {"overloque": 2}],
    "emenda": [None, "", "sem-emenda", "com-emenda", 0, False, " sem-emenda", {}],
}  # fmt: skip
_FIELDS = {
    "tipo_producao": "tipo_producao", "valor_unitario": "valor_unitario", "acabamento": "acabamento",
    "emenda": "emenda", **dict.fromkeys(("designer", "vendedor", "tecido", "descricao"), "text"),
    **dict.fromkeys(("metro_quadrado", "largura", "altura"), "measure"),
    **dict.fromkeys(("quantidade_paineis", "quantidade_totem", "quantidade_lona", "quantidade_adesivo",
                     "quantidade_ilhos"), "quantity"),
}  # fmt: skip


def _random_items(rng: random.Random, n: int) -> list[dict[str, Any]]:
    plain = {"tipo_producao": "painel", "valor_unitario": "10.00", "quantidade_paineis": "2", "emenda": None}
    items = []
    for _ in range(n):
        # Half start from what the API stores and change a few fields: most of them stay plain.
        start, share = (plain, 0.1) if rng.random() < 0.5 else ({}, 0.7)
        items.append(
            start | {field: rng.choice(_POOLS[pool]) for field, pool in _FIELDS.items() if rng.random() < share}
        )
    return items


def test_generated_item_values_take_both_paths_and_give_the_backfill_rows(conn: sqlite3.Connection) -> None:
    rng = random.Random(16)
    seqs = Sequences(last_seq=0, last_pedido_id=0)
    base = pedido_to_json(load_pedido(conn, _create(conn, seqs)))
    head = {"data_entrada": "x", "pedido_id": 1, "data_entrega": None, "status": "s", "cliente_busca": "c"}
    paths = {"plain": 0, "sql": 0}
    for pedido_id in range(1000, 1004):
        items = _random_items(rng, 100)
        for item in items:
            try:
                report_rows._plain_row(head, 0, item)
                paths["plain"] += 1
            except report_rows._NotPlain:
                paths["sql"] += 1
        pedido = _odd_pedido(base, items, id=pedido_id, numero=f"{pedido_id:010d}")
        insert_pedido(conn, pedido, pedido_to_json(pedido))
        _check(conn, pedido_id - 998)
        # Every item changes; then fewer and more items.
        for n in (100, 60, 120):
            new = _odd_pedido(pedido_to_json(pedido), _random_items(rng, n))
            store_update(conn, new, pedido)
            _check(conn, pedido_id - 998)
            pedido = new
    assert min(paths.values()) > 50, paths
