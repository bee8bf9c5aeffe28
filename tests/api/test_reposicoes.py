"""/reposicoes over HTTP on run_server.py: the old server's fields, REP-<id> numbers, 404s, bad input."""

from __future__ import annotations

import httpx

from tests.support import ServerProcess, pedido

from .conftest import db_state

FIELDS = (
    "id", "numero", "order_id", "motivo", "descricao", "data_solicitacao", "data_entrega_prevista", "status",
    "prioridade", "observacao", "financeiro", "conferencia", "sublimacao", "costura", "expedicao", "pronto",
    "created_at", "updated_at",
)  # fmt: skip


def order(client: httpx.Client) -> int:
    r = client.post("/pedidos/", json=pedido("Reposição"))
    assert r.status_code == 200, r.text
    return r.json()["id"]


def test_create_get_list_patch_delete(client: httpx.Client) -> None:
    order_id = order(client)
    r = client.post("/reposicoes/", json={"order_id": order_id, "motivo": "Cor errada", "prioridade": "ALTA",
                                          "data_entrega_prevista": "2026-12-05"})  # fmt: skip
    assert r.status_code == 201, r.text
    created = r.json()
    assert set(FIELDS) <= set(created)
    assert created["numero"] == f"REP-{created['id']}" and created["status"] == "Pendente"
    assert created["prioridade"] == "ALTA" and len(created["data_solicitacao"]) == 10
    assert client.get(f"/reposicoes/{created['id']}").json() == created
    r = client.patch(f"/reposicoes/{created['id']}", json={"status": "Concluída", "pronto": True})
    assert r.status_code == 200 and r.json()["status"] == "Concluída" and r.json()["pronto"] is True
    assert r.json()["motivo"] == "Cor errada"
    listed = client.get("/reposicoes", params={"order_id": order_id}).json()
    assert [x["id"] for x in listed] == [created["id"]]
    assert client.delete(f"/reposicoes/{created['id']}").json() == {"id": created["id"], "deleted": True}
    assert client.get(f"/reposicoes/{created['id']}").status_code == 404
    assert client.delete(f"/reposicoes/{created['id']}").status_code == 404


def test_bad_input_and_missing_pedido_write_nothing(server: ServerProcess, client: httpx.Client) -> None:
    order_id = order(client)
    before = db_state(server)
    for body, status, field in (
        ({"order_id": 999_999_999, "motivo": "x"}, 404, "order_id"),
        ({"order_id": order_id, "motivo": "  "}, 422, "motivo"),
        ({"order_id": order_id}, 422, "motivo"),
        ({"order_id": order_id, "motivo": "x", "status": "feito"}, 422, "status"),
    ):
        r = client.post("/reposicoes", json=body)
        assert r.status_code == status and r.json()["field"] == field, (body, r.text)
    assert db_state(server) == before
    assert httpx.get(f"{server.base_url}/reposicoes").status_code == 401  # a token is required, as before
