"""Every input limit at its boundary: the limit itself is accepted, one more is refused and writes nothing.

The server runs with small `SGP_MAX_BODY_BYTES`, `SGP_MAX_PAGE_SIZE` and
`SGP_MAX_ITEMS`, so these also prove the settings are honoured. Far-past-the-limit
cases (20 MB bodies, 10,000 items, limit=501) are in tests/api/test_pedidos_bad_input.py.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from typing import Any

import httpx
import pytest

from tests.support import ServerProcess, pedido

MAX_BODY = 64 * 1024
MAX_PAGE = 25
MAX_ITEMS = 5
API = "/api/v1/pedidos"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    env = {
        "SGP_MAX_BODY_BYTES": str(MAX_BODY), "SGP_MAX_PAGE_SIZE": str(MAX_PAGE), "SGP_MAX_ITEMS": str(MAX_ITEMS),
        "SGP_MAX_PEDIDOS_PAGE": str(MAX_PAGE),  # the pedidos lists have their own (the desktop app asks 10001)
    }  # fmt: skip
    proc = ServerProcess(tmp_path_factory.mktemp("limits") / "data", workers=1, env=env).start()
    yield proc
    assert proc.stop() == 0, proc.log()


@pytest.fixture(scope="module")
def client(server: ServerProcess) -> Iterator[httpx.Client]:
    with server.client() as http:
        yield http


@pytest.fixture(scope="module")
def target(client: httpx.Client) -> int:
    r = client.post(f"{API}/", json=pedido("Alvo dos limites"))
    assert r.status_code == 200
    return r.json()["id"]


def writes(server: ServerProcess) -> int:
    """The last event seq: every committed write moves it."""
    uri = f"{(server.data_dir / 'sgp.sqlite3').resolve().as_uri()}?mode=ro"
    with closing(sqlite3.connect(uri, uri=True)) as conn:
        return conn.execute("SELECT coalesce(max(seq), 0) FROM events").fetchone()[0]


def padded(body: dict[str, Any], size: int) -> bytes:
    """`body` as JSON followed by whitespace up to exactly `size` bytes (still valid JSON)."""
    raw = json.dumps(body).encode()
    assert len(raw) <= size
    return raw + b" " * (size - len(raw))


def refused(r: httpx.Response, status: int, code: str | None = None, field: str | None = None) -> None:
    assert r.status_code == status, r.text
    error = r.json()
    assert error["detail"]
    if code is not None:
        assert error["code"] == code, error
    if field is not None:
        assert error.get("field") == field, error


# --- body size ------------------------------------------------------------------


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", f"{API}/", pedido("No limite")),
        ("PATCH", f"{API}/{{target}}", {"observacao": "no limite"}),
        ("POST", f"{API}/batch-status", {"id_pedidos": [1], "status": "pendente"}),
        ("POST", "/api/v1/fichas/", {"nome": "Ficha no limite"}),
    ],
    ids=["create", "patch", "batch-status", "ficha"],
)
def test_body_at_the_limit_is_read_one_byte_more_is_413(
    server: ServerProcess, client: httpx.Client, target: int, method: str, path: str, body: dict, chunked: bool
) -> None:
    url = path.format(target=target)

    def send(content: bytes) -> httpx.Response:
        # A generator has no length: httpx sends it chunked, so the server must count while streaming.
        payload = (content[i : i + 8192] for i in range(0, len(content), 8192)) if chunked else content
        return client.request(method, url, content=payload, headers={"content-type": "application/json"})

    at_limit = send(padded(body, MAX_BODY))
    assert at_limit.status_code in (200, 201), at_limit.text
    before = writes(server)
    refused(send(padded(body, MAX_BODY + 1)), 413, "body_too_large")
    assert writes(server) == before


@pytest.mark.parametrize(
    ("path", "limit"),
    [
        ("/auth/login", 4096),
        ("/auth/change-password", 4096),
        ("/api/v1/users/", 16 * 1024),
        ("/api/v1/admin/backup", 64 * 1024),
    ],
)
def test_small_bodies_have_small_limits(server: ServerProcess, client: httpx.Client, path: str, limit: int) -> None:
    before = writes(server)
    r = client.post(
        path,
        content=padded({"username": "x", "password": "y"}, limit + 1),
        headers={"content-type": "application/json"},
    )
    refused(r, 413, "body_too_large")
    assert writes(server) == before


# --- page size, item count --------------------------------------------------------


@pytest.mark.parametrize("path", [f"{API}/", f"{API}/status/pendente", "/api/v1/fichas/"])
def test_page_size_limit(client: httpx.Client, path: str) -> None:
    ok = client.get(path, params={"limit": MAX_PAGE})
    assert ok.status_code == 200 and "x-total-count" in ok.headers, ok.text
    refused(client.get(path, params={"limit": MAX_PAGE + 1}), 422, "validation_error", "limit")
    # No limit sent: the default page (100) shrinks to a smaller SGP_MAX_PAGE_SIZE instead of failing.
    assert client.get(path).status_code == 200


def items(n: int) -> list[dict[str, Any]]:
    return [{"tipo_producao": "painel", "valor_painel": "1", "quantidade_paineis": 1}] * n


def test_item_count_limit(server: ServerProcess, client: httpx.Client, target: int) -> None:
    created = client.post(f"{API}/", json=pedido("Itens no limite", items=items(MAX_ITEMS)))
    assert created.status_code == 200 and len(created.json()["items"]) == MAX_ITEMS
    assert client.patch(f"{API}/{target}", json={"items": items(MAX_ITEMS)}).status_code == 200
    before = writes(server)
    refused(client.post(f"{API}/", json=pedido("Itens demais", items=items(MAX_ITEMS + 1))), 422, field="items")
    refused(client.patch(f"{API}/{target}", json={"items": items(MAX_ITEMS + 1)}), 422, field="items")
    assert writes(server) == before


@pytest.mark.parametrize(("count", "status"), [(1000, 200), (1001, 422), (0, 422)])
def test_batch_status_id_count(client: httpx.Client, count: int, status: int) -> None:
    r = client.post(f"{API}/batch-status", json={"id_pedidos": list(range(1, count + 1)), "status": "pendente"})
    assert r.status_code == status, r.text
    if status == 422:
        assert r.json()["field"] == "id_pedidos"


# --- string lengths ------------------------------------------------------------------

STRINGS = [
    # (field path, body for a value, limit in characters)
    ("cliente", lambda v: pedido(v), 200),
    ("observacao", lambda v: pedido(observacao=v), 5000),
    ("telefone_cliente", lambda v: pedido(telefone_cliente=v), 2000),
    ("obs_pagamento", lambda v: pedido(obs_pagamento=v), 5000),
    ("numero", lambda v: pedido(numero=v), 10),  # the 10-digit OS form (contract)
    ("items[0].descricao", lambda v: pedido(items=[{"descricao": v}]), 5000),
    ("items[0].vendedor", lambda v: pedido(items=[{"vendedor": v}]), 2000),
    ("items[0].tipo_producao", lambda v: pedido(items=[{"tipo_producao": v}]), 40),
]


@pytest.mark.parametrize(("field", "make", "limit"), STRINGS, ids=[s[0] for s in STRINGS])
def test_string_length_limits_count_characters(
    server: ServerProcess, client: httpx.Client, field: str, make: Any, limit: int
) -> None:
    # "ç" is two bytes in UTF-8: the limit is in characters, as clients count them.
    value = "ç" * limit if field != "numero" else "9" * limit
    ok = client.post(f"{API}/", json=make(value))
    assert ok.status_code == 200, ok.text
    before = writes(server)
    refused(client.post(f"{API}/", json=make(value + "a")), 422, field=field)
    assert writes(server) == before


def test_ficha_and_user_string_limits(server: ServerProcess, client: httpx.Client) -> None:
    assert client.post("/api/v1/fichas/", json={"nome": "n" * 200, "descricao": "d" * 5000}).status_code in (200, 201)
    ok = client.post("/api/v1/users/", json={"username": "u" * 64, "password": "p" * 256, "setor": "s" * 100})
    assert ok.status_code == 201, ok.text
    before = writes(server)
    refused(client.post("/api/v1/fichas/", json={"nome": "n" * 201}), 422, field="nome")
    refused(client.post("/api/v1/fichas/", json={"nome": "ok", "descricao": "d" * 5001}), 422, field="descricao")
    for body, field in (
        ({"username": "v" * 65, "password": "senha-forte-1"}, "username"),
        ({"username": "curto", "password": "p" * 257}, "password"),
        ({"username": "curto", "password": "senha-forte-1", "setor": "s" * 101}, "setor"),
    ):
        refused(client.post("/api/v1/users/", json=body), 422, field=field)
    assert writes(server) == before


def test_item_extras_size_and_depth_limits(server: ServerProcess, client: httpx.Client) -> None:
    room = 16_384 - len('{"blob":""}')
    assert client.post(f"{API}/", json=pedido(items=[{"blob": "x" * room}])).status_code == 200
    deep = json.loads("[" * 16 + "]" * 16)
    assert client.post(f"{API}/", json=pedido(items=[{"fundo": deep}])).status_code == 200
    before = writes(server)
    refused(client.post(f"{API}/", json=pedido(items=[{"blob": "x" * (room + 1)}])), 422, field="items[0]")
    r = client.post(f"{API}/", json=pedido(items=[{"fundo": [deep]}]))
    refused(r, 422)
    assert r.json()["field"].startswith("items[0].fundo")
    assert writes(server) == before


def test_query_path_and_header_lengths(server: ServerProcess, client: httpx.Client) -> None:
    assert client.get(f"{API}/", params={"cliente": "c" * 200}).status_code == 200
    assert client.get(f"{API}/", params={"status": " " * 30 + "pendente"}).status_code == 200  # 38 chars
    refused(client.get(f"{API}/", params={"status": "p" * 41}), 422, field="status")
    refused(client.get(f"{API}/status/{'p' * 41}"), 422, field="status")
    before = writes(server)
    ok = client.post(f"{API}/", json=pedido("Chave longa"), headers={"Idempotency-Key": "k" * 200})
    assert ok.status_code == 200
    refused(
        client.post(f"{API}/", json=pedido("Chave longa demais"), headers={"Idempotency-Key": "k" * 201}),
        400,
        "invalid_idempotency_key",
        "Idempotency-Key",
    )
    assert writes(server) == before + 1
    huge_token = httpx.get(f"{server.base_url}{API}/", headers={"Authorization": "Bearer " + "a" * 5000})
    refused(huge_token, 401, "token_malformed")
    echoed = client.get("/health", headers={"X-Request-ID": "r" * 128})
    assert echoed.headers["x-request-id"] == "r" * 128
    replaced = client.get("/health", headers={"X-Request-ID": "r" * 129})
    assert replaced.headers["x-request-id"] != "r" * 129 and len(replaced.headers["x-request-id"]) <= 128
