"""Contract of /api/v1/fichas through the real run_server.py: CRUD with an image, access rules, events."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import os
import uuid
from contextlib import closing
from typing import Any

import httpx
import pytest
import websockets

from tests.support import ServerProcess, run

from .conftest import read_only

API = "/api/v1/fichas"


def png(size: int = 2048) -> bytes:
    return b"\x89PNG\r\n\x1a\n" + os.urandom(size - 8)


def data_url(payload: bytes, mime: str = "image/png") -> str:
    return f"data:{mime};base64," + base64.b64encode(payload).decode()


def client_id() -> int:
    """A client id no other test uses, so list filters see only this test's fichas."""
    return uuid.uuid4().int % 10**12 + 1


def create(client: httpx.Client, **fields: Any) -> dict[str, Any]:
    r = client.post(f"{API}/", json={"nome": "Ficha", **fields})
    assert r.status_code == 200, r.text
    return r.json()


def ficha_count(server: ServerProcess) -> int:
    with closing(read_only(server)) as conn:
        return conn.execute("SELECT count(*) FROM fichas").fetchone()[0]


def test_crud_with_an_image(client: httpx.Client) -> None:
    payload, cid = png(), client_id()
    body = {"client_id": cid, "nome": " Camiseta azul ", "descricao": "frente", "imagem_base64": data_url(payload)}
    r = client.post(f"{API}/", json=body)
    assert r.status_code == 200, r.text
    assert int(r.headers["x-sgp-seq"]) > 0 and b"base64," not in r.content
    ficha = r.json()
    digest = hashlib.sha256(payload).hexdigest()
    assert ficha["nome"] == "Camiseta azul" and ficha["client_id"] == cid and ficha["version"] == 1
    assert ficha["imagem_id"] == digest and ficha["imagem_mime"] == "image/png"
    assert ficha["imagem_path"] == f"/pedidos/imagens/{digest}"
    assert ficha["imagem_url"] == f"{API}/imagens/{ficha['id']}"
    assert ficha["data_criacao"] == ficha["ultima_atualizacao"]
    assert client.get(f"{API}/{ficha['id']}").json() == ficha

    image = client.get(ficha["imagem_url"])
    assert image.status_code == 200 and image.content == payload
    assert image.headers["etag"] == f'"{digest}"' and image.headers["cache-control"] == "private, no-cache"
    assert client.get(ficha["imagem_url"], headers={"If-None-Match": image.headers["etag"]}).status_code == 304
    assert client.get(ficha["imagem_path"]).content == payload

    renamed = client.patch(f"{API}/{ficha['id']}", json={"nome": "Camiseta verde"}).json()
    assert renamed["nome"] == "Camiseta verde" and renamed["imagem_id"] == digest and renamed["version"] == 2

    other = png()
    replaced = client.patch(f"{API}/{ficha['id']}", json={"imagem_base64": data_url(other)}).json()
    assert replaced["imagem_id"] == hashlib.sha256(other).hexdigest() and replaced["descricao"] == "frente"
    assert client.get(ficha["imagem_url"]).content == other

    removed = client.patch(f"{API}/{ficha['id']}", json={"imagem_base64": None})
    assert removed.status_code == 200
    assert removed.json()["imagem_id"] is None and removed.json()["imagem_url"] is None
    assert client.get(ficha["imagem_url"]).json()["code"] == "image_not_found"

    deleted = client.delete(f"{API}/{ficha['id']}")
    assert deleted.status_code == 200 and deleted.json()["deleted"] is True
    assert client.delete(f"{API}/{ficha['id']}").status_code == 404
    assert client.get(f"{API}/{ficha['id']}").status_code == 404
    assert client.get(ficha["imagem_url"]).status_code == 404


def test_list_filters_by_client_and_paginates(client: httpx.Client) -> None:
    cid = client_id()
    made = [create(client, client_id=cid, nome=f"F{i}") for i in range(5)]
    create(client, client_id=client_id(), nome="outro cliente")
    r = client.get(f"{API}/", params={"client_id": cid, "limit": 2, "skip": 1})
    assert r.status_code == 200 and r.headers["x-total-count"] == "5"
    assert [f["id"] for f in r.json()] == [made[3]["id"], made[2]["id"]]  # newest first
    everything = client.get(f"{API}/", params={"limit": 500})
    assert int(everything.headers["x-total-count"]) >= 6
    assert client.get(f"{API}/", params={"limit": 100_000}).json()["field"] == "limit"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"nome": "   "}, "nome"),
        ({}, "nome"),
        ({"nome": "x" * 201}, "nome"),
        ({"nome": "ok", "client_id": 0}, "client_id"),
        ({"nome": "ok", "imagem_base64": data_url(b"<html><script>x</script></html>")}, "imagem_base64"),
        ({"nome": "ok", "imagem_base64": "sha256:" + "f" * 64}, "imagem_base64"),
    ],
)
def test_bad_input_is_422_naming_the_field_and_writes_nothing(
    server: ServerProcess, client: httpx.Client, body: dict[str, Any], field: str
) -> None:
    before = ficha_count(server)
    r = client.post(f"{API}/", json=body)
    assert r.status_code == 422, r.text
    assert r.json()["field"] == field
    assert ficha_count(server) == before


def test_patch_of_a_missing_ficha_is_404_and_bad_image_leaves_it_unchanged(client: httpx.Client) -> None:
    assert client.patch(f"{API}/999999999", json={"nome": "x"}).status_code == 404
    ficha = create(client, imagem_base64=data_url(png()))
    r = client.patch(f"{API}/{ficha['id']}", json={"nome": "novo", "imagem_base64": data_url(b"MZ" + bytes(600))})
    assert r.status_code == 422 and r.json()["field"] == "imagem_base64"
    assert client.get(f"{API}/{ficha['id']}").json() == ficha


def test_access_rules_match_pedidos(server: ServerProcess, client: httpx.Client) -> None:
    ficha = create(client)
    assert httpx.get(f"{server.base_url}{API}/").status_code == 401
    assert client.post("/api/v1/users/", json={"username": "fichas-op", "password": "senha-forte-1"}).status_code == 201
    with server.client(server.login("fichas-op", "senha-forte-1")) as operador:
        assert operador.patch(f"{API}/{ficha['id']}", json={"descricao": "ok"}).status_code == 200
        refused = operador.delete(f"{API}/{ficha['id']}")
        assert refused.status_code == 403 and refused.json()["code"] == "forbidden"
    assert client.get(f"{API}/{ficha['id']}").status_code == 200


def test_writes_are_events_in_the_log(server: ServerProcess, client: httpx.Client) -> None:
    ficha = create(client, nome="Evento")
    client.patch(f"{API}/{ficha['id']}", json={"descricao": "mudou"})
    client.delete(f"{API}/{ficha['id']}")
    with closing(read_only(server)) as conn:
        rows = conn.execute("SELECT type, order_id, payload FROM events ORDER BY seq DESC LIMIT 3").fetchall()
    events = [json.loads(payload) for _, _, payload in reversed(rows)]
    assert [e["type"] for e in events] == ["ficha_created", "ficha_updated", "ficha_deleted"]
    assert all(e["ficha_id"] == ficha["id"] and e["order_id"] is None for e in events)
    assert events[0]["ficha"] == ficha and events[1]["ficha"]["descricao"] == "mudou" and "ficha" not in events[2]
    assert events[0]["user"]["username"] == "admin"


def test_feed_clients_receive_ficha_events(server: ServerProcess, client: httpx.Client) -> None:
    async def scenario() -> tuple[dict[str, Any], dict[str, Any]]:
        async with websockets.connect(f"ws://127.0.0.1:{server.port}/ws/orders?token={server.token}") as ws:
            assert json.loads(await ws.recv())["type"] == "hello"
            ficha = await asyncio.to_thread(create, client, nome="Ao vivo")
            async with asyncio.timeout(10):
                while (message := json.loads(await ws.recv()))["type"] != "ficha_created":
                    pass
            return ficha, message

    ficha, message = run(scenario())
    assert message["ficha_id"] == ficha["id"] and message["ficha"] == ficha


def test_idempotent_create(client: httpx.Client) -> None:
    headers = {"Idempotency-Key": f"ficha-{uuid.uuid4().hex}"}
    body = {"nome": "Uma vez", "imagem_base64": data_url(png())}
    first = client.post(f"{API}/", json=body, headers=headers)
    second = client.post(f"{API}/", json=body, headers=headers)
    assert first.status_code == second.status_code == 200 and first.content == second.content
