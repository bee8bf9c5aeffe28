"""The list and summary queries are served by the composite indexes, never by a table scan."""

from __future__ import annotations

from contextlib import closing
from datetime import date

import httpx
import pytest

from readers.pedidos import SUMMARY_QUERY, PedidoFilter, list_query
from tests.support import ServerProcess, pedido

from .conftest import read_only

STATUSES = ("pendente", "em_producao", "pronto", "entregue", "cancelado")


@pytest.fixture(scope="module")
def populated(server: ServerProcess, client: httpx.Client) -> ServerProcess:
    for i in range(40):
        fields = {"status": STATUSES[i % 5], "data_entrada": f"2025-0{i % 9 + 1}-1{i % 10}"}
        if i % 3:
            fields["data_entrega"] = f"2025-0{i % 9 + 1}-2{i % 9}"
        assert client.post("/api/v1/pedidos/", json=pedido(f"Plano {i}", **fields)).status_code == 200
    return server


def plan(server: ServerProcess, sql: str, params: list[object]) -> list[str]:
    with closing(read_only(server)) as conn:
        return [row[3] for row in conn.execute(f"EXPLAIN QUERY PLAN {sql}", params)]


@pytest.mark.parametrize(
    ("date_mode", "indexes"),
    [
        ("entrada", {"idx_pedidos_status_data"}),
        ("entrega", {"idx_pedidos_status_entrega"}),
        ("qualquer", {"idx_pedidos_status_data", "idx_pedidos_status_entrega"}),
    ],
)
@pytest.mark.parametrize("fim", [date(2025, 6, 30), None])
def test_status_and_date_filters_search_a_composite_index(
    populated: ServerProcess, date_mode: str, indexes: set[str], fim: date | None
) -> None:
    filters = PedidoFilter(status="entregue", data_inicio=date(2025, 3, 1), data_fim=fim, date_mode=date_mode)  # type: ignore[arg-type]
    page, count, params = list_query(filters)
    for sql, args in ((page, [*params, 100, 0]), (count, params)):
        details = plan(populated, sql, args)
        assert not any(d.startswith("SCAN") for d in details), details
        used = {name for d in details for name in indexes if f"INDEX {name} (status=? AND data_" in d}
        assert used == indexes, details


def test_summary_reads_only_its_covering_index(populated: ServerProcess) -> None:
    details = plan(populated, SUMMARY_QUERY, [])
    assert details == ["SCAN pedidos USING COVERING INDEX idx_pedidos_status_flags"], details
