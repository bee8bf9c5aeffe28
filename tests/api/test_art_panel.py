"""The designers' art panel over HTTP on run_server.py, with the desktop app's exact calls and payloads."""

from __future__ import annotations

from urllib.parse import quote

import httpx

from tests.support import ServerProcess

from .client_payloads import client_item, client_pedido
from .conftest import db_state

ART_FIELDS = (
    "item_id", "order_id", "numero_pedido", "cliente", "data_entrega", "tipo_producao", "descricao", "largura",
    "altura", "metro_quadrado", "imagem", "observacao", "status_pedido", "prioridade", "status_arte", "tecido",
    "composicao_tecidos", "acabamento", "vendedor", "emenda", "emenda_qtd", "quantidade_paineis",
    "quantidade_totem", "quantidade_lona", "quantidade_adesivo", "tipo_acabamento", "quantidade_ilhos",
    "espaco_ilhos", "quantidade_cordinha", "espaco_cordinha", "tipo_adesivo", "acabamento_lona",
    "acabamento_totem", "acabamento_totem_outro", "terceirizado", "ziper", "cordinha_extra", "alcinha",
    "toalha_pronta", "comentarios",
)  # fmt: skip
PANEL = {"start_date": "2026-11-14", "end_date": "2026-11-21", "limit": 50, "offset": 0}


def create(client: httpx.Client, cliente: str, items: list[dict], **fields: object) -> dict:
    r = client.post("/pedidos/", json=client_pedido(cliente, items, **fields))
    assert r.status_code == 200, r.text
    return r.json()


def panel(client: httpx.Client, nome: str, **params: object) -> list[dict]:
    r = client.get(f"/designers/{quote(nome)}/itens", params={**PANEL, **params})
    assert r.status_code == 200, r.text
    return r.json()


def test_panel_lists_the_designers_items_with_every_field_the_client_reads(client: httpx.Client) -> None:
    pedido = create(client, "Loja Painel", [client_item(designer="Ana Arte"), client_item(designer="Bruno")])
    items = panel(client, "ANA ARTE")  # case-insensitive, URL-encoded name with a space
    mine = [i for i in items if i["order_id"] == pedido["id"]]
    assert len(mine) == 1
    item = mine[0]
    assert set(ART_FIELDS) <= set(item)
    assert item["item_id"] == pedido["id"] * 1000  # synthetic id of index 0
    assert item["numero_pedido"] == pedido["numero"] and item["cliente"] == "Loja Painel"
    assert item["status_arte"] == "aguardando" and item["comentarios"] == []
    assert item["largura"] == "3,00" and item["tecido"] == "Oxford" and item["status_pedido"] == "pendente"
    assert item["acabamento"] == {"overloque": True, "elastico": False, "ilhos": True}
    assert not any(key.startswith("valor") for key in item), "the panel carries no money"


def test_panel_leaves_out_closed_orders_other_dates_and_pages(client: httpx.Client) -> None:
    nome = "Carla Paginada"
    open_ = create(client, "Aberto", [client_item(designer=nome), client_item(designer=nome)])
    create(client, "Entregue", [client_item(designer=nome)], status="entregue")
    create(client, "Cancelado", [client_item(designer=nome)], status="cancelado")
    create(client, "Antigo", [client_item(designer=nome)], data_entrada="2026-10-01")
    items = panel(client, nome)
    assert [i["order_id"] for i in items] == [open_["id"], open_["id"]]
    first = panel(client, nome, limit=1)
    second = panel(client, nome, limit=1, offset=1)
    assert [first[0]["item_id"], second[0]["item_id"]] == [open_["id"] * 1000, open_["id"] * 1000 + 1]
    # Accents and case are ignored, as designers type their own names.
    assert len(panel(client, "carla paginada")) == 2


def test_status_arte_is_stored_in_the_item_and_answered(client: httpx.Client) -> None:
    pedido = create(client, "Status Arte", [client_item(designer="Dora"), client_item(designer="Dora")])
    item_id = pedido["id"] * 1000 + 1
    r = client.patch(f"/designers/itens/{item_id}/status-arte", json={"status_arte": "liberado"})
    assert r.status_code == 200, r.text
    assert r.json()["status_arte"] == "liberado" and r.json()["item_id"] == item_id
    listed = {i["item_id"]: i["status_arte"] for i in panel(client, "Dora") if i["order_id"] == pedido["id"]}
    assert listed == {item_id - 1: "aguardando", item_id: "liberado"}
    stored = client.get(f"/pedidos/{pedido['id']}").json()
    assert stored["items"][1]["status_arte"] == "liberado" and stored["items"][1]["id"] == item_id
    assert stored["valor_total"] == pedido["valor_total"], "art changes never reprice"
    r = client.patch(f"/designers/itens/{item_id}/status-arte", json={"status_arte": "aguardando"})
    assert r.json()["status_arte"] == "aguardando"


def test_legacy_legenda_liberado_counts_as_liberado(client: httpx.Client) -> None:
    create(client, "Legado", [client_item(designer="Edu Legado", legenda_imagem="LIBERADO")])
    assert [i["status_arte"] for i in panel(client, "Edu Legado")] == ["liberado"]


def test_comments_are_appended_and_the_updated_item_answered(client: httpx.Client) -> None:
    pedido = create(client, "Comentários", [client_item(designer="Fabi")])
    item_id = pedido["id"] * 1000
    r = client.post(f"/designers/itens/{item_id}/comentarios", json={"texto": "Trocar a fonte", "autor": "fabi"})
    assert r.status_code == 200, r.text
    r = client.post(f"/designers/itens/{item_id}/comentarios", json={"texto": "Aprovado", "autor": "admin"})
    comments = r.json()["comentarios"]
    assert [(c["autor"], c["texto"]) for c in comments] == [("fabi", "Trocar a fonte"), ("admin", "Aprovado")]
    assert all(c["id"] and c["data"].startswith("20") for c in comments) and comments[0]["id"] != comments[1]["id"]
    assert panel(client, "Fabi")[0]["comentarios"] == comments


def test_bad_input_names_the_field_and_writes_nothing(server: ServerProcess, client: httpx.Client) -> None:
    pedido = create(client, "Entrada ruim", [client_item(designer="Gil")])
    item_id = pedido["id"] * 1000
    before = db_state(server)
    for method, path, body, status, field in (
        ("PATCH", f"/designers/itens/{item_id}/status-arte", {"status_arte": "pronto"}, 422, "status_arte"),
        ("PATCH", f"/designers/itens/{item_id}/status-arte", {}, 422, "status_arte"),
        ("POST", f"/designers/itens/{item_id}/comentarios", {"texto": "   ", "autor": "x"}, 422, "texto"),
        ("POST", f"/designers/itens/{item_id}/comentarios", {"autor": "x"}, 422, "texto"),
        ("PATCH", f"/designers/itens/{item_id + 5}/status-arte", {"status_arte": "liberado"}, 404, None),
        ("PATCH", "/designers/itens/987654321/status-arte", {"status_arte": "liberado"}, 404, None),
    ):
        r = client.request(method, path, json=body)
        assert r.status_code == status, (path, body, r.text)
        assert isinstance(r.json()["detail"], str)
        if field:
            assert r.json()["field"] == field, r.text
    assert db_state(server) == before


def test_an_item_with_a_stored_id_is_found_by_it(client: httpx.Client) -> None:
    pedido = create(client, "Id guardado", [client_item(designer="Hugo")])
    item_id = pedido["id"] * 1000
    client.patch(f"/designers/itens/{item_id}/status-arte", json={"status_arte": "liberado"})
    edited = client.get(f"/pedidos/{pedido['id']}").json()
    # A client edit that moves the item to index 1 keeps its id: the panel still finds it by that id.
    items = [client_item(designer="Outro"), edited["items"][0]]
    r = client.patch(f"/pedidos/{pedido['id']}", json={"items": items})
    assert r.status_code == 200, r.text
    r = client.post(f"/designers/itens/{item_id}/comentarios", json={"texto": "ok", "autor": "hugo"})
    assert r.status_code == 200, r.text
    assert r.json()["item_id"] == item_id and r.json()["descricao"] == "Painel de fundo"
    assert client.get(f"/pedidos/{pedido['id']}").json()["items"][1]["comentarios"][0]["texto"] == "ok"
