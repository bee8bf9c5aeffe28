"""The dashboard's figures (GET /pedidos/summary) on a small known database, rows built as the writer builds them."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

import msgspec

from core.domain import build_pedido, decode_create, pedido_to_json
from readers.pedidos_summary import _read
from writer import schema
from writer.commands.pedidos import insert_pedido

TODAY = "2026-11-29"


def _add(conn: sqlite3.Connection, pedido_id: int, updated: str, **fields: Any) -> None:
    body = {"cliente": f"C{pedido_id}", "data_entrada": "2026-11-01", **fields}
    pedido = build_pedido(
        decode_create(json.dumps(body).encode()), id=pedido_id, numero=f"{pedido_id:010d}", now=updated
    )
    pedido = msgspec.structs.replace(pedido, ultima_atualizacao=updated)
    insert_pedido(conn, pedido, pedido_to_json(pedido))


def test_dashboard_figures(tmp_path: Path) -> None:
    path = tmp_path / "sgp.sqlite3"
    with closing(schema.open_write_connection(path, synchronous="normal", journal_size_limit=1 << 20)) as conn:
        schema.migrate(conn)
        # Concluded: 10 days of production, on time (delivery 11-20); entregue 12 days, late (delivery 11-05).
        _add(
            conn,
            1,
            "2026-11-11T10:00:00Z",
            status="pronto",
            data_entrega="2026-11-20",
            financeiro=True,
            forma_envio="Correios",
        )
        _add(conn, 2, "2026-11-13T10:00:00Z", status="entregue", data_entrega="2026-11-05", forma_envio="Correios")
        # Open: late by 4 days and ALTA; on time; entered today.
        _add(conn, 3, "2026-11-02T10:00:00Z", status="pendente", data_entrega="2026-11-25", prioridade="ALTA")
        _add(conn, 4, "2026-11-02T10:00:00Z", status="em_producao", data_entrega="2026-12-10", conferencia=True)
        _add(conn, 5, f"{TODAY}T08:00:00Z", status="pendente", data_entrada=TODAY, forma_envio="Motoboy")
        _add(conn, 6, "2026-11-02T10:00:00Z", status="cancelado", prioridade="ALTA", data_entrega="2026-11-03")
        # Concluded today.
        _add(conn, 7, f"{TODAY}T09:00:00Z", status="pronto", data_entrega="2026-12-01")
    with closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)) as conn:
        s = _read(conn, TODAY)
    assert (s.total, s.pendentes, s.em_producao, s.concluidos, s.concluidos_hoje) == (7, 2, 1, 3, 1)
    assert (s.atrasados, s.urgentes, s.hoje) == (1, 1, 2)  # cancelled ALTA/late orders do not count
    assert s.efficiency_rate == 67  # 2 of 3 concluded were updated on or before their delivery date
    assert s.avg_production_time == 17  # (10 + 12 + 28) / 3, rounded
    assert s.avg_delay_time == 4
    assert s.production_efficiency["financeiro"] == 17 and s.production_efficiency["conferencia"] == 17  # 1 of 6
    assert [(m.name, m.count) for m in s.shipping_methods] == [("Não especificado", 4), ("Correios", 2), ("Motoboy", 1)]
    assert s.status_counts.cancelado == 1 and s.em_aberto == 5  # neither entregue nor cancelado
    assert s.pendencias_producao.financeiro == 4  # open and pronto pedidos without financeiro
    assert len(s.recent_orders) == 5 and len(s.urgent_orders) == 1
