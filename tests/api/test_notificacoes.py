"""/api/notificacoes and the `designer_art_ready` feed message, as the desktop app uses them."""

from __future__ import annotations

import asyncio
import json

import httpx
import websockets

from tests.support import ServerProcess, run

from .client_payloads import client_item, client_pedido

NOTIF_FIELDS = (
    "id", "notification_id", "user_id", "order_id", "art_id", "tipo", "titulo", "mensagem", "visualizada",
    "created_at", "read_at",
)  # fmt: skip


def designer(server: ServerProcess, client: httpx.Client, username: str) -> tuple[int, httpx.Client]:
    r = client.post("/users", json={"username": username, "password": "senha-forte-1", "setor": "designer"})
    assert r.status_code == 201, r.text
    return r.json()["id"], server.client(server.login(username, "senha-forte-1"))


def release(client: httpx.Client, *designers: str) -> dict:
    r = client.post("/pedidos/", json=client_pedido("Loja Notificada", [client_item(designer=d) for d in designers]))
    assert r.status_code == 200, r.text
    pedido = r.json()
    r = client.patch(f"/pedidos/{pedido['id']}", json={"financeiro": True})
    assert r.status_code == 200, r.text
    return pedido


def unread(http: httpx.Client, prefix: str = "") -> list[dict]:
    # Exactly the client's call: plain fetch, base path kept.
    r = http.get(f"{prefix}/api/notificacoes/designer?include_read=false&limit=50")
    assert r.status_code == 200, r.text
    return r.json()


def test_financeiro_release_notifies_each_items_designer(server: ServerProcess, client: httpx.Client) -> None:
    user_id, julia = designer(server, client, "julia")
    _, outro = designer(server, client, "marcos")
    pedido = release(client, "Júlia", "Ninguém", "JULIA")  # names match usernames ignoring case and accents
    notes = unread(julia)
    assert len(notes) == 2 and unread(outro) == []
    for note in notes:
        assert set(NOTIF_FIELDS) <= set(note)
        assert note["user_id"] == user_id and note["order_id"] == pedido["id"] and note["tipo"] == "designer_art_ready"
        assert note["visualizada"] is False and note["read_at"] is None and note["titulo"] and note["mensagem"]
    assert sorted(n["art_id"] for n in notes) == [0, 2]
    # A second save with financeiro still true notifies nobody again.
    client.patch(f"/pedidos/{pedido['id']}", json={"financeiro": True, "observacao": "de novo"})
    assert len(unread(julia)) == 2
    assert unread(julia, "/api/v1") == unread(julia)  # a base URL ending in /api/v1 keeps its path here


def test_read_one_and_read_all_touch_only_the_callers(server: ServerProcess, client: httpx.Client) -> None:
    _, ana = designer(server, client, "ana.arte")
    _, bia = designer(server, client, "bia.arte")
    release(client, "ana.arte", "ana.arte", "bia.arte")
    first, second = unread(ana)
    assert bia.patch(f"/api/notificacoes/{first['notification_id']}/read").status_code == 404
    r = ana.patch(f"/api/notificacoes/{first['notification_id']}/read")
    assert r.status_code == 200, r.text
    assert [n["id"] for n in unread(ana)] == [second["id"]]
    everything = ana.get("/api/notificacoes/designer?include_read=true&limit=50").json()
    read = next(n for n in everything if n["id"] == first["id"])
    assert read["visualizada"] is True and read["read_at"]
    assert ana.patch("/api/notificacoes/read-all").status_code == 200
    assert unread(ana) == [] and len(unread(bia)) == 1


def test_designer_art_ready_reaches_only_its_recipient_with_the_fields_the_client_reads(
    server: ServerProcess, client: httpx.Client
) -> None:
    user_id, caio = designer(server, client, "caio")
    caio_token = caio.headers["Authorization"].removeprefix("Bearer ")

    async def collect(token: str, until_cliente: str, ready: asyncio.Event) -> list[dict]:
        """Every message up to the order_created of the marker pedido (created after the release)."""
        url = f"ws://127.0.0.1:{server.port}/ws/orders?token={token}"
        seen: list[dict] = []
        async with websockets.connect(url, max_size=None) as ws:
            await ws.recv()  # hello
            ready.set()
            async with asyncio.timeout(30):
                while True:
                    message = json.loads(await ws.recv())
                    seen.append(message)
                    order = message.get("order") or {}
                    if message["type"] == "order_created" and order.get("cliente") == until_cliente:
                        return seen

    async def go() -> tuple[list[dict], list[dict]]:
        ready = [asyncio.Event(), asyncio.Event()]
        tokens = (caio_token, server.token)
        listeners = [asyncio.create_task(collect(t, "Marcador", r)) for t, r in zip(tokens, ready, strict=True)]
        async with asyncio.timeout(30):
            for event in ready:
                await event.wait()
        await asyncio.to_thread(release, client, "Caio")
        await asyncio.to_thread(client.post, "/pedidos/", json=client_pedido("Marcador", []))
        return tuple(await asyncio.gather(*listeners))  # type: ignore[return-value]

    mine, others = run(go())
    art = [m for m in mine if m["type"] == "designer_art_ready"]
    assert len(art) == 1
    message = art[0]
    assert isinstance(message["notification_id"], str) and message["user_id"] == user_id
    assert message["order_id"] and message["art_id"] == 0 and message["title"] and message["message"]
    assert message["created_at"]
    assert [m for m in others if m["type"] == "designer_art_ready"] == []  # the admin's desktop is not told
    assert any(m["type"] == "order_updated" for m in others)  # but sees the release itself


def test_ultimos_answers_the_newest_pedido_id_and_long_polls(server: ServerProcess, client: httpx.Client) -> None:
    pedido = release(client, "ninguem")
    body = client.get("/api/notificacoes/ultimos").json()
    assert body["ultimo_id"] == pedido["id"] and body["timestamp"].startswith("20")
    # Nothing newer within the wait: the same id comes back.
    assert (
        client.get("/api/notificacoes/ultimos", params={"apos": pedido["id"], "espera": 0.3}).json()["ultimo_id"]
        == pedido["id"]
    )

    async def go() -> int:
        async with server.async_client() as http:
            waiting = asyncio.create_task(
                http.get("/api/notificacoes/ultimos", params={"apos": pedido["id"], "espera": 20})
            )
            await asyncio.sleep(0.5)
            assert not waiting.done()
            created = (await http.post("/pedidos/", json=client_pedido("Novo", []))).json()
            answer = (await waiting).json()
            assert answer["ultimo_id"] == created["id"]
            return created["id"]

    assert run(go()) > pedido["id"]
