"""The desktop app's other pedidos calls over HTTP: drafts, pedido-itens, batch-status, summary, total, delete.

Same conditions as test_client_pedidos.py: root paths, Tauri origin, a CORS
preflight before each call, the app's own payloads.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.support import ServerProcess

from .conftest import db_state
from .tauri import JPEG, Tauri, create_payload, login_user, lona, needs_upload, painel


@pytest.fixture(scope="module")
def app(server: ServerProcess) -> Iterator[Tauri]:
    client = Tauri(server)
    yield client
    client.close()


@pytest.fixture(scope="module")
def user_app(server: ServerProcess) -> Iterator[Tauri]:
    client = Tauri(server, login_user(server, "producao"))
    yield client
    client.close()


def draft_tab(**fields: Any) -> dict[str, Any]:
    """A raw form tab as drafts carry it: pt-BR money, numbers for unit_price/quantity, form-only keys."""
    return {
        "tipo_producao": "painel", "descricao": "Painel rascunho", "valor_painel": "1.500,00", "emendaQtd": "",
        "_image_metadata": {"width": 800, "height": 400}, "tipo_acabamento": "nenhum",
        "item_name": "Painel", "quantity": 2, "unit_price": 0, "largura": 0, "altura": 0, "acabamento": "",
        **fields,
    }  # fmt: skip


# --- drafts ---


def test_draft_lifecycle_save_autosave_list_edit_promote(app: Tauri, user_app: Tauri) -> None:
    body = {
        "cliente": "", "cidade_cliente": "", "estado_cliente": "", "telefone_cliente": "",
        "data_entrada": "2026-11-29", "data_entrega": None, "forma_envio": "", "prioridade": "NORMAL",
        "observacao": "", "status": "pendente", "valor_frete": 0, "items": [draft_tab()], "rascunho": True,
    }  # fmt: skip
    draft = user_app.ok("POST", "/pedidos/rascunho", json=body)
    draft_id = draft["id"]
    assert draft["rascunho"] is True and draft["numero"] is None and draft["items"][0]["valor_painel"] == "1.500,00"
    assert draft_id not in {p["id"] for p in app.ok("GET", "/pedidos/")}  # drafts stay out of the lists
    assert draft_id in {d["id"] for d in user_app.ok("GET", "/pedidos/rascunhos")}
    assert user_app.ok("GET", f"/pedidos/{draft_id}")["rascunho"] is True
    # Silent auto-save (variant D): forma_pagamento_id a number, valor_frete "x.xx", raw tabs.
    autosave = {
        "rascunho": True,
        "cliente": "Loja Rascunho",
        "forma_pagamento_id": 3,
        "valor_frete": "12.00",
        "items": [draft_tab(quantity=3)],
    }
    saved = user_app.ok("PATCH", f"/pedidos/{draft_id}", json=autosave)
    assert (saved["id"], saved["rascunho"], saved["cliente"], saved["items"][0]["quantity"]) == (
        draft_id,
        True,
        "Loja Rascunho",
        3,
    )
    # The form's full edit (variant A) with proper items, then promover.
    up = user_app.ok("POST", "/pedidos/order-items/upload-image", files={"image": ("image_1.jpg", JPEG, "image/jpeg")})
    edit = {
        "cliente": "Loja Rascunho",
        "cidade_cliente": "Serra",
        "estado_cliente": "ES",
        "items": [painel(imagem=up["server_reference"])],
        "valor_frete": "12.00",
    }
    user_app.ok("PATCH", f"/pedidos/{draft_id}", json=edit)
    promoted = user_app.ok("POST", f"/pedidos/{draft_id}/promover")
    assert (promoted["id"], promoted["rascunho"], promoted["tipo_pagamento"]) == (draft_id, False, "3")
    assert len(promoted["numero"]) == 10 and promoted["valor_total"] == "2082.00"  # 2 × 1035 + 12
    assert not needs_upload(promoted["items"][0]["imagem"])
    assert draft_id in {p["id"] for p in app.ok("GET", "/pedidos/")}
    assert draft_id not in {d["id"] for d in user_app.ok("GET", "/pedidos/rascunhos")}
    assert user_app("POST", f"/pedidos/{draft_id}/promover").status_code == 404


def test_a_draft_without_cliente_is_not_promoted_and_says_why(app: Tauri, server: ServerProcess) -> None:
    draft = app.ok("POST", "/pedidos/rascunho", json={"valor_frete": 0, "items": [], "rascunho": True})
    before = db_state(server)
    r = app("POST", f"/pedidos/{draft['id']}/promover")
    assert r.status_code == 422 and r.json()["field"] == "cliente" and isinstance(r.json()["detail"], str), r.text
    assert db_state(server) == before
    assert app.ok("GET", f"/pedidos/{draft['id']}")["rascunho"] is True


def test_drafts_take_no_numero_so_the_sequence_stays_consecutive(app: Tauri) -> None:
    first = app.ok("POST", "/pedidos/", json=create_payload("Seq A", []))
    app.ok("POST", "/pedidos/rascunho", json={"cliente": "abandonado", "items": []})
    second = app.ok("POST", "/pedidos/", json=create_payload("Seq B", []))
    assert int(second["numero"]) == int(first["numero"]) + 1


def test_a_draft_with_a_web_image_keeps_it(app: Tauri) -> None:
    data_url = "data:image/jpeg;base64," + base64.b64encode(JPEG).decode()
    draft = app.ok("POST", "/pedidos/rascunho", json={"cliente": "Web", "items": [draft_tab(imagem=data_url)]})
    assert draft["items"][0]["imagem"].startswith("/pedidos/imagens/")
    assert app("GET", draft["items"][0]["imagem"]).content == JPEG


# --- PATCH /pedidos/pedido-itens/{item_id} ---


def test_pedido_itens_by_synthetic_id_keeps_prices(app: Tauri) -> None:
    created = app.ok("POST", "/pedidos/", json=create_payload("Produção", [lona(), painel()]))
    synthetic = created["id"] * 1000 + 1
    # The whole item through buildItemPayloadFromRequest (valor_unitario = valor_painel) + production fields.
    body = {**painel(), "machine_id": 2, "rip_maquina": "RIP-A", "data_impressao": "2026-11-29", "perfil_cor": "FOGRA39",
            "tecido_fornecedor": "Tecidos SA", "pedido_id": created["id"]}  # fmt: skip
    answer = app.ok("PATCH", f"/pedidos/pedido-itens/{synthetic}", json=body)
    assert (answer["status"], answer["message"], answer["item"]["id"]) == ("success", "Item atualizado", synthetic)
    stored = app.ok("GET", f"/pedidos/{created['id']}")
    item = stored["items"][1]
    assert (item["machine_id"], item["rip_maquina"], item["perfil_cor"]) == (2, "RIP-A", "FOGRA39")
    assert item["valor_unitario"] == "1035.00" and stored["valor_total"] == created["valor_total"]
    # `{item_id:int}` in the path: "7001.0" matches no route (404; it was 422), never item 7001.
    assert app("PATCH", f"/pedidos/pedido-itens/{synthetic}.0", json={"perfil_cor": "x"}).status_code == 404
    missing = app("PATCH", f"/pedidos/pedido-itens/{created['id'] * 1000 + 9}", json={"pedido_id": created["id"]})
    assert missing.status_code == 404 and isinstance(missing.json()["detail"], str)
    # Without pedido_id the synthetic id still finds its pedido.
    assert (
        app.ok("PATCH", f"/pedidos/pedido-itens/{synthetic}", json={"perfil_cor": "GRACoL"})["item"]["perfil_cor"]
        == "GRACoL"
    )


# --- batch-status, summary, total, delete ---


def test_batch_status_entregue_from_the_closing_report(app: Tauri) -> None:
    a = app.ok("POST", "/pedidos/", json=create_payload("Fech A", [], status="pronto"))
    b = app.ok("POST", "/pedidos/", json=create_payload("Fech B", [], status="pronto"))
    result = app.ok("POST", "/pedidos/batch-status", json={"id_pedidos": [a["id"], b["id"]], "status": "entregue"})
    assert (result["count"], result["status"]) == (2, "entregue")
    assert all(app.ok("GET", f"/pedidos/{p['id']}")["pronto"] is True for p in (a, b))


SUMMARY_FIELDS = {
    "total", "pendentes", "concluidos", "urgentes", "atrasados", "avg_production_time", "avg_delay_time",
    "hoje", "efficiency_rate", "concluidos_hoje",
}  # fmt: skip


def test_summary_has_what_the_dashboard_reads(app: Tauri) -> None:
    before = app.ok("GET", "/pedidos/summary")
    today = datetime.now(UTC).date().isoformat()
    app.ok(
        "POST",
        "/pedidos/",
        json=create_payload("Atrasado", [], prioridade="ALTA", data_entrada="2026-01-01", data_entrega="2026-01-02"),
    )
    app.ok("POST", "/pedidos/", json=create_payload("Hoje", [], data_entrada=today, forma_envio="Motoboy"))
    after = app.ok("GET", "/pedidos/summary")
    assert all(isinstance(after[k], int) for k in SUMMARY_FIELDS), after
    assert (after["total"] - before["total"], after["pendentes"] - before["pendentes"]) == (2, 2)
    assert after["urgentes"] - before["urgentes"] == 1 and after["atrasados"] - before["atrasados"] == 1
    assert after["hoje"] - before["hoje"] == 2  # both were created today
    assert set(after["production_efficiency"]) == {"financeiro", "conferencia", "sublimacao", "costura", "expedicao"}
    assert all({"name", "count", "percentage"} <= set(m) for m in after["shipping_methods"])
    assert after["status_counts"]["pendente"] == after["pendentes"]
    assert app.ok("GET", "/pedidos/total", params={"status": "pendente"})["total"] == after["pendentes"]


def test_delete_is_admin_only_with_the_old_answer(app: Tauri, user_app: Tauri) -> None:
    created = app.ok("POST", "/pedidos/", json=create_payload("Apagar", [lona()]))
    denied = user_app("DELETE", f"/pedidos/{created['id']}")
    assert denied.status_code == 403 and isinstance(denied.json()["detail"], str)
    assert app.ok("DELETE", f"/pedidos/{created['id']}")["message"] == "Pedido deletado com sucesso"
    assert app("GET", f"/pedidos/{created['id']}").status_code == 404
