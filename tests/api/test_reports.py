"""Reports, materials analysis, templates and Safira over HTTP on run_server.py, with the client's calls.

One known set of pedidos in March/April 2025 (no other test module of this
server writes there), so every total below is exact.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.support import ServerProcess

from .client_payloads import client_item, client_pedido

MARCH = {"start_date": "2025-03-01", "end_date": "2025-03-31"}
SEMANAL = "/relatorios-fechamentos/pedidos/relatorio-semanal"
# Exact totals over every pedido of a month: a database only this module writes to (tests/api/conftest.py).
pytestmark = pytest.mark.own_server


def item(**fields: Any) -> dict[str, Any]:
    return client_item(tipo_acabamento="nenhum", quantidade_ilhos="0", **fields)


@pytest.fixture(scope="module")
def seeded(client: httpx.Client) -> dict[str, dict[str, Any]]:
    bodies = {
        "p1": client_pedido(
            "Ágata Festas", [item(designer="Júlia", vendedor="Carlos", valor_painel="100.00", quantidade_paineis="2")],
            data_entrada="2025-03-03", data_entrega="2025-03-10", valor_frete="15.00",
        ),
        "p2": client_pedido(
            "Bento", [item(tipo_producao="totem", designer="Rui", vendedor="carlos", valor_unitario="50.25",
                          quantidade_totem="3", tecido="Lona fosca", metro_quadrado="1,5",
                          acabamento={"overloque": False, "elastico": True, "ilhos": False}, emenda="com-emenda")],
            data_entrada="2025-03-04", data_entrega="2025-03-20", valor_frete="10.50", forma_envio="Portador - Zé",
        ),
        "p3": client_pedido(
            "Agata festas", [item(designer="JULIA", vendedor="Dani", valor_painel="80.00", tecido="oxford ")],
            data_entrada="2025-04-02", data_entrega="2025-04-05", valor_frete="0",
        ),
        "p4": client_pedido(
            "Cancelado", [item(tipo_producao="adesivo", designer="", vendedor="", valor_unitario="30.00", quantidade_adesivo="1")],
            data_entrada="2025-03-05", data_entrega="2025-03-06", valor_frete="0.00", status="cancelado",
        ),
    }  # fmt: skip
    out = {}
    for name, body in bodies.items():
        r = client.post("/pedidos/", json=body)
        assert r.status_code == 200, r.text
        out[name] = r.json()
    assert [out[n]["valor_total"] for n in ("p1", "p2", "p3", "p4")] == ["215.00", "161.25", "80.00", "30.00"]
    return out


def get(client: httpx.Client, path: str, **params: Any) -> Any:
    r = client.get(path, params=params)
    assert r.status_code == 200, r.text
    return r.json()


# --- /relatorios/fechamentos ---


def test_statistics_are_exact_decimal_totals(client: httpx.Client, seeded: dict) -> None:
    stats = get(client, "/relatorios/fechamentos/statistics", **MARCH)
    assert stats == {
        "total_pedidos": 3, "total_items": 3, "total_revenue": "406.25", "total_frete": "25.50",
        "total_servico": "380.75", "average_ticket": "135.42",
    }  # fmt: skip
    assert get(client, "/relatorios/fechamentos/statistics", status="cancelado", **MARCH)["total_revenue"] == "30.00"
    assert get(client, "/relatorios/fechamentos/statistics", vendedor="CARLOS", **MARCH)["total_pedidos"] == 2
    entrega = get(client, "/relatorios/fechamentos/statistics", date_mode="entrega", start_date="2025-03-15",
                  end_date="2025-04-30")  # fmt: skip
    assert entrega["total_pedidos"] == 2 and entrega["total_revenue"] == "241.25"


def test_trends_and_rankings(client: httpx.Client, seeded: dict) -> None:
    trends = get(client, "/relatorios/fechamentos/trends", start_date="2025-03-01", end_date="2025-04-30",
                 group_by="month")["trends"]  # fmt: skip
    assert trends == [
        {"period": "2025-03", "pedidos": 3, "revenue": "406.25", "frete": "25.50", "servico": "380.75"},
        {"period": "2025-04", "pedidos": 1, "revenue": "80.00", "frete": "0.00", "servico": "80.00"},
    ]
    days = get(client, "/relatorios/fechamentos/trends", group_by="day", **MARCH)["trends"]
    assert [t["period"] for t in days] == ["2025-03-03", "2025-03-04", "2025-03-05"]
    span = {"start_date": "2025-03-01", "end_date": "2025-04-30"}
    designers = get(client, "/relatorios/fechamentos/rankings/designer", **span)
    assert designers["category"] == "designer"
    assert [(r["pedidos"], r["items"], r["revenue"]) for r in designers["rankings"]] == [
        (2, 2, "280.00"), (1, 1, "150.75"),
    ]  # fmt: skip
    assert designers["rankings"][0]["name"] in ("Júlia", "JULIA")
    clientes = get(client, "/relatorios/fechamentos/rankings/cliente", limit=2, **span)["rankings"]
    assert [(r["pedidos"], r["revenue"]) for r in clientes] == [(2, "295.00"), (1, "161.25")]
    r = client.get("/relatorios/fechamentos/rankings/cor", params=span)
    assert r.status_code == 422 and r.json()["field"] == "category"


# --- /relatorios-fechamentos ---


def test_relatorio_semanal_answers_raw_pedidos_with_the_fields_the_client_reads(
    client: httpx.Client, seeded: dict
) -> None:
    rows = get(client, SEMANAL, date_mode="entrada", **MARCH)
    assert [r["id"] for r in rows] == [seeded[n]["id"] for n in ("p1", "p2", "p4")]
    for row in rows:
        for key in ("id", "numero", "status", "valor_total", "valor_frete", "data_entrada", "data_entrega",
                    "forma_envio", "cliente", "items"):  # fmt: skip
            assert key in row, key
        for it in row["items"]:
            for key in ("descricao", "tipo_producao", "vendedor", "designer", "valor_unitario", "quantidade_paineis"):
                assert key in it, key
    assert [r["id"] for r in get(client, SEMANAL, cliente="  agata ", **MARCH)] == [seeded["p1"]["id"]]
    entrega = get(client, SEMANAL, date_mode="entrega", start_date="2025-03-15", end_date="2025-03-31")
    assert [r["id"] for r in entrega] == [seeded["p2"]["id"]]
    qualquer = get(client, SEMANAL, date_mode="qualquer", start_date="2025-03-10", end_date="2025-03-10")
    assert [r["id"] for r in qualquer] == [seeded["p1"]["id"]]


@pytest.mark.parametrize(
    ("params", "status", "field"),
    [
        ({"start_date": "2025-3-1x", "end_date": "2025-03-31"}, 400, "start_date"),
        ({"start_date": "2025-03-31", "end_date": "2025-03-01"}, 400, "start_date"),
        ({**MARCH, "date_mode": "criacao"}, 400, "date_mode"),
        ({"end_date": "2025-03-31"}, 422, "start_date"),
    ],
)
def test_relatorio_semanal_refuses_bad_parameters(client: httpx.Client, params: dict, status: int, field: str) -> None:
    r = client.get(SEMANAL, params=params)
    assert r.status_code == status and r.json()["field"] == field and isinstance(r.json()["detail"], str), r.text


def test_relatorio_groups_and_totals(client: httpx.Client, seeded: dict) -> None:
    report = get(client, "/relatorios-fechamentos/pedidos/relatorio", report_type="sintetico_cliente", **MARCH)
    assert report["report_type"] == "sintetico_cliente" and report["page"] == 1
    assert report["total"] == {"valor_frete": "25.50", "valor_servico": "380.75"}
    assert [g["label"] for g in report["groups"]] == ["Ágata Festas", "Bento", "Cancelado"]
    assert report["groups"][1]["rows"] == [
        {"ficha": seeded["p2"]["numero"], "descricao": "Bento", "valor_frete": "10.50", "valor_servico": "150.75"}
    ]
    assert len(report["generated_at"]) == 20 and report["generated_at"][2] == "/"  # dd/mm/YYYY, HH:MM:SS
    nested = get(client, "/relatorios-fechamentos/pedidos/relatorio", report_type="analitico_designer_cliente",
                 status="pendente", **MARCH)  # fmt: skip
    assert [(g["label"], [s["label"] for s in g["subgroups"]]) for g in nested["groups"]] == [
        ("Júlia", ["Ágata Festas"]), ("Rui", ["Bento"]),
    ]  # fmt: skip
    r = client.get("/relatorios-fechamentos/pedidos/relatorio", params={"report_type": "x", **MARCH})
    assert r.status_code == 400 and r.json()["field"] == "report_type"


# --- /materiais/stats ---


def test_material_stats_and_evolution(client: httpx.Client, seeded: dict) -> None:
    params = {"data_inicio": "2025-03-01", "data_fim": "2025-03-31"}
    stats = get(client, "/materiais/stats", **params)
    kpis = stats["kpis"]
    assert (kpis["total_itens"], kpis["total_area_m2"], kpis["material_mais_usado"]) == (2, 13.5, "OXFORD")
    assert (kpis["data_pico"], kpis["m2_pico"], kpis["media_m2_dia"]) == ("2025-03-03", 12.0, 6.75)
    assert [(r["nome"], r["quantidade_itens"], r["area_total_m2"], r["percentual_area"])
            for r in stats["ranking_materiais"]] == [("OXFORD", 1, 12.0, 88.89), ("LONA FOSCA", 1, 1.5, 11.11)]  # fmt: skip
    finishes = {r["nome"]: r["quantidade_itens"] for r in stats["ranking_acabamentos"]}
    assert finishes == {"OVERLOQUE": 1, "ILHÓS": 1, "ELÁSTICO": 1, "EMENDA": 1}
    assert set(stats["por_tipo_producao"]) == {"painel", "totem"}
    assert get(client, "/materiais/stats", tipo_producao="totem", **params)["kpis"]["total_area_m2"] == 1.5
    evolution = get(client, "/materiais/stats/evolucao", **params)
    assert evolution["top_3_nomes"] == ["OXFORD", "LONA FOSCA"]
    assert evolution["evolucao"] == [
        {"data": "2025-03-03", "total": 12.0, "top_materiais": {"OXFORD": 12.0, "LONA FOSCA": 0.0}},
        {"data": "2025-03-04", "total": 1.5, "top_materiais": {"OXFORD": 0.0, "LONA FOSCA": 1.5}},
    ]
    empty = get(client, "/materiais/stats/evolucao", data_inicio="2024-01-01", data_fim="2024-01-31")
    assert empty == {"top_3_nomes": [], "evolucao": [{"data": "2024-01-31", "total": 0.0, "top_materiais": {}}]}


# --- templates ---


def test_relatorio_templates_default_store_and_admin_only(server: ServerProcess, client: httpx.Client) -> None:
    defaults = get(client, "/relatorios/templates")
    assert set(defaults) == {"envios", "fechamentos"}
    assert {"title", "headerFields", "styles", "tableConfig", "pageConfig"} <= set(defaults["envios"])
    sent = {
        "envios": {"title": "Envios da loja", "headerFields": {"title": "Envios", "periodoLabel": "De:"},
                   "styles": {"fontSize": 12, "textColor": "#000"}, "tableConfig": {"showHeader": True},
                   "pageConfig": {"marginTop": 10}},
        "fechamentos": {"title": "Fechamento", "headerFields": {}, "styles": {}},
    }  # fmt: skip
    r = client.put("/relatorios/templates", json=sent)
    assert r.status_code == 200, r.text
    stored = get(client, "/relatorios/templates")
    assert r.json() == stored and stored["envios"]["headerFields"]["periodoLabel"] == "De:"
    assert stored["envios"]["styles"] == {"fontSize": 12, "textColor": "#000"} and stored["envios"]["updatedAt"]
    client.post("/users", json={"username": "relatorista", "password": "senha-forte-1"})
    user = server.client(server.login("relatorista", "senha-forte-1"))
    assert user.put("/relatorios/templates", json=sent).status_code == 403
    bad = client.put("/relatorios/templates", json={"envios": {"headerFields": {}}})
    assert bad.status_code == 422 and bad.json()["field"] == "envios.title"


def test_ficha_templates_and_html(client: httpx.Client) -> None:
    defaults = get(client, "/fichas/templates")
    assert set(defaults) == {"geral", "resumo"} and defaults["geral"]["fields"]
    layout = {"title": "Minha ficha", "width": "210", "height": 297, "marginTop": 5, "marginBottom": 5,
              "marginLeft": 5, "marginRight": 5,
              "fields": [{"id": "f1", "type": "text", "label": "Cliente", "key": "cliente", "x": 1, "y": 2,
                          "width": 50, "height": 8}]}  # fmt: skip
    r = client.put("/fichas/templates", json={"geral": layout, "resumo": {**layout, "title": "Resumo"}})
    assert r.status_code == 200, r.text
    geral = get(client, "/fichas/templates")["geral"]
    assert geral["width"] == 210.0 and geral["templateType"] == "geral" and geral["updatedAt"]
    field = geral["fields"][0]
    assert (field["fontSize"], field["visible"], field["editable"], field["x"]) == (11.0, True, True, 1.0)
    assert get(client, "/fichas/templates/html/resumo/content", t=1) == {"html": None, "exists": False}
    r = client.put("/fichas/templates/html", json={"geral": "<h1>{{numero}}</h1>", "resumo": ""})
    assert r.status_code == 200 and r.json()["files"] == {"geral": "templates/template-geral.html"}, r.text
    assert get(client, "/fichas/templates/html/geral/content", t=2) == {"html": "<h1>{{numero}}</h1>", "exists": True}
    raw = client.get("/fichas/templates/html/geral")
    assert raw.headers["content-type"].startswith("text/html") and raw.text == "<h1>{{numero}}</h1>"
    assert client.get("/fichas/templates/html/outro/content").status_code == 422
    assert client.get("/fichas").status_code == 200  # the fichas CRUD still answers beside the templates


# --- safira ---


def test_safira_answers_known_questions_from_the_database(client: httpx.Client, seeded: dict) -> None:
    r = client.post("/safira/ask", json={"question": "Quantos pedidos estão pendentes?"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["recognized"] is True and body["intent"] == "pendentes" and body["meta"]["count"] >= 3
    assert str(body["meta"]["count"]) in body["answer"]
    unknown = client.post("/safira/ask", json={"question": "qual a cor do céu?"}).json()
    assert unknown["recognized"] is False and unknown["intent"] == "unknown" and unknown["answer"]
    assert client.post("/safira/ask", json={}).json()["field"] == "question"
