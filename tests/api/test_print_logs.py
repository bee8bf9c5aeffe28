"""/print-logs over HTTP on run_server.py, with the desktop app's exact calls (OrderPrintManager, PrintLogs)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import httpx

from tests.support import ServerProcess

from .client_payloads import client_item, client_pedido
from .conftest import db_state

LOG_FIELDS = (
    "id", "printer_id", "printer_name", "pedido_id", "pedido_numero", "cliente", "item_id", "item_descricao",
    "item_imagem", "item_medidas", "item_material", "status", "error_message", "created_at",
)  # fmt: skip


# Printer ids no machine of the shared server's catalog has and no other test logs to:
# catalog ids count up from 1, so these name no machine ("Desconhecida") and their lists hold only this test's logs.
_unknown_printers = itertools.count(1_000_000 + int(datetime.now(UTC).timestamp()) % 1_000_000)


def unknown_printer() -> int:
    """A printer id with no machine in the catalog, used by one test only."""
    return next(_unknown_printers)


def create(client: httpx.Client, cliente: str) -> dict:
    r = client.post("/pedidos/", json=client_pedido(cliente, [client_item(), client_item(descricao="Lona")]))
    assert r.status_code == 200, r.text
    return r.json()


def log(client: httpx.Client, **body: object) -> httpx.Response:
    return client.post("/print-logs/", json={"item_id": None, "status": "success", **body})


def test_a_print_without_a_machine_is_logged(client: httpx.Client) -> None:
    """The client sends printer_id 0 for orders without a machine; the old server lost those (404)."""
    pedido = create(client, "Sem máquina")
    r = log(client, printer_id=0, pedido_id=pedido["id"])
    assert r.status_code == 201, r.text
    body = r.json()
    assert set(LOG_FIELDS) <= set(body)
    assert body["printer_id"] == 0 and body["printer_name"] == "Sem impressora"
    assert body["pedido_id"] == pedido["id"] and body["pedido_numero"] == pedido["numero"]
    assert body["status"] == "success" and body["item_id"] is None
    assert len(body["created_at"]) == 19 and body["created_at"][10] == "T"  # YYYY-MM-DDTHH:MM:SS
    listed = client.get("/print-logs/?limit=200&offset=0").json()
    assert listed[0]["id"] == body["id"] and listed[0]["cliente"] == "Sem máquina"


def test_item_logs_carry_item_details_and_are_updated_not_duplicated(client: httpx.Client) -> None:
    pedido = create(client, "Item impresso")
    item_id = pedido["id"] * 1000 + 1  # synthetic id of the second item
    printer = unknown_printer()
    first = log(client, printer_id=printer, pedido_id=pedido["id"], item_id=item_id).json()
    assert first["printer_name"] == "Desconhecida"  # no machine with that id
    assert (first["item_descricao"], first["item_medidas"], first["item_material"]) == ("Lona", "3,00x2,00", "Oxford")
    again = log(client, printer_id=printer, pedido_id=pedido["id"], item_id=item_id, status="reprint").json()
    assert again["id"] == first["id"] and again["status"] == "reprint"
    mine = [
        entry
        for entry in client.get(f"/print-logs/printers/{printer}?limit=50").json()
        if entry["pedido_id"] == pedido["id"]
    ]
    assert [(entry["id"], entry["status"], entry["item_descricao"]) for entry in mine] == [
        (first["id"], "reprint", "Lona")
    ]


def test_logs_name_the_machine_from_the_catalog(client: httpx.Client) -> None:
    r = client.post("/maquinas/", json={"name": "Mimaki JV5", "active": True})
    assert r.status_code == 201, r.text
    machine_id = r.json()["id"]
    pedido = create(client, "Com máquina")
    logged = log(client, printer_id=machine_id, pedido_id=pedido["id"]).json()
    assert logged["printer_name"] == "Mimaki JV5"
    listed = client.get(f"/print-logs/printers/{machine_id}").json()
    assert [(e["id"], e["printer_name"]) for e in listed] == [(logged["id"], "Mimaki JV5")]
    assert client.get(f"/print-logs/stats/{machine_id}").json()["printer_name"] == "Mimaki JV5"


def test_list_filters_newest_first_and_stats(client: httpx.Client) -> None:
    pedido = create(client, "Filtros")
    printer = unknown_printer()
    ids = [
        log(client, printer_id=printer, pedido_id=pedido["id"], status=s).json()["id"]
        for s in ("success", "error", "success")
    ]
    assert [e["id"] for e in client.get(f"/print-logs/printers/{printer}", params={"limit": 10}).json()] == ids[::-1]
    errors = client.get("/print-logs/", params={"limit": 1000, "status_filter": "error"}).json()
    assert ids[1] in [e["id"] for e in errors] and all(e["status"] == "error" for e in errors)
    today = datetime.now(UTC).date()
    within = client.get("/print-logs/", params={"data_inicio": str(today), "data_fim": str(today), "limit": 1000})
    assert set(ids) <= {e["id"] for e in within.json()}
    before = client.get("/print-logs/", params={"data_fim": str(today - timedelta(days=1)), "limit": 1000})
    assert before.json() == []
    paged = client.get(f"/print-logs/printers/{printer}", params={"limit": 1, "offset": 1}).json()
    assert [e["id"] for e in paged] == [ids[1]]
    stats = client.get(f"/print-logs/stats/{printer}").json()
    assert stats == {
        "printer_id": printer, "printer_name": "Desconhecida", "total_prints": 3, "successful": 2, "errors": 1,
        "reprints": 0, "success_rate": 66.67,
    }  # fmt: skip


def test_bad_input_names_the_field_and_writes_nothing(server: ServerProcess, client: httpx.Client) -> None:
    pedido = create(client, "Entrada ruim")
    before = db_state(server)
    for body, status, field in (
        ({"printer_id": 0, "pedido_id": 999_999_999}, 404, "pedido_id"),
        ({"printer_id": 0, "pedido_id": pedido["id"], "status": "impresso"}, 422, "status"),
        ({"printer_id": -1, "pedido_id": pedido["id"]}, 422, "printer_id"),
        ({"pedido_id": pedido["id"]}, 422, "printer_id"),
    ):
        r = log(client, **body)
        assert r.status_code == status and r.json()["field"] == field, (body, r.text)
    assert client.get("/print-logs/", params={"limit": 50_001}).json()["field"] == "limit"
    assert db_state(server) == before
