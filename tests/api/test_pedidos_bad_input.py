"""Bad input never causes a 500 and never writes anything; SQL-looking text is only text."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from tests.support import ServerProcess, pedido

from .conftest import db_state

API = "/api/v1/pedidos"
HUGE_ID = 2**70
DEEP = 100_000  # nesting far past any recursion limit


def body_of(fields: dict[str, Any]) -> bytes:
    return json.dumps(pedido(**fields)).encode()


def item_body(item: dict[str, Any]) -> bytes:
    return body_of({"items": [item]})


BAD_BODIES: list[tuple[str, bytes, int, str | None]] = [
    ("malformed", b"{not json", 400, None),
    ("truncated", b'{"cliente": "X", "data_entrada": "2026-11-29"', 400, None),
    ("trailing comma", b'{"cliente": "X", "data_entrada": "2026-11-29",}', 400, None),
    ("not utf-8", b'{"cliente": "\xff\xfe", "data_entrada": "2026-11-29"}', 400, None),
    ("lone surrogate", b'{"cliente": "\\ud800", "data_entrada": "2026-11-29"}', 400, None),
    ("deeply nested", item_body({"x": 1}).replace(b'"x": 1', b'"x": ' + b"[" * DEEP + b"]" * DEEP), 400, None),
    ("deeply nested item extra", item_body({"x": 1}).replace(b'"x": 1', b'"x": ' + b"[" * 900 + b"]" * 900), 422, None),
    ("array body", b"[]", 422, None),
    ("cliente as number", body_of({"cliente": 5}), 422, "cliente"),
    ("blank cliente", body_of({"cliente": "   "}), 422, "cliente"),
    ("date as number", body_of({"data_entrada": 20261129}), 422, "data_entrada"),
    ("impossible date", body_of({"data_entrada": "2026-02-30"}), 422, "data_entrada"),
    ("prioridade", body_of({"prioridade": "URGENTE"}), 422, "prioridade"),
    ("flag as text", body_of({"financeiro": "talvez"}), 422, "financeiro"),
    ("money as list", body_of({"valor_frete": [1]}), 422, "valor_frete"),
    ("negative money", body_of({"valor_frete": "-5"}), 422, "valor_frete"),
    ("money beyond the limit", body_of({"valor_frete": "1e30"}), 422, "valor_frete"),
    ("items as text", body_of({"items": "nope"}), 422, "items"),
    ("item as number", body_of({"items": [1]}), 422, "items[0]"),
    ("quantity as text", item_body({"quantidade_paineis": "muitas"}), 422, "items[0].quantidade_paineis"),
    ("negative quantity", item_body({"quantidade_lona": -1}), 422, "items[0].quantidade_lona"),
    ("huge quantity", item_body({"quantidade_totem": 10**9}), 422, "items[0].quantidade_totem"),
    ("acabamento as text", item_body({"acabamento": "ilhos"}), 422, "items[0].acabamento"),
    ("id beyond 64 bits", body_of({"forma_envio_id": HUGE_ID}), 422, "forma_envio_id"),
    ("item id beyond 64 bits", item_body({"id": HUGE_ID}), 422, "items[0].id"),
    ("item extra beyond 64 bits", item_body({"legado": [1, HUGE_ID]}), 422, "items[0].legado[1]"),
    ("item extras too big", item_body({"blob": "x" * 20_000}), 422, "items[0]"),
    ("numero too long", body_of({"numero": "9" * 25}), 422, "numero"),
    ("10,000 items", body_of({"items": [{"tipo_producao": "painel", "valor_painel": "1"}] * 10_000}), 422, "items"),
    ("empty body", b"", 400, None),
]


@pytest.fixture
def unchanged(server: ServerProcess):
    """Asserts, after the test, that the database did not change."""
    before = db_state(server)
    yield
    assert db_state(server) == before


def check(r: httpx.Response, status: int, field: str | None = None) -> None:
    assert r.status_code == status, r.text
    error = r.json()
    assert error["code"] and error["detail"], error
    if field is not None:
        assert error.get("field") == field, error


@pytest.mark.usefixtures("unchanged")
@pytest.mark.parametrize(
    ("body", "status", "field"), [case[1:] for case in BAD_BODIES], ids=[case[0] for case in BAD_BODIES]
)
def test_bad_create_body(client: httpx.Client, body: bytes, status: int, field: str | None) -> None:
    check(client.post(f"{API}/", content=body, headers={"content-type": "application/json"}), status, field)


@pytest.fixture(scope="module")
def existing(client: httpx.Client) -> dict[str, Any]:
    r = client.post(f"{API}/", json=pedido("Alvo dos PATCH"))
    assert r.status_code == 200, r.text
    return r.json()


@pytest.mark.usefixtures("unchanged")
@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        (b"{not json", 400, None),
        (b"[]", 422, None),
        (b'{"cliente": ""}', 422, "cliente"),
        (b'{"numero": "12-A"}', 422, "numero"),  # an empty numero keeps the current one (contract)
        (b'{"data_entrada": "ontem"}', 422, "data_entrada"),  # null/"" is today (contract)
        (b'{"items": [{"valor_cordinha": "x"}]}', 422, "items[0].valor_cordinha"),
        (b'{"forma_envio_id": 1180591620717411303424}', 422, "forma_envio_id"),
        (b'{"pronto": [true]}', 422, "pronto"),
    ],
)
def test_bad_patch_body(
    client: httpx.Client, existing: dict[str, Any], body: bytes, status: int, field: str | None
) -> None:
    r = client.patch(f"{API}/{existing['id']}", content=body, headers={"content-type": "application/json"})
    check(r, status, field)


@pytest.mark.usefixtures("unchanged")
def test_20_mb_body_is_413(client: httpx.Client) -> None:
    big = b'{"cliente": "X", "data_entrada": "2026-11-29", "observacao": "' + b"a" * (20 * 1024 * 1024) + b'"}'
    check(client.post(f"{API}/", content=big), 413)
    check(client.post(f"{API}/batch-status", content=big), 413)


@pytest.mark.usefixtures("unchanged")
@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": -1}, "limit"),
        ({"limit": 0}, "limit"),
        ({"limit": 100_001}, "limit"),  # up to SGP_MAX_PEDIDOS_PAGE: the client asks 10001
        ({"limit": 10**30}, "limit"),
        ({"limit": "dez"}, "limit"),
        ({"skip": -1}, "skip"),
        ({"skip": 10**30}, "skip"),
        ({"is_pronto": "talvez"}, "is_pronto"),
        ({"cliente": "x" * 201}, "cliente"),
        ({"status": "'; DROP TABLE pedidos; --"}, "status"),
    ],
)
def test_bad_list_query(client: httpx.Client, params: dict[str, Any], field: str) -> None:
    check(client.get(f"{API}/", params=params), 422, field)


@pytest.mark.usefixtures("unchanged")
@pytest.mark.parametrize(
    ("params", "field"), [({"data_inicio": "ontem"}, "data_inicio"), ({"data_fim": "2026-13-01"}, "data_fim")]
)
def test_bad_list_dates_are_400_as_on_the_old_server(client: httpx.Client, params: dict[str, Any], field: str) -> None:
    r = client.get(f"{API}/", params=params)
    check(r, 400, field)
    assert "Use o formato YYYY-MM-DD" in r.json()["detail"]


@pytest.mark.usefixtures("unchanged")
@pytest.mark.parametrize("bad_id", [str(HUGE_ID), str(2**62 + 1), "0"])
def test_bad_ids_in_the_path_are_422(client: httpx.Client, bad_id: str) -> None:
    check(client.get(f"{API}/{bad_id}"), 422, "pedido_id")
    check(client.get(f"{API}/{bad_id}/json"), 422, "pedido_id")
    check(client.patch(f"{API}/{bad_id}", json={"observacao": "x"}), 422, "pedido_id")
    check(client.delete(f"{API}/{bad_id}"), 422, "pedido_id")


@pytest.mark.usefixtures("unchanged")
@pytest.mark.parametrize("bad_id", ["-1", "abc", "1.5", "1e3"])
def test_ids_that_are_not_digits_match_no_route(client: httpx.Client, bad_id: str) -> None:
    # The paths declare `{pedido_id:int}` (route order no longer matters): anything but digits is
    # no pedido route at all, 404, never pedido 1 or 1000. The desktop client only sends the ids it read.
    check(client.get(f"{API}/{bad_id}"), 404)
    check(client.get(f"{API}/{bad_id}/json"), 404)
    check(client.patch(f"{API}/{bad_id}", json={"observacao": "x"}), 404)
    check(client.delete(f"{API}/{bad_id}"), 404)


@pytest.mark.usefixtures("unchanged")
def test_bad_batch_bodies(client: httpx.Client) -> None:
    check(
        client.post(f"{API}/batch-status", json={"id_pedidos": list(range(1, 100_001)), "status": "pronto"}),
        422,
        "id_pedidos",
    )
    check(client.post(f"{API}/batch-status", json={"id_pedidos": [HUGE_ID], "status": "pronto"}), 422, "id_pedidos[0]")
    check(client.post(f"{API}/batch-status", content=b'{"id_pedidos": [1], "x": ' + b"[" * DEEP), 400)
    check(
        client.post(f"{API}/batch-status", json={"id_pedidos": [1], "status": "'; DROP TABLE pedidos; --"}),
        422,
        "status",
    )


@pytest.mark.usefixtures("unchanged")
def test_bad_idempotency_key_is_400(client: httpx.Client) -> None:
    r = client.post(f"{API}/", json=pedido(), headers={"Idempotency-Key": "espaço não vale".encode()})
    check(r, 400, "Idempotency-Key")


SQL = "'; DROP TABLE pedidos; --"


def test_sql_looking_text_is_stored_literally(client: httpx.Client, server: ServerProcess) -> None:
    rows_before = db_state(server)[0]
    tricky = [SQL, 'Robert"); DELETE FROM events; --', "100% _off\\"]
    created = []
    for cliente in tricky:
        r = client.post(f"{API}/", json=pedido(cliente, observacao=SQL))
        assert r.status_code == 200, r.text
        created.append(r.json())
    assert [p["cliente"] for p in created] == tricky
    assert db_state(server)[0] == rows_before + len(tricky)  # the table survives, every row is there
    for p in created:
        stored = client.get(f"{API}/{p['id']}").json()
        assert stored["cliente"] == p["cliente"] and stored["observacao"] == SQL
    # Filters are parameters and LIKE wildcards are escaped: each finds only its own row.
    for p in created:
        found = client.get(f"{API}/", params={"cliente": p["cliente"]}).json()
        assert [f["id"] for f in found] == [p["id"]]
    assert client.get(f"{API}/", params={"cliente": "%"}).json() == [created[2]]
    assert client.get(f"{API}/status/{SQL}").status_code == 422
