"""The desktop app's pedidos calls replayed over HTTP on run_server.py: create, list, get, the four PATCH shapes, images.

Every request goes to the root path with `Origin: http://tauri.localhost`
after its CORS preflight (tests/api/tauri.py), with the exact payloads the
app's mappers build, and checks the fields the app reads.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator
from contextlib import closing
from typing import Any

import pytest

from tests.support import ServerProcess

from .conftest import db_state, read_only
from .tauri import JPEG, Tauri, create_payload, login_user, lona, needs_upload, painel, totem


@pytest.fixture(scope="module")
def app(server: ServerProcess) -> Iterator[Tauri]:
    client = Tauri(server)
    yield client
    client.close()


@pytest.fixture(scope="module")
def user_app(server: ServerProcess) -> Iterator[Tauri]:
    client = Tauri(server, login_user(server, "balcao"))
    yield client
    client.close()


def tag() -> str:
    return uuid.uuid4().hex[:10]


def check_images_stay(pedido: dict[str, Any]) -> None:
    """What the app would do on the next save: no reference may look like a local file to upload."""
    for item in pedido["items"]:
        assert not needs_upload(item.get("imagem")) and not needs_upload(item.get("imagem_path")), item


# --- POST /pedidos/ ---


def test_create_with_the_form_payload_prices_totals_and_reads_back(app: Tauri) -> None:
    sem_tipo = {"descricao": "Serviço avulso", "valor_unitario": "10,00", "quantidade_paineis": "2"}
    body = create_payload(f"Cliente {tag()}", [painel(), lona(), totem(), sem_tipo])
    created = app.ok("POST", "/pedidos/", json=body)
    # Server pricing (pricing-dates.md): 2 × 1035 + 3 × 50 + 1 × 30 + 2 × 10; the client's 480/495 are ignored.
    assert [i["valor_unitario"] for i in created["items"]] == ["1035.00", "50.00", "30.00", "10.00"]
    assert (created["valor_itens"], created["valor_frete"], created["valor_total"]) == ("2270.00", "15.00", "2285.00")
    assert len(created["numero"]) == 10 and created["numero"].isdigit()
    assert (created["cidade_cliente"], created["estado_cliente"]) == ("Vitória", "ES")
    assert created["data_entrega"] == created["data_entrada"] == "2026-11-29"  # null: the entry date
    assert created["rascunho"] is False and created["financeiro_liberado_em"] is None
    assert (created["tipo_pagamento"], created["forma_envio"], created["forma_envio_id"]) == ("2", "Correios", 0)
    # Item ids: the client's synthetic pedido.id*1000+index, so both names agree.
    assert [i["id"] for i in created["items"]] == [created["id"] * 1000 + n for n in range(4)]
    # Quantities and pass-through pt-BR values come back as sent; art fields have their defaults.
    first = created["items"][0]
    assert (first["quantidade_paineis"], first["quantidade_ilhos"], first["valor_lona"]) == ("2", "10", "0,00")
    assert (first["status_arte"], first["comentarios"], first["legenda_imagem"]) == ("aguardando", [], None)
    assert app.ok("GET", f"/pedidos/{created['id']}") == created


def test_city_with_the_old_suffix_is_split(user_app: Tauri) -> None:
    """Also: a normal (non-admin) user creates with the form's payload (financeiro: false is no release)."""
    for cidade, estado, expected in (
        ("Vitória||ES", "", ("Vitória", "ES")),
        ("Serra - ES", "", ("Serra", "ES")),
        ("Cariacica||ES", "es", ("Cariacica", "ES")),
        ("Endereço não informado", "", ("Endereço não informado", "")),
    ):
        body = create_payload("Cidade", [], cidade_cliente=cidade, estado_cliente=estado)
        created = user_app.ok("POST", "/pedidos/", json=body)
        assert (created["cidade_cliente"], created["estado_cliente"]) == expected


def test_iso_datetime_dates_are_kept_and_filtered_by_their_date(app: Tauri) -> None:
    cliente = f"Datas {tag()}"
    body = create_payload(cliente, [], data_entrada="2026-03-10T10:11:12", data_entrega="2026-03-20T08:00:00Z")
    created = app.ok("POST", "/pedidos/", json=body)
    assert (created["data_entrada"], created["data_entrega"]) == ("2026-03-10T10:11:12", "2026-03-20T08:00:00Z")
    found = app.ok(
        "GET", "/pedidos/", params={"cliente": cliente, "data_inicio": "2026-03-10", "data_fim": "2026-03-10"}
    )
    assert [p["id"] for p in found] == [created["id"]]
    found = app.ok(
        "GET", "/pedidos/", params={"cliente": cliente, "data_inicio": "2026-03-20T00:00:00", "date_mode": "entrega"}
    )
    assert [p["id"] for p in found] == [created["id"]]


def test_bad_input_is_a_4xx_naming_the_field_and_writes_nothing(app: Tauri, server: ServerProcess) -> None:
    before = db_state(server)
    for items, field in (
        ([painel(quantidade_paineis="dois")], "items[0].quantidade_paineis"),
        ([lona(valor_unitario="cinquenta")], "items[0].valor_unitario"),
        ([painel(acabamento="")], "items[0].acabamento"),
    ):
        r = app("POST", "/pedidos/", json=create_payload("Ruim", items))
        assert r.status_code == 422 and r.json()["field"] == field and isinstance(r.json()["detail"], str), r.text
    r = app("POST", "/pedidos/", json=create_payload("Ruim", [], data_entrada="31/12/2026"))
    assert r.status_code == 422 and r.json()["field"] == "data_entrada", r.text
    assert db_state(server) == before


# --- GET /pedidos/ and GET /pedidos/{id} ---


CLIENT_LIST_CALLS = [
    {"skip": 0, "limit": 10001},
    {"skip": 0, "limit": 501, "is_pronto": "false"},
    {"skip": 0, "limit": 501, "cliente": "x", "is_pronto": "false"},
    {"skip": 0, "limit": 5001, "data_inicio": "2026-11-01", "data_fim": "2026-11-30"},
    {"skip": 10, "limit": 11, "status": "pronto", "data_inicio": "2026-11-01", "tipo_producao": "painel"},
    {"skip": 0, "limit": 501, "is_pronto": "true"},
    {"skip": 0, "limit": 101},
    {"skip": 0, "limit": 1001, "data_inicio": "2026-11-01", "is_pronto": "true", "date_mode": "entrega"},
    {"skip": 0, "limit": 1001, "data_inicio": "2026-08-31"},
    {},
]


@pytest.mark.parametrize(
    "params", CLIENT_LIST_CALLS, ids=lambda p: "&".join(f"{k}={v}" for k, v in p.items()) or "none"
)
def test_every_list_call_of_the_client_answers_an_array(app: Tauri, params: dict[str, Any]) -> None:
    assert isinstance(app.ok("GET", "/pedidos/", params=params), list)


def test_no_limit_answers_every_pedido_and_limit_10001_is_served(app: Tauri) -> None:
    for _ in range(3):
        app.ok("POST", "/pedidos/", json=create_payload("Todos", []))
    total = app.ok("GET", "/pedidos/total")["total"]
    assert total >= 3
    assert len(app.ok("GET", "/pedidos/")) == total == len(app.ok("GET", "/pedidos/", params={"limit": 10001}))
    pending = app.ok("GET", "/pedidos/", params={"limit": 10001, "is_pronto": "false"})
    assert pending and all(p["pronto"] is False for p in pending)


def test_an_id_that_is_not_an_integer_is_never_the_pedido(app: Tauri) -> None:
    created = app.ok("POST", "/pedidos/", json=create_payload("Id", []))
    for path in (f"/pedidos/{created['id']}.0", f"/pedidos/{created['id']}e0", "/pedidos/1.0"):
        r = app("GET", path)
        assert r.status_code in (404, 422) and isinstance(r.json()["detail"], str), (path, r.text)
    r = app("GET", "/pedidos/999999999")
    assert r.status_code == 404 and isinstance(r.json()["detail"], str)


# --- PATCH /pedidos/{id}: the four shapes ---


def test_variant_a_full_edit_keeps_ids_images_and_art_fields(app: Tauri, server: ServerProcess) -> None:
    up = app.ok(
        "POST",
        "/pedidos/order-items/upload-image",
        files={"image": ("image_1732900000.jpg", JPEG, "image/jpeg")},
        data={"order_item_id": "0"},
    )
    created = app.ok(
        "POST", "/pedidos/", json=create_payload("Edição", [painel(imagem=up["server_reference"]), lona()])
    )
    # The art panel's work on the first item (what another route stores) must survive the edit.
    with server.client() as admin:
        r = admin.patch(
            f"/pedidos/pedido-itens/{created['items'][0]['id']}",
            json={"pedido_id": created["id"], "status_arte": "liberado"},
        )
        assert r.status_code == 200, r.text
    loaded = app.ok("GET", f"/pedidos/{created['id']}")
    # The form sends back each item with its orderItemId and the image reference it loaded, unchanged.
    items = [
        painel(id=loaded["items"][0]["id"], imagem=loaded["items"][0]["imagem"]),
        lona(id=loaded["items"][1]["id"], quantidade_lona="4"),
    ]
    edit = {
        "cliente": loaded["cliente"], "cidade_cliente": loaded["cidade_cliente"], "estado_cliente": loaded["estado_cliente"],
        "telefone_cliente": loaded["telefone_cliente"], "status": "em_producao", "prioridade": "ALTA",
        "forma_envio": "Portador - Zé", "tipo_pagamento": "2", "observacao": "editado", "data_entrega": "2026-12-05",
        "items": items, "valor_frete": "15.00", "valor_itens": "1.00", "valor_total": "2.00",
    }  # fmt: skip
    edited = app.ok("PATCH", f"/pedidos/{created['id']}", json=edit)
    assert [i["id"] for i in edited["items"]] == [i["id"] for i in loaded["items"]]
    assert edited["items"][0]["imagem"] == loaded["items"][0]["imagem"] == up["server_reference"]
    assert edited["items"][0]["status_arte"] == "liberado"
    assert (edited["valor_itens"], edited["valor_total"]) == ("2270.00", "2285.00")  # 2 × 1035 + 4 × 50
    assert (edited["prioridade"], edited["forma_envio"], edited["data_entrega"]) == (
        "ALTA",
        "Portador - Zé",
        "2026-12-05",
    )
    check_images_stay(edited)


def test_variant_b_metadata(app: Tauri) -> None:
    created = app.ok("POST", "/pedidos/", json=create_payload("Meta", [lona()]))
    body = {
        "estado_cliente": "MG",
        "cidade_cliente": "Belo Horizonte",
        "data_entrega": None,
        "tipo_pagamento": "",
        "valor_frete": "20.00",
    }
    patched = app.ok("PATCH", f"/pedidos/{created['id']}", json=body)
    assert (patched["cidade_cliente"], patched["estado_cliente"], patched["tipo_pagamento"]) == (
        "Belo Horizonte",
        "MG",
        "",
    )
    assert patched["data_entrega"] == patched["data_entrada"]
    assert (patched["valor_itens"], patched["valor_total"]) == ("150.00", "170.00")


def last_event_type(server: ServerProcess, pedido_id: int) -> str:
    with closing(read_only(server)) as conn:
        return conn.execute(
            "SELECT type FROM events WHERE order_id = ? ORDER BY seq DESC LIMIT 1", (pedido_id,)
        ).fetchone()[0]


def test_variant_c_status_flags_and_financeiro(app: Tauri, user_app: Tauri, server: ServerProcess) -> None:
    created = app.ok("POST", "/pedidos/", json=create_payload("Flags", []))
    path = f"/pedidos/{created['id']}"
    tick = {"conferencia": True, "sublimacao": False, "costura": False, "expedicao": False,
            "sublimacao_maquina": None, "sublimacao_data_impressao": None, "status": "em_producao", "pronto": False}  # fmt: skip
    assert user_app.ok("PATCH", path, json=tick)["conferencia"] is True
    # A ticked flag is the event the app refetches and toasts as a status change (feed.md).
    assert last_event_type(server, created["id"]) == "order_status_updated"
    user_app.ok("PATCH", path, json={"observacao": "só texto"})
    assert last_event_type(server, created["id"]) == "order_updated"
    denied = user_app("PATCH", path, json={**tick, "financeiro": True})
    assert denied.status_code == 403 and isinstance(denied.json()["detail"], str)
    released = app.ok("PATCH", path, json={**tick, "financeiro": True})
    assert released["financeiro"] is True and released["financeiro_liberado_em"].startswith("20")
    printed = {**tick, "sublimacao": True, "sublimacao_maquina": "Epson 1", "sublimacao_data_impressao": "29/11/2026"}
    assert user_app.ok("PATCH", path, json=printed)["sublimacao_data_impressao"] == "29/11/2026"
    done = {**printed, "costura": True, "expedicao": True, "status": "pronto", "pronto": True}
    assert user_app.ok("PATCH", path, json=done)["financeiro_liberado_em"] == released["financeiro_liberado_em"]
    undo = {"financeiro": False, "conferencia": False, "sublimacao": False, "costura": False, "expedicao": False,
            "sublimacao_maquina": None, "sublimacao_data_impressao": None, "status": "em_producao", "pronto": False}  # fmt: skip
    cleared = app.ok("PATCH", path, json=undo)
    assert cleared["financeiro"] is False and cleared["financeiro_liberado_em"] is None


# --- images ---


def test_multipart_upload_answer_is_taken_as_stored_and_served(app: Tauri) -> None:
    up = app.ok(
        "POST", "/pedidos/order-items/upload-image",
        files={"image": ("item_7001_1732900000.jpg", JPEG, "image/jpeg")}, data={"order_item_id": "7001"},
    )  # fmt: skip
    reference = next(up[k] for k in ("server_reference", "image_reference", "path", "url") if up.get(k))
    assert not needs_upload(reference) and reference.startswith("/pedidos/")
    created = app.ok("POST", "/pedidos/", json=create_payload("Imagem", [painel(imagem=reference)]))
    check_images_stay(created)
    digest = hashlib.sha256(JPEG).hexdigest()
    image = app("GET", created["items"][0]["imagem"])
    assert image.status_code == 200 and image.content == JPEG and image.headers["content-type"] == "image/jpeg"
    media = app("GET", f"/pedidos/media/pedidos/{created['id']}/{digest}.jpg")
    assert media.status_code == 200 and media.content == JPEG
    assert app("GET", "/pedidos/media/pedidos/tmp/naoexiste.jpg").status_code == 404


def test_web_build_data_url_and_every_form_sent_back(app: Tauri) -> None:
    import base64

    data_url = "data:image/jpeg;base64," + base64.b64encode(JPEG).decode()
    created = app.ok("POST", "/pedidos/", json=create_payload("Web", [painel(imagem=data_url)]))
    stored = created["items"][0]["imagem"]
    assert stored.startswith("/pedidos/imagens/") and "base64" not in str(created)
    check_images_stay(created)
    digest = stored.rsplit("/", 1)[-1]
    for form in (
        stored,
        stored.lstrip("/"),
        f"/api/v1/pedidos/imagens/{digest}",
        f"http://localhost:8000{stored}",
        data_url,
    ):
        item = painel(id=created["items"][0]["id"], imagem=form)
        again = app.ok("PATCH", f"/pedidos/{created['id']}", json={"items": [item]})
        assert again["items"][0]["imagem"] == stored, form
    # Duplicate/reposição copy the original item's imagem into a new order unchanged.
    copy = app.ok(
        "POST", "/pedidos/", json=create_payload("Cópia", [painel(imagem=stored)], observacao="[Cópia do pedido #1]")
    )
    assert copy["items"][0]["imagem"] == stored
