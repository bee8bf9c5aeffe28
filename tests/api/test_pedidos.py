"""Contract of /api/v1/pedidos through the real run_server.py (2 workers): each endpoint, each rule."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import msgspec
import pytest

from core.pedido_ops import MAX_BATCH_IDS, BatchStatusResult, PedidoDeleted
from readers.pedidos_summary import DashboardSummary
from tests.support import ServerProcess, pedido

from .conftest import db_state

API = "/api/v1/pedidos"


def marker() -> str:
    """A unique cliente suffix, so list filters see only this test's pedidos."""
    return uuid.uuid4().hex[:10]


def create(client: httpx.Client, cliente: str = "Cliente", **fields: Any) -> dict[str, Any]:
    r = client.post(f"{API}/", json=pedido(cliente, **fields))
    assert r.status_code == 200, r.text
    return r.json()


def listed(client: httpx.Client, path: str = f"{API}/", **params: Any) -> tuple[list[dict[str, Any]], int]:
    r = client.get(path, params=params)
    assert r.status_code == 200, r.text
    return r.json(), int(r.headers["x-total-count"])


def httpx_ok(r: httpx.Response) -> dict[str, Any]:
    assert r.status_code == 200, r.text
    return r.json()


def assert_error(r: httpx.Response, status: int, code: str, field: str | None = None) -> dict[str, Any]:
    assert r.status_code == status, r.text
    error = r.json()
    assert error["code"] == code and error["detail"], error
    if field is not None:
        assert error.get("field") == field, error
    return error


# --- POST / ---


def test_create_answers_200_with_a_padded_numero_and_the_event_seq(client: httpx.Client) -> None:
    r = client.post(f"{API}/", json=pedido("Criação"))
    assert r.status_code == 200, r.text
    created = r.json()
    assert len(created["numero"]) == 10 and created["numero"].isdigit()
    assert created["status"] == "pendente" and created["version"] == 1
    assert int(r.headers["x-sgp-seq"]) > 0
    again = client.get(f"{API}/{created['id']}")
    assert again.content == r.content and again.headers["etag"] == '"1"'


def test_create_with_a_duplicate_numero_is_409(client: httpx.Client) -> None:
    numero = f"9{uuid.uuid4().int % 10**9:09d}"  # the 10-digit form (contract: numero is "0000000123")
    create(client, numero=numero)
    assert_error(client.post(f"{API}/", json=pedido(numero=numero)), 409, "numero_conflict", "numero")


@pytest.mark.parametrize(
    ("sent", "stored"),
    [
        ("Em Produção", "em_producao"),
        ("em producao", "em_producao"),
        ("emproducao", "em_producao"),
        ("  Pendente ", "pendente"),
        ("concluído", "pronto"),
        ("CONCLUIDO", "pronto"),
        ("Cancelado", "cancelado"),
    ],
)
def test_legacy_status_is_normalised(client: httpx.Client, sent: str, stored: str) -> None:
    assert create(client, status=sent)["status"] == stored


def test_unknown_status_is_422_everywhere(client: httpx.Client, server: ServerProcess) -> None:
    existing = create(client)
    before = db_state(server)
    assert_error(client.post(f"{API}/", json=pedido(status="voando")), 422, "validation_error", "status")
    assert_error(client.patch(f"{API}/{existing['id']}", json={"status": "voando"}), 422, "validation_error", "status")
    assert_error(client.get(f"{API}/", params={"status": "voando"}), 422, "validation_error", "status")
    assert_error(client.get(f"{API}/status/voando"), 422, "validation_error", "status")
    batch = {"id_pedidos": [existing["id"]], "status": "voando"}
    assert_error(client.post(f"{API}/batch-status", json=batch), 422, "validation_error", "status")
    assert db_state(server) == before


@pytest.mark.parametrize(
    ("sent", "stored"),
    [("1.234,56", "1234.56"), ("R$ 10,50", "10.50"), ("450.00", "450.00"), (450, "450.00"), (12.5, "12.50")],
)
def test_money_input_formats(client: httpx.Client, sent: Any, stored: str) -> None:
    created = create(client, valor_frete=sent)
    assert created["valor_frete"] == created["valor_total"] == stored


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"valor_frete": "abc"}, "valor_frete"),
        ({"valor_frete": "1,2,3"}, "valor_frete"),
        ({"items": [{"tipo_producao": "painel", "valor_painel": "dez reais"}]}, "items[0].valor_painel"),
        ({"items": [{}, {"tipo_producao": "lona", "valor_unitario": True}]}, "items[1].valor_unitario"),
    ],
)
def test_garbage_money_is_422_naming_the_field(
    client: httpx.Client, fields: dict[str, Any], field: str, server: ServerProcess
) -> None:
    before = db_state(server)
    assert_error(client.post(f"{API}/", json=pedido(**fields)), 422, "validation_error", field)
    assert db_state(server) == before


PAINEL = {
    "tipo_producao": "painel",
    "valor_painel": "100,00",
    "valores_adicionais": "R$ 5,50",
    "tipo_acabamento": "Ilhós e cordinha",
    "quantidade_ilhos": 4,
    "valor_ilhos": "0.75",
    "quantidade_cordinha": 2,
    "valor_cordinha": "1,25",
    "quantidade_paineis": 3,
    "valor_unitario": "999.99",  # ignored: the server computes it for painel
}


def test_totals_are_recomputed_exactly(client: httpx.Client) -> None:
    lona = {"tipo_producao": "lona", "valor_unitario": "7,50", "quantidade_lona": 2}
    created = create(client, items=[PAINEL, lona], valor_frete="12,34")
    # 100.00 + 5.50 + 4 × 0.75 + 2 × 1.25 = 111.00 per painel, × 3 = 333.00; lona 2 × 7.50 = 15.00.
    assert created["items"][0]["valor_unitario"] == "111.00"
    assert created["items"][1]["valor_unitario"] == "7.50"
    assert created["valor_itens"] == "348.00"
    assert created["valor_total"] == "360.34"
    patched = httpx_ok(client.patch(f"{API}/{created['id']}", json={"valor_frete": "0"}))
    assert patched["valor_total"] == "348.00"


def test_unknown_item_fields_round_trip_unchanged(client: httpx.Client) -> None:
    extras = {"cor_fio": "azul", "medidas": {"a": [1, 2.5, None], "b": True}, "legado_id": "X-9", "zero": 0}
    cliente = f"Extras {marker()}"
    created = create(client, cliente, items=[{"tipo_producao": "totem", **extras}])
    pedido_id = created["id"]
    patched = httpx_ok(client.patch(f"{API}/{pedido_id}", json={"observacao": "outra"}))
    views = [
        created,
        patched,
        httpx_ok(client.get(f"{API}/{pedido_id}")),
        httpx_ok(client.get(f"{API}/{pedido_id}/json")),
        listed(client, cliente=cliente)[0][0],
    ]
    for view in views:
        item = view["items"][0]
        assert {key: item[key] for key in extras} == extras


# --- GET / ---


def test_cliente_filter_ignores_case_and_accents(client: httpx.Client) -> None:
    tag = marker()
    joao = create(client, f"João Ávila Müller {tag}")
    create(client, f"Joana {tag}")
    for query in (f"joao avila muller {tag}", f"JOÃO ÁVILA MÜLLER {tag}", f"muller {tag}"):
        found, total = listed(client, cliente=query)
        assert [p["id"] for p in found] == [joao["id"]] and total == 1


def test_date_modes(client: httpx.Client) -> None:
    tag = marker()
    a = create(client, tag, data_entrada="2025-01-10", data_entrega="2025-03-05")["id"]
    b = create(client, tag, data_entrada="2025-02-10")["id"]
    c = create(client, tag, data_entrada="2024-12-01", data_entrega="2025-01-20")["id"]

    def ids(mode: str | None, inicio: str, fim: str | None = None) -> set[int]:
        params = {"cliente": tag, "data_inicio": inicio, **({"data_fim": fim} if fim else {})}
        found, total = listed(client, **params, **({"date_mode": mode} if mode else {}))
        assert total == len(found)
        return {p["id"] for p in found}

    assert ids(None, "2025-01-01", "2025-01-31") == {a}  # entrada is the default
    assert ids("entrada", "2025-01-01", "2025-01-31") == {a}
    assert ids("entrega", "2025-01-01", "2025-01-31") == {c}
    assert ids("qualquer", "2025-01-01", "2025-01-31") == {a, c}
    assert ids("entrada", "2025-02-01", "2025-03-31") == {b}
    # b was sent without data_entrega: it is its data_entrada (contract pricing-dates.md, defaults).
    assert ids("entrega", "2025-02-01", "2025-03-31") == {a, b}
    assert ids("qualquer", "2025-02-01", "2025-03-31") == {a, b}
    assert ids("qualquer", "2025-01-15") == {a, b, c}


def test_data_inicio_after_data_fim_is_400(client: httpx.Client) -> None:
    r = client.get(f"{API}/", params={"data_inicio": "2025-02-01", "data_fim": "2025-01-01"})
    assert_error(r, 400, "invalid_date_range", "data_inicio")


def test_list_order_pagination_and_total(client: httpx.Client) -> None:
    tag = marker()
    old_normal = create(client, tag, data_entrada="2025-05-01")["id"]
    old_alta = create(client, tag, data_entrada="2025-05-01", prioridade="alta")["id"]
    new = create(client, tag, data_entrada="2025-05-02")["id"]
    found, total = listed(client, cliente=tag)
    assert [p["id"] for p in found] == [new, old_alta, old_normal] and total == 3
    page, total = listed(client, cliente=tag, skip=1, limit=1)
    assert [p["id"] for p in page] == [old_alta] and total == 3


def test_is_pronto_filter(client: httpx.Client) -> None:
    tag = marker()
    pronto = create(client, tag, pronto=True)["id"]
    aberto = create(client, tag)["id"]
    assert [p["id"] for p in listed(client, cliente=tag, is_pronto="true")[0]] == [pronto]
    assert [p["id"] for p in listed(client, cliente=tag, is_pronto="false")[0]] == [aberto]


# --- GET /{id}, GET /{id}/json ---


def test_get_missing_is_404_in_portuguese(client: httpx.Client) -> None:
    error = assert_error(client.get(f"{API}/999999999"), 404, "not_found")
    assert "não encontrado" in error["detail"]
    assert_error(client.get(f"{API}/999999999/json"), 404, "not_found")


def test_json_is_the_pedido_exactly_as_served(client: httpx.Client) -> None:
    created = create(client, items=[PAINEL])
    plain = client.get(f"{API}/{created['id']}")
    r = client.get(f"{API}/{created['id']}/json")
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    assert r.content == plain.content and r.headers["etag"] == plain.headers["etag"]
    assert f"pedido-{created['id']}.json" in r.headers["content-disposition"]


# --- PATCH /{id} ---


def test_patch_changes_only_the_fields_sent(client: httpx.Client) -> None:
    created = create(client, observacao="antes", telefone_cliente="11 9999", items=[PAINEL])
    r = client.patch(f"{API}/{created['id']}", json={"observacao": "depois", "status": "Em Produção"})
    patched = httpx_ok(r)
    assert int(r.headers["x-sgp-seq"]) > 0
    assert patched["observacao"] == "depois" and patched["status"] == "em_producao"
    assert patched["telefone_cliente"] == "11 9999" and patched["items"] == created["items"]
    assert patched["version"] == 2
    replaced = httpx_ok(client.patch(f"{API}/{created['id']}", json={"items": []}))
    assert replaced["items"] == [] and replaced["valor_total"] == "0.00"


def test_if_match(client: httpx.Client, server: ServerProcess) -> None:
    created = create(client)
    url = f"{API}/{created['id']}"
    assert httpx_ok(client.patch(url, json={"observacao": "v2"}, headers={"If-Match": '"1"'}))["version"] == 2
    before = db_state(server)
    assert_error(client.patch(url, json={"observacao": "x"}, headers={"If-Match": '"1"'}), 412, "version_conflict")
    assert_error(
        client.patch(url, json={"observacao": "x"}, headers={"If-Match": '"²"'.encode("latin-1")}),
        400,
        "invalid_if_match",
    )
    r = client.patch(url, json={"observacao": "x"}, headers={"If-Match": f'"{2**70}"'})
    assert_error(r, 400, "invalid_if_match")
    assert db_state(server) == before
    assert client.get(url).json()["observacao"] == "v2"


def test_entregue_sets_pronto(client: httpx.Client) -> None:
    created = create(client)
    assert created["pronto"] is False
    patched = httpx_ok(client.patch(f"{API}/{created['id']}", json={"status": "Entregue"}))
    assert patched["status"] == "entregue" and patched["pronto"] is True
    assert create(client, status="entregue")["pronto"] is True


def test_patch_missing_is_404(client: httpx.Client) -> None:
    assert_error(client.patch(f"{API}/999999999", json={"observacao": "x"}), 404, "not_found")


def test_patch_replays_with_the_same_idempotency_key(client: httpx.Client) -> None:
    created = create(client)
    headers = {"Idempotency-Key": f"patch-{marker()}"}
    first = client.patch(f"{API}/{created['id']}", json={"observacao": "uma vez"}, headers=headers)
    again = client.patch(f"{API}/{created['id']}", json={"observacao": "uma vez"}, headers=headers)
    assert first.status_code == again.status_code == 200
    assert first.content == again.content and first.headers["x-sgp-seq"] == again.headers["x-sgp-seq"]
    assert client.get(f"{API}/{created['id']}").json()["version"] == 2


# --- DELETE /{id} ---


def test_delete_then_404(client: httpx.Client) -> None:
    created = create(client)
    r = client.delete(f"{API}/{created['id']}", headers={"Idempotency-Key": f"del-{marker()}"})
    assert r.status_code == 200, r.text
    deleted = msgspec.json.decode(r.content, type=PedidoDeleted)
    assert deleted.id == created["id"] and deleted.deleted and str(deleted.seq) == r.headers["x-sgp-seq"]
    replay = client.delete(f"{API}/{created['id']}", headers={"Idempotency-Key": r.request.headers["idempotency-key"]})
    assert replay.status_code == 200 and replay.content == r.content
    assert_error(client.delete(f"{API}/{created['id']}"), 404, "not_found")
    assert_error(client.get(f"{API}/{created['id']}"), 404, "not_found")


# --- GET /status/{status} ---


def test_list_by_status_accepts_legacy_spellings_and_paginates(client: httpx.Client) -> None:
    ids = {create(client, status="em_producao", data_entrada=f"2030-01-0{day}")["id"] for day in (1, 2, 3)}
    everything, total = listed(client, f"{API}/status/em_producao", limit=500)
    assert ids <= {p["id"] for p in everything} and total == len(everything)
    assert {p["status"] for p in everything} == {"em_producao"}
    for spelling in ("Em Produção", "EM_PRODUCAO", "emproducao"):
        found, legacy_total = listed(client, f"{API}/status/{spelling}", limit=500)
        assert legacy_total == total and [p["id"] for p in found] == [p["id"] for p in everything]
    page, page_total = listed(client, f"{API}/status/em_producao", skip=1, limit=1)
    assert [p["id"] for p in page] == [everything[1]["id"]] and page_total == total


def test_list_by_status_limit_rules(client: httpx.Client, server: ServerProcess) -> None:
    # The pedidos lists take up to SGP_MAX_PEDIDOS_PAGE (the desktop app asks limit=10001).
    assert client.get(f"{API}/status/pendente", params={"limit": 10001}).status_code == 200
    assert_error(client.get(f"{API}/status/pendente", params={"limit": 100_001}), 422, "validation_error", "limit")
    assert_error(client.get(f"{API}/status/pendente", params={"limit": 0}), 422, "validation_error", "limit")
    assert_error(client.get(f"{API}/status/pendente", params={"skip": -1}), 422, "validation_error", "skip")


# --- POST /batch-status ---


def test_batch_status_updates_and_reports_missing_ids(client: httpx.Client) -> None:
    a, b = create(client)["id"], create(client)["id"]
    missing = 999_999_999
    body = {"id_pedidos": [a, missing, b, a], "status": "Entregue"}
    r = client.post(f"{API}/batch-status", json=body, headers={"Idempotency-Key": f"batch-{marker()}"})
    assert r.status_code == 200, r.text
    result = msgspec.json.decode(r.content, type=BatchStatusResult)
    assert (result.status, result.updated, result.ids, result.not_found) == ("entregue", 2, [a, b], [missing])
    assert str(result.seq) == r.headers["x-sgp-seq"]
    for pedido_id in (a, b):
        stored = client.get(f"{API}/{pedido_id}").json()
        assert stored["status"] == "entregue" and stored["pronto"] is True and stored["version"] == 2
    replay = client.post(
        f"{API}/batch-status", json=body, headers={"Idempotency-Key": r.request.headers["idempotency-key"]}
    )
    assert replay.status_code == 200 and replay.content == r.content
    assert client.get(f"{API}/{a}").json()["version"] == 2


def test_batch_status_with_only_missing_ids_commits_nothing(client: httpx.Client, server: ServerProcess) -> None:
    before = db_state(server)
    r = client.post(f"{API}/batch-status", json={"id_pedidos": [999_999_998], "status": "pronto"})
    result = msgspec.json.decode(r.content, type=BatchStatusResult)
    assert r.status_code == 200 and result.updated == 0 and result.not_found == [999_999_998]
    assert result.seq is None and "x-sgp-seq" not in r.headers
    assert db_state(server) == before


def test_batch_status_accepts_ids_sent_as_strings(client: httpx.Client) -> None:
    pedido_id = create(client)["id"]
    r = client.post(f"{API}/batch-status", json={"id_pedidos": [str(pedido_id)], "status": "pronto"})
    assert httpx_ok(r)["ids"] == [pedido_id]


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"id_pedidos": [], "status": "pronto"}, 422, "id_pedidos"),
        ({"id_pedidos": [1, "x"], "status": "pronto"}, 422, "id_pedidos[1]"),
        ({"id_pedidos": [0], "status": "pronto"}, 422, "id_pedidos[0]"),
        ({"id_pedidos": [-3], "status": "pronto"}, 422, "id_pedidos[0]"),
        ({"id_pedidos": [2**70], "status": "pronto"}, 422, "id_pedidos[0]"),
        ({"id_pedidos": [1.5], "status": "pronto"}, 422, "id_pedidos[0]"),
        ({"id_pedidos": list(range(1, MAX_BATCH_IDS + 2)), "status": "pronto"}, 422, "id_pedidos"),
        ({"id_pedidos": 1, "status": "pronto"}, 422, "id_pedidos"),
        ({"id_pedidos": [1]}, 422, "status"),
        ({"status": "pronto"}, 422, "id_pedidos"),
        ({"id_pedidos": [1], "status": None}, 422, "status"),
        ([1, 2], 422, None),
    ],
)
def test_batch_status_validation(
    client: httpx.Client, body: Any, status: int, field: str | None, server: ServerProcess
) -> None:
    before = db_state(server)
    error = assert_error(client.post(f"{API}/batch-status", json=body), status, "validation_error", field)
    assert error["detail"]
    assert db_state(server) == before


def test_batch_status_malformed_json_is_400(client: httpx.Client) -> None:
    r = client.post(f"{API}/batch-status", content=b'{"id_pedidos": [1', headers={"content-type": "application/json"})
    assert_error(r, 400, "invalid_json")


# --- GET /summary ---


def summary(client: httpx.Client) -> DashboardSummary:
    r = client.get(f"{API}/summary")
    assert r.status_code == 200, r.text
    return msgspec.json.decode(r.content, type=DashboardSummary)


def test_summary_counts_statuses_and_pending_steps(client: httpx.Client) -> None:
    before = summary(client)
    create(client, status="pendente", financeiro=True)
    create(client, status="em_producao", financeiro=True, conferencia=True, sublimacao=True)
    create(client, status="pronto", financeiro=True, conferencia=True, sublimacao=True, costura=True, expedicao=True)
    create(client, status="entregue")  # closed: not pending whatever its flags
    create(client, status="cancelado")
    after = summary(client)
    por_status = {
        k: getattr(after.por_status, k) - getattr(before.por_status, k)
        for k in msgspec.structs.asdict(after.por_status)
    }
    assert por_status == {"pendente": 1, "em_producao": 1, "pronto": 1, "entregue": 1, "cancelado": 1}
    assert (after.total - before.total, after.em_aberto - before.em_aberto) == (5, 3)
    # `pendentes` is the dashboard's count of status pendente (the client reads it); the steps moved.
    assert after.pendentes - before.pendentes == 1
    steps = after.pendencias_producao, before.pendencias_producao
    pendentes = {k: getattr(steps[0], k) - getattr(steps[1], k) for k in msgspec.structs.asdict(steps[0])}
    assert pendentes == {"financeiro": 0, "conferencia": 1, "sublimacao": 1, "costura": 2, "expedicao": 2}
    everything = listed(client, limit=1)[1]
    assert after.total == everything == sum(msgspec.structs.astuple(after.por_status))


# --- OpenAPI ---


ROUTES = [
    ("post", "/api/v1/pedidos", "PedidoCreate", "Pedido"),
    ("get", "/api/v1/pedidos", None, "Pedido"),
    ("get", "/api/v1/pedidos/status/{status}", None, "Pedido"),
    ("post", "/api/v1/pedidos/batch-status", "BatchStatusRequest", "BatchStatusResult"),
    ("get", "/api/v1/pedidos/summary", None, "DashboardSummary"),
    ("get", "/api/v1/pedidos/{pedido_id}", None, "Pedido"),
    ("get", "/api/v1/pedidos/{pedido_id}/json", None, "Pedido"),
    ("patch", "/api/v1/pedidos/{pedido_id}", "PedidoPatch", "Pedido"),
    ("delete", "/api/v1/pedidos/{pedido_id}", None, "PedidoDeleted"),
]


def test_openapi_documents_every_body_with_fields(client: httpx.Client) -> None:
    spec = httpx_ok(client.get("/openapi.json"))
    components = spec["components"]["schemas"]

    def fields_of(schema: dict[str, Any]) -> dict[str, Any]:
        schema = schema.get("items", schema)
        return components[schema["$ref"].removeprefix("#/components/schemas/")]["properties"]

    for method, path, request, response in ROUTES:
        operation = spec["paths"][path][method]
        if request is not None:
            body = operation["requestBody"]["content"]["application/json"]["schema"]
            assert body["$ref"].endswith(f"/{request}") and fields_of(body), (method, path)
        answer = operation["responses"]["200"]["content"]["application/json"]["schema"]
        assert fields_of(answer) and answer.get("items", answer)["$ref"].endswith(f"/{response}"), (method, path)
        if method != "get":
            assert "X-SGP-Seq" in operation["responses"]["200"]["headers"], (method, path)
    assert {"pendente", "financeiro"} <= set(components["StatusCounts"]["properties"]) | set(
        components["PendenciasProducao"]["properties"]
    )
