"""Catalog families over HTTP on the real run_server.py, with the SGP client's exact payloads (contract resources.md)."""

from __future__ import annotations

import asyncio
import json
from contextlib import closing
from typing import Any

import httpx
import pytest
import websockets

from tests.api.conftest import read_only
from tests.support import ServerProcess, pedido, run

# family -> (the client's POST body, its PATCH body, the fields the client reads, the path form it uses)
CASES: dict[str, tuple[dict[str, Any], dict[str, Any], tuple[str, ...], str]] = {
    "clientes": (
        {"nome": "Gráfica Sol", "cep": "29100-000", "cidade": "Vila Velha", "estado": "ES", "telefone": "27 99999-0000"},
        {"nome": "Gráfica Sol Ltda", "cep": "", "cidade": "Vitória", "estado": "ES", "telefone": ""},
        ("id", "nome", "cep", "cidade", "estado", "telefone", "created_at", "updated_at"),
        "/clientes/",
    ),
    "vendedores": (
        {"nome": "Bia", "email": None, "telefone": "27 98888-0000", "comissao_percentual": 5, "ativo": True,
         "observacao": None},
        {"nome": "Bia Souza", "comissao_percentual": 7.5},
        ("id", "nome", "email", "telefone", "comissao_percentual", "ativo", "observacao"),
        "/vendedores",
    ),
    "designers": (
        {"nome": "Caio", "email": "caio@loja.com", "telefone": None, "ativo": True, "observacao": None},
        {"observacao": "turno da noite"},
        ("id", "nome", "email", "telefone", "ativo", "observacao"),
        "/designers/",
    ),
    "materiais": (
        {"nome": "Tactel", "tipo": "tecido", "valor_metro": 12.5, "estoque_metros": 300, "ativo": True,
         "observacao": None},
        {"estoque_metros": 250.25},
        ("id", "nome", "tipo", "valor_metro", "estoque_metros", "ativo", "observacao"),
        "/materiais/",
    ),
    "maquinas": ({"name": "Epson F9470", "active": True}, {"name": "Epson F9470 #2", "active": True},
                 ("id", "name", "active", "created_at"), "/maquinas/"),
    "producoes": (
        {"name": "painel", "description": "Painel sublimado", "active": True},
        {"description": None},
        ("id", "name", "description", "active", "created_at"),
        "/producoes",
    ),
    "tipos-envios": (
        {"nome": "Portador", "valor": None, "prazo_dias": 1, "ativo": True, "observacao": None},
        {"valor": 15, "prazo_dias": 2},
        ("id", "nome", "valor", "prazo_dias", "ativo", "observacao"),
        "/tipos-envios",
    ),
    "tipos-pagamentos": (
        {"nome": "Cartão de crédito", "parcelas_max": 10, "taxa_percentual": 3.99, "ativo": True, "observacao": None},
        {"parcelas_max": 12},
        ("id", "nome", "parcelas_max", "taxa_percentual", "ativo", "observacao"),
        "/tipos-pagamentos",
    ),
}  # fmt: skip
NAME = {"maquinas": "name", "producoes": "name"}
ACTIVE = {"maquinas": "active", "producoes": "active", "clientes": None}


def state(server: ServerProcess, table: str) -> tuple[int, int]:
    """(rows of the family's table, last event seq): any write changes one of them."""
    with closing(read_only(server)) as conn:
        return (
            conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0],
            conn.execute("SELECT coalesce(max(seq), 0) FROM events").fetchone()[0],
        )


@pytest.mark.parametrize("name", sorted(CASES))
def test_crud_with_the_clients_payloads_and_both_path_forms(client: httpx.Client, name: str) -> None:
    create, patch, reads, path = CASES[name]
    bare = path.rstrip("/")
    r = client.post(path, json=create)
    assert r.status_code == (200 if name == "clientes" else 201), r.text
    created = r.json()
    assert set(reads) <= set(created)
    assert {k: created[k] for k in create} == create
    assert int(r.headers["X-SGP-Seq"]) > 0
    record_id = created["id"]

    for form in (bare, bare + "/", "/api/v1" + bare, "/api/v1" + bare + "/"):
        listed = client.get(form)
        assert listed.status_code == 200, (form, listed.text)
        assert created in listed.json(), form
        assert client.get(f"{form.rstrip('/')}/{record_id}").json() == created

    # The client's PATCH of clientes carries the id too; it is ignored.
    body = {"id": record_id, **patch} if name == "clientes" else patch
    r = client.patch(f"{bare}/{record_id}/", json=body)
    assert r.status_code == 200, r.text
    assert r.json() == {**created, **patch, "updated_at": r.json()["updated_at"]}
    assert client.get(f"{bare}/{record_id}").json() == r.json()

    r = client.delete(f"{bare}/{record_id}")
    if name == "clientes":  # the old server's answer, read by the Rust client as JSON
        assert r.status_code == 200 and r.json()["message"] == "Cliente deletado com sucesso"
    else:
        assert r.status_code == 204 and r.content == b""
    again = client.delete(f"{bare}/{record_id}")
    assert again.status_code == 404 and again.json()["code"] == "not_found" and str(record_id) in again.json()["detail"]
    assert client.get(f"{bare}/{record_id}").status_code == 404


def test_clientes_accept_the_csv_import_payload_without_optional_fields(client: httpx.Client) -> None:
    r = client.post("/clientes/", json={"nome": "Só Nome"})
    assert r.status_code == 200, r.text
    assert r.json() | {"cep": None, "cidade": None, "estado": None, "telefone": None} == r.json()
    r = client.post("/clientes/", json={"nome": "Com Cidade", "cidade": "Serra", "estado": "ES"})
    assert r.status_code == 200 and r.json()["cidade"] == "Serra" and r.json()["cep"] is None


@pytest.mark.parametrize("name", sorted(n for n in CASES if n != "clientes"))
def test_ativos_lists_only_active_records(client: httpx.Client, name: str) -> None:
    active_field, name_field = ACTIVE.get(name, "ativo"), NAME.get(name, "nome")
    create = CASES[name][0]
    bare = CASES[name][3].rstrip("/")
    on = client.post(bare, json={**create, name_field: f"{name} ligado"}).json()
    off = client.post(bare, json={**create, name_field: f"{name} desligado", active_field: False}).json()
    for form in (f"{bare}/ativos", f"{bare}/ativos/", f"/api/v1{bare}/ativos"):
        ids = [record["id"] for record in client.get(form).json()]
        assert on["id"] in ids and off["id"] not in ids, form
    assert off in client.get(bare, params={"ativo": "false"}).json()
    assert on not in client.get(bare, params={"ativo": "false"}).json()
    assert {on["id"], off["id"]} <= {record["id"] for record in client.get(bare).json()}


def test_producoes_fallback_list_and_search_and_paging(client: httpx.Client) -> None:
    """The client falls back from /producoes/ativos to /producoes; both give name/description/active."""
    for label in ("Sublimação total", "Impressão 3D", "Lona"):
        assert (
            client.post("/producoes", json={"name": label.lower(), "description": label, "active": True}).status_code
            == 201
        )
    names = {p["name"] for p in client.get("/producoes").json()}
    assert {"sublimação total", "impressão 3d", "lona"} <= names
    found = client.get("/producoes", params={"busca": "IMPRESSAO"}).json()
    assert [p["name"] for p in found] == ["impressão 3d"]
    page = client.get("/producoes", params={"limit": 1, "skip": 1})
    assert len(page.json()) == 1 and int(page.headers["X-Total-Count"]) >= 3
    assert client.get("/producoes", params={"busca": "100%"}).json() == []


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/vendedores", {"nome": "  "}, "nome"),
        ("/vendedores", {"nome": "X", "comissao_percentual": "muito"}, "comissao_percentual"),
        ("/clientes/", {"cidade": "Serra"}, "nome"),
        ("/materiais/", {"nome": "Lona", "valor_metro": 10}, "tipo"),
        ("/maquinas/", {"name": "Epson", "active": "talvez"}, "active"),
        ("/tipos-envios", {"nome": "Moto", "prazo_dias": -1}, "prazo_dias"),
        ("/tipos-pagamentos", {"nome": "Pix", "taxa_percentual": 150}, "taxa_percentual"),
        ("/producoes", {"name": None}, "name"),
    ],
)
def test_bad_input_is_422_naming_the_field_and_writes_nothing(
    server: ServerProcess, client: httpx.Client, path: str, body: dict[str, Any], field: str
) -> None:
    table = path.strip("/").replace("-", "_")
    before = state(server, table)
    r = client.post(path, json=body)
    assert r.status_code == 422 and r.json()["field"] == field and isinstance(r.json()["detail"], str), r.text
    assert state(server, table) == before


def test_bad_patch_and_bad_json_write_nothing(server: ServerProcess, client: httpx.Client) -> None:
    record = client.post("/designers/", json={"nome": "Dora"}).json()
    before = state(server, "designers")
    r = client.patch(f"/designers/{record['id']}", json={"nome": None})
    assert r.status_code == 422 and r.json()["field"] == "nome"
    r = client.post("/designers/", content=b"{nome", headers={"content-type": "application/json"})
    assert r.status_code == 400 and r.json()["code"] == "invalid_json"
    assert client.patch("/designers/999999", json={"nome": "X"}).status_code == 404
    # Ids are `{record_id:int}` in the path: a word matches no route (404), an id past int64 is refused (422).
    assert client.get("/designers/abc").status_code == 404
    assert client.get(f"/designers/{2**63}").status_code == 422
    assert state(server, "designers") == before


def test_duplicate_names_are_409_in_portuguese(server: ServerProcess, client: httpx.Client) -> None:
    assert client.post("/tipos-envios", json={"nome": "Sedex", "valor": 30, "prazo_dias": 2}).status_code == 201
    before = state(server, "tipos_envios")
    r = client.post("/tipos-envios", json={"nome": " sedex ", "valor": 31, "prazo_dias": 3})
    assert r.status_code == 409 and r.json()["code"] == "duplicate" and r.json()["field"] == "nome"
    assert "Já existe uma forma de envio" in r.json()["detail"]
    assert state(server, "tipos_envios") == before


def test_payment_and_machine_used_by_a_pedido_cannot_be_deleted(client: httpx.Client) -> None:
    """Pedidos point at these two by id (tipo_pagamento, items[].machine_id): 409, deactivate instead."""
    pix = client.post("/tipos-pagamentos", json={"nome": "Pix", "parcelas_max": 1, "taxa_percentual": 0,
                                                  "ativo": True, "observacao": None}).json()  # fmt: skip
    epson = client.post("/maquinas/", json={"name": "Mimaki", "active": True}).json()
    item = {"descricao": "Painel", "tipo_producao": "painel", "machine_id": epson["id"]}
    r = client.post("/pedidos/", json=pedido("Uso", tipo_pagamento=str(pix["id"]), items=[item]))
    assert r.status_code == 200, r.text
    for path in (f"/tipos-pagamentos/{pix['id']}", f"/maquinas/{epson['id']}"):
        refused = client.delete(path)
        assert refused.status_code == 409 and refused.json()["code"] == "in_use", refused.text
        assert "desative" in refused.json()["detail"]
        assert client.get(path).status_code == 200
    assert client.patch(f"/tipos-pagamentos/{pix['id']}", json={"ativo": False}).json()["ativo"] is False
    assert pix["id"] not in [p["id"] for p in client.get("/tipos-pagamentos/ativos").json()]


def test_idempotency_key_creates_once(server: ServerProcess, client: httpx.Client) -> None:
    before = state(server, "vendedores")[0]
    headers = {"Idempotency-Key": "vend-create-1"}
    first = client.post("/vendedores", json={"nome": "Único"}, headers=headers)
    second = client.post("/vendedores", json={"nome": "Único"}, headers=headers)
    assert first.status_code == second.status_code == 201 and first.json() == second.json()
    assert state(server, "vendedores")[0] == before + 1


def test_a_normal_user_manages_catalogs_and_anonymous_cannot(server: ServerProcess, client: httpx.Client) -> None:
    assert client.post("/users", json={"username": "vendas1", "password": "senha-forte-1"}).status_code == 201
    with server.client(server.login("vendas1", "senha-forte-1")) as user:
        record = user.post("/designers/", json={"nome": "Eva"}).json()
        assert user.delete(f"/designers/{record['id']}").status_code == 204
    assert httpx.get(server.base_url + "/vendedores").status_code == 401


def test_a_create_arrives_on_the_order_feed(server: ServerProcess, client: httpx.Client) -> None:
    async def go() -> dict[str, Any]:
        url = f"ws://127.0.0.1:{server.port}/ws/orders?token={server.token}"
        async with websockets.connect(url) as ws:
            await ws.recv()  # hello
            r = await asyncio.to_thread(client.post, "/vendedores", json={"nome": "Pelo feed"})
            assert r.status_code == 201
            async with asyncio.timeout(30):
                while True:
                    message = json.loads(await ws.recv())
                    if message["type"] == "vendedores_created":
                        assert message["record"] == r.json()
                        return message

    message = run(go())
    assert message["resource"] == "vendedores" and message["order_id"] is None


def test_machine_dashboard_lists_open_items_per_active_machine(client: httpx.Client) -> None:
    """GET /maquinas/dashboard/overview: active machines by name, items of pendente/em_producao pedidos."""
    zeta = client.post("/maquinas/", json={"name": "Zeta painel", "active": True}).json()
    alfa = client.post("/maquinas/", json={"name": "Alfa painel", "active": True}).json()
    off = client.post("/maquinas/", json={"name": "Desligada painel", "active": False}).json()
    items = [
        {"descricao": "Banner", "tipo_producao": "painel", "machine_id": alfa["id"], "largura": "2", "altura": "1",
         "metro_quadrado": "2,50", "tecido": "Tactel"},
        {"tipo_producao": "totem", "machine_id": str(alfa["id"]), "metro_quadrado": "1.25"},  # id as text
        {"descricao": "Sem máquina"},
        {"descricao": "Na desligada", "machine_id": off["id"]},
    ]  # fmt: skip
    open_ = client.post("/pedidos/", json=pedido("Fila", items=items, prioridade="ALTA",
                                                  data_entrega="2026-12-01")).json()  # fmt: skip
    done = client.post("/pedidos/", json=pedido("Entregue", status="entregue", items=items[:1])).json()
    for path in (
        "/maquinas/dashboard/overview",
        "/maquinas/dashboard/overview/",
        "/api/v1/maquinas/dashboard/overview",
    ):
        board = client.get(path)
        assert board.status_code == 200, board.text
    mine = [m for m in board.json() if m["machine_id"] in (alfa["id"], zeta["id"], off["id"])]
    assert [m["machine_name"] for m in mine] == ["Alfa painel", "Zeta painel"]
    alfa_entry, zeta_entry = mine
    assert zeta_entry["queue"] == [] and zeta_entry["total_items"] == 0
    assert alfa_entry["total_items"] == 2 and alfa_entry["total_area"] == 3.75
    first, second = alfa_entry["queue"]
    assert first == {
        "order_id": open_["id"], "order_number": open_["numero"], "item_index": 0, "item_name": "Banner",
        "dimensions": "2x1", "material": "Tactel", "date_due": "2026-12-01", "preview_url": None,
        "status": "pendente", "priority": "ALTA",
    }  # fmt: skip
    assert second["item_index"] == 1 and second["item_name"] == "totem"
    assert done["id"] not in {q["order_id"] for q in alfa_entry["queue"]}
