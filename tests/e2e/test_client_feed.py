"""The order feed as the SGP desktop client uses it (/work/shared/contract/feed.md), on 2 workers.

Two clients on different workers; every change made by one is seen by the other with
the event types and fields the client handles; its authenticate/ping messages; its
broadcast relayed with forged fields stripped; sockets closed with 1008 and a reason
when their session ends; the nesting bound; a resume from an empty ring paged from
the database.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets

from core.tokens import issue_token, load_or_create_secret
from tests.support import ServerProcess, pedido, run

FLAGS = ("financeiro", "conferencia", "sublimacao", "costura", "expedicao", "pronto", "status")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    proc = ServerProcess(tmp_path_factory.mktemp("client-feed") / "data", workers=2).start()
    yield proc
    assert proc.stop() == 0, proc.log()


def make_user(server: ServerProcess, username: str, setor: str = "vendas") -> tuple[int, str]:
    """(id, session_token) of a new normal user, created the way the admin page does."""
    with server.client() as admin:
        r = admin.post(
            "/users",
            json={
                "username": username,
                "password": "senha-forte-1",
                "is_admin": False,
                "is_active": True,
                "setor": setor,
            },
        )
        assert r.status_code == 201, r.text
    login = httpx.post(f"{server.base_url}/auth/login", json={"username": username, "password": "senha-forte-1"})
    assert login.status_code == 200
    return r.json()["id"], login.json()["session_token"]


class Client:
    """One desktop client's socket: the URL it builds, the authenticate it sends after open."""

    def __init__(self, ws: Any, hello: dict[str, Any]) -> None:
        self.ws = ws
        self.hello = hello
        self.worker = hello["worker"]

    async def until(self, want: Callable[[dict[str, Any]], bool], timeout: float = 20) -> list[dict[str, Any]]:
        """Messages up to and including the first that `want` accepts (server pings skipped)."""
        seen: list[dict[str, Any]] = []
        async with asyncio.timeout(timeout):
            while True:
                message = json.loads(await self.ws.recv())
                if message.get("type") == "ping":
                    continue
                seen.append(message)
                if want(message):
                    return seen

    async def send(self, message: Any) -> None:
        await self.ws.send(message if isinstance(message, str) else json.dumps(message))


async def connect(
    server: ServerProcess, token: str, *, worker: int | None = None, avoid: int | None = None, **params: Any
) -> Client:
    """Open like realtimeOrders.ts (ws://host/ws/orders?token=...), on a given worker or not on one."""
    query = "&".join(f"{k}={v}" for k, v in {"token": token, **params}.items())
    for _ in range(40):
        ws = await websockets.connect(f"ws://127.0.0.1:{server.port}/ws/orders?{query}", max_size=None)
        client = Client(ws, json.loads(await ws.recv()))
        if (worker is None or client.worker == worker) and (avoid is None or client.worker != avoid):
            return client
        await ws.close()
    raise AssertionError("could not reach the wanted worker")


async def pair(server: ServerProcess, token_a: str, token_b: str) -> tuple[Client, Client]:
    a = await connect(server, token_a)
    b = await connect(server, token_b, avoid=a.worker)
    return a, b


async def closed_with(client: Client, timeout: float = 15) -> tuple[int, str]:
    """The close code and reason the server sends (messages before it are skipped)."""
    with pytest.raises(websockets.exceptions.ConnectionClosed) as closed:
        async with asyncio.timeout(timeout):
            while True:
                await client.ws.recv()
    assert closed.value.rcvd is not None
    return closed.value.rcvd.code, closed.value.rcvd.reason


def order_id_of(message: dict[str, Any]) -> int | None:
    """The client's own rule (useOrderEvents.ts:67-73): order_id, pedido_id, order.id, ..."""
    order = message.get("order") or {}
    for value in (message.get("order_id"), message.get("pedido_id"), order.get("id")):
        if isinstance(value, int):
            return value
    return None


def test_authenticate_and_ping_are_answered(server: ServerProcess) -> None:
    async def go() -> tuple[list[dict], list[dict]]:
        client = await connect(server, server.token)
        await client.send({"type": "authenticate", "token": server.token})
        auth = await client.until(lambda m: m["type"] == "authenticated")
        await client.send({"type": "ping", "timestamp": int(time.time() * 1000)})
        pong = await client.until(lambda m: m["type"] == "pong")
        await client.ws.close()
        return auth, pong

    auth, pong = run(go())
    assert auth[-1]["username"] == "admin" and isinstance(auth[-1]["user_id"], int)
    assert pong[-1] == {"type": "pong"}


def test_every_change_reaches_the_other_client_with_the_fields_it_reads(server: ServerProcess) -> None:
    vendas_id, vendas = make_user(server, "vendedora")

    async def go() -> tuple[int, str, list[dict], list[dict]]:
        a, b = await pair(server, server.token, vendas)
        async with server.async_client(vendas) as as_b, server.async_client() as as_a:
            created = (await as_b.post("/pedidos/", json=pedido("Feed Cliente"))).json()  # B creates
            oid = created["id"]
            assert (await as_a.patch(f"/pedidos/{oid}", json={"status": "em_producao"})).status_code == 200  # A
            assert (await as_b.patch(f"/pedidos/{oid}", json={"observacao": "nota"})).status_code == 200  # B
            assert (await as_a.delete(f"/pedidos/{oid}")).status_code == 200  # A (admin)
        seen = []
        for client in (a, b):
            messages = await client.until(lambda m: m["type"] == "order_deleted" and order_id_of(m) == oid)
            seen.append([m for m in messages if order_id_of(m) == oid])
            await client.ws.close()
        return oid, created["numero"], seen[0], seen[1]

    oid, numero, at_a, at_b = run(go())
    # Both clients see every change, in order; a status change is the old server's pair.
    expected = ["order_created", "order_updated", "order_status_updated", "order_updated", "order_deleted"]
    assert [m["type"] for m in at_a] == [m["type"] for m in at_b] == expected
    assert at_a == at_b
    created, updated, status, edit, deleted = at_a
    # Who made it: at the root (useRealtimeNotifications) and inside order (useEditingTracker).
    assert (created["user_id"], created["username"]) == (vendas_id, "vendedora")
    assert created["order"]["numero"] == numero and created["order"]["id"] == oid
    assert (created["order"]["user_id"], created["order"]["username"]) == (vendas_id, "vendedora")
    assert isinstance(created["seq"], int)
    assert updated["seq"] == status["seq"] and updated["order"] == status["order"]
    assert all(flag in status["order"] for flag in FLAGS) and status["order"]["status"] == "em_producao"
    assert status["username"] == "admin" and status["order"]["username"] == "admin"
    assert edit["order"]["observacao"] == "nota" and edit["order"]["user_id"] == vendas_id
    assert deleted["order_id"] == oid and deleted["username"] == "admin" and "order" not in deleted
    assert created["seq"] < status["seq"] < edit["seq"] < deleted["seq"]


def test_client_broadcast_is_relayed_with_forged_fields_stripped(server: ServerProcess) -> None:
    sender_id, sender_token = make_user(server, "difusora")

    async def go() -> tuple[list[dict], list[dict]]:
        listener, sender = await pair(server, server.token, sender_token)
        # Not a type the client broadcasts: refused, never relayed.
        await sender.send({"type": "order_status_changed", "order_id": 5, "seq": 99999, "broadcast": True})
        refused = await sender.until(lambda m: m["type"] == "error")
        # The client's own shape (realtimeOrders.ts broadcastOrderDeleted) plus forged fields.
        await sender.send(
            {
                "type": "order_deleted",
                "order_id": 77,
                "user_id": 1,
                "username": "admin",
                "seq": 99999,
                "order": {"id": 77},
                "user": {"id": 1, "username": "admin"},
                "timestamp": 1700000000000,
                "broadcast": True,
            }
        )
        relayed = await listener.until(lambda m: m.get("relayed") is True)
        await listener.ws.close()
        await sender.ws.close()
        return refused, relayed

    refused, relayed = run(go())
    assert refused[-1]["code"] == "broadcast_refused"
    assert [m for m in relayed if m.get("relayed")] == [relayed[-1]]  # the refused one never arrived
    assert relayed[-1] == {
        "type": "order_deleted",
        "order_id": 77,
        "timestamp": 1700000000000,
        "user_id": sender_id,
        "username": "difusora",
        "relayed": True,
    }


def test_deep_message_is_refused_and_the_socket_lives(server: ServerProcess) -> None:
    async def go() -> tuple[list[dict], list[dict]]:
        client = await connect(server, server.token)
        await client.send("[" * 8000)  # under the size bound: only the nesting bound catches it
        error = await client.until(lambda m: m["type"] == "error")
        await client.send({"type": "ping", "timestamp": 1})
        pong = await client.until(lambda m: m["type"] == "pong")
        await client.ws.close()
        return error, pong

    error, pong = run(go())
    assert error[-1]["code"] == "message_too_deep"
    assert pong[-1] == {"type": "pong"}


@pytest.mark.parametrize("how", ["logout", "password_change", "deactivation"])
def test_ended_session_closes_its_sockets_on_every_worker(server: ServerProcess, how: str) -> None:
    user_id, token = make_user(server, f"sessao-{how.replace('_', '-')}")

    async def go() -> list[tuple[int, str]]:
        first = await connect(server, token)
        second = await connect(server, token, avoid=first.worker)
        with server.client(token) as as_user, server.client() as admin:
            if how == "logout":
                assert as_user.post("/auth/logout").status_code == 200
            elif how == "password_change":
                r = as_user.post(
                    "/auth/change-password", json={"current_password": "senha-forte-1", "new_password": "senha-nova-77"}
                )
                assert r.status_code == 200, r.text
            else:
                assert admin.patch(f"/users/{user_id}", json={"is_active": False}).status_code == 200
        return [await closed_with(first), await closed_with(second)]

    expected = "user_inactive" if how == "deactivation" else "token_revoked"
    assert run(go()) == [(1008, expected), (1008, expected)]


def test_expired_token_closes_the_socket(server: ServerProcess) -> None:
    secret = load_or_create_secret(server.data_dir / "token.key")
    me = httpx.get(f"{server.base_url}/auth/me", headers=server.headers).json()
    # Expired 27 s ago: still inside the 30 s leeway for about 3 s more.
    start = time.time()
    token = issue_token(
        secret, user_id=me["id"], username="admin", is_admin=True, ttl_seconds=3600 - 27, now=start - 3600
    )

    async def go() -> tuple[int, str]:
        client = await connect(server, token)
        return await closed_with(client, timeout=20)

    assert run(go()) == (1008, "token_expired")


def test_resume_from_zero_is_paged_from_the_database(tmp_path: Path) -> None:
    # A page (25 events, ~70 KiB) larger than the buffer: the replay must wait for the reader
    # inside a page too, not only between pages.
    env = {"SGP_WS_REPLAY_PAGE": "25", "SGP_WS_BUFFER_BYTES": "65536"}
    first = ServerProcess(tmp_path / "data", workers=1, env=env).start()
    try:
        with first.client() as client:
            ids = [
                client.post("/pedidos/", json=pedido(f"Hist {i}", observacao="h" * 2000)).json()["id"]
                for i in range(60)
            ]
    finally:
        assert first.stop() == 0, first.log()
    # A new run: the worker's ring is empty, so the history comes from the event log, 25 at a time,
    # through a 64 KiB buffer (the 60 events weigh about 160 KiB).
    again = ServerProcess(tmp_path / "data", workers=1, env=env).start()
    try:

        async def go() -> list[dict]:
            client = await connect(again, again.token, since=0)
            events = await client.until(lambda m: m.get("type") == "order_created" and m["order_id"] == ids[-1])
            await client.ws.close()
            return events

        events = [m for m in run(go()) if m["type"].startswith("order_")]
    finally:
        assert again.stop() == 0, again.log()
    assert [m["order_id"] for m in events] == ids
    assert [m["seq"] for m in events] == list(range(events[0]["seq"], events[0]["seq"] + 60))
    assert all(m["username"] == "admin" and m["order"]["user_id"] == m["user_id"] for m in events)
