"""The order feed end to end: every listener on every worker gets every committed change."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import time
from pathlib import Path

import pytest
import websockets

from tests.support import ADMIN_PASSWORD, ServerProcess, pedido, run


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):
    proc = ServerProcess(
        tmp_path_factory.mktemp("feed") / "data", workers=2, env={"SGP_WS_BUFFER_BYTES": "262144"}
    ).start()
    yield proc
    assert proc.stop() == 0, proc.log()


def ws_url(server: ServerProcess, **params: object) -> str:
    query = "&".join(f"{k}={v}" for k, v in {"token": server.token, **params}.items())
    return f"ws://127.0.0.1:{server.port}/ws/orders?{query}"


async def listen(server: ServerProcess, want: int, **params: object) -> tuple[dict, list[dict]]:
    """Connect, then collect order events until `want` arrived (bounded by a timeout)."""
    async with websockets.connect(ws_url(server, **params), max_size=None) as ws:
        hello = json.loads(await ws.recv())
        events: list[dict] = []
        async with asyncio.timeout(60):
            while len(events) < want:
                message = json.loads(await ws.recv())
                if message["type"].startswith("order_") or message["type"] == "reset":
                    events.append(message)
        return hello, events


async def open_listeners(server: ServerProcess, count: int) -> list:
    """Open `count` listeners spread over both workers (the hello says which)."""
    sockets, workers = [], set()
    for _ in range(60):
        ws = await websockets.connect(ws_url(server), max_size=None)
        hello = json.loads(await ws.recv())
        sockets.append((ws, hello))
        workers.add(hello["worker"])
        if len(sockets) >= count and len(workers) >= 2:
            break
    assert len(workers) == 2
    return sockets


async def drain(ws, want: int) -> list[dict]:
    events = []
    async with asyncio.timeout(60):
        while len(events) < want:
            message = json.loads(await ws.recv())
            if message["type"].startswith("order_"):
                events.append(message)
    return events


def test_every_listener_gets_every_event_in_order(server: ServerProcess) -> None:
    async def go():
        listeners = await open_listeners(server, 8)
        async with server.async_client() as client:
            responses = await asyncio.gather(
                *(client.post("/api/v1/pedidos/", json=pedido(f"F{i}")) for i in range(300))
            )
        assert {r.status_code for r in responses} == {200}
        seqs = sorted(int(r.headers["x-sgp-seq"]) for r in responses)
        received = await asyncio.gather(*(drain(ws, 300) for ws, _ in listeners))
        for ws, _ in listeners:
            await ws.close()
        return seqs, received, responses

    seqs, received, responses = run(go())
    ids = {r.json()["id"] for r in responses}
    for events in received:
        assert [e["seq"] for e in events] == seqs  # all, in order, no duplicates
        assert {e["order_id"] for e in events} == ids
        assert all(e["type"] == "order_created" and e["order"]["id"] == e["order_id"] for e in events)
        assert all(e["user"]["username"] == "admin" for e in events)


def test_resume_with_since_gets_exactly_the_missed_events(server: ServerProcess) -> None:
    async def go():
        async with server.async_client() as client:
            async with websockets.connect(ws_url(server)) as ws:
                hello = json.loads(await ws.recv())
                for i in range(10):
                    await client.post("/api/v1/pedidos/", json=pedido(f"R{i}"))
                first = await drain(ws, 10)
            last_seen = first[4]["seq"]  # pretend we only processed five
            for i in range(10, 20):
                await client.post("/api/v1/pedidos/", json=pedido(f"R{i}"))
            _, resumed = await listen(server, 15, since=last_seen)
            _, too_new = await listen(server, 1, since=10**9)
            _, other_db = await listen(server, 1, since=last_seen, epoch="not-this-one")
        return hello, first, resumed, too_new, other_db

    hello, first, resumed, too_new, other_db = run(go())
    start = hello["seq"]
    assert [e["seq"] for e in first] == list(range(start + 1, start + 11))
    assert [e["seq"] for e in resumed] == list(range(first[4]["seq"] + 1, start + 21))
    assert too_new[0]["type"] == "reset" and other_db[0]["type"] == "reset"


def test_client_broadcast_reaches_other_workers_not_the_sender(server: ServerProcess) -> None:
    async def go():
        listeners = await open_listeners(server, 4)
        sender, sender_hello = listeners[0]
        others = [ws for ws, hello in listeners[1:]]
        other_workers = {hello["worker"] for _, hello in listeners[1:]}
        # The client's own broadcast (realtimeOrders.ts broadcastOrderDeleted); only its types relay.
        await sender.send(json.dumps({"broadcast": True, "type": "order_deleted", "order_id": 7, "timestamp": 1}))
        got = []
        for ws in others:
            async with asyncio.timeout(10):
                while True:
                    message = json.loads(await ws.recv())
                    if message.get("relayed"):
                        got.append(message)
                        break
        await sender.send("ping")
        async with asyncio.timeout(10):
            echoed = [json.loads(await sender.recv())]
        for ws, _ in listeners:
            await ws.close()
        return sender_hello, other_workers, got, echoed, len(others)

    sender_hello, other_workers, got, echoed, other_count = run(go())
    assert len(got) == other_count and all("broadcast" not in m and m["username"] == "admin" for m in got)
    assert all(m["type"] == "order_deleted" and m["order_id"] == 7 and "seq" not in m for m in got)
    assert other_workers - {sender_hello["worker"]}, "no listener on the other worker"
    assert echoed == [{"type": "pong"}]  # the sender got its pong, not its own broadcast


@pytest.mark.parametrize("kind", ["garbage", "expired", "revoked", "missing"])
def test_bad_token_is_refused_before_any_event(server: ServerProcess, kind: str) -> None:
    from core.tokens import issue_token, load_or_create_secret

    if kind == "garbage":
        token = "nope"
    elif kind == "expired":
        secret = load_or_create_secret(server.data_dir / "token.key")
        token = issue_token(secret, user_id=1, username="admin", is_admin=True, ttl_seconds=60, now=time.time() - 3600)
    elif kind == "revoked":
        token = server.login("admin", ADMIN_PASSWORD)
        with server.client(token) as client:
            assert client.post("/auth/logout").status_code == 200
    else:
        token = ""

    async def go() -> tuple[int | None, str]:
        async with websockets.connect(f"ws://127.0.0.1:{server.port}/ws/orders?token={token}") as ws:
            with pytest.raises(websockets.exceptions.ConnectionClosed) as closed:
                await asyncio.wait_for(ws.recv(), 10)  # no hello, no event: only the close
        return closed.value.rcvd.code, closed.value.rcvd.reason

    code, reason = run(go())
    assert code == 1008
    assert reason in {"token_malformed", "token_bad_signature", "token_expired", "token_revoked", "not_authenticated"}


def test_slow_consumer_is_closed_and_others_keep_up(server: ServerProcess) -> None:
    # A hand-made client that never reads (client libraries keep reading into memory), with a
    # small receive buffer so the server's own buffer fills once the kernel's (up to 4 MiB) has.
    slow = socket.socket()
    slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    slow.connect(("127.0.0.1", server.port))
    slow.sendall(
        f"GET /ws/orders?token={server.token} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
        "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n".encode()
    )
    assert slow.recv(12) == b"HTTP/1.1 101"

    async def go():
        async with websockets.connect(ws_url(server), max_size=None) as fast:
            json.loads(await fast.recv())
            reading = asyncio.create_task(drain(fast, 400))
            big = pedido("slow", items=[{"tipo_producao": "generica", "nota": "x" * 15000}])
            async with server.async_client() as client:
                for _ in range(40):
                    await asyncio.gather(*(client.post("/api/v1/pedidos/", json=big) for _ in range(10)))
            return await reading

    fast_events = run(go())
    assert len(fast_events) == 400
    slow.settimeout(15)
    received = b""
    try:
        while chunk := slow.recv(1 << 20):
            received += chunk
    except TimeoutError:
        pass
    finally:
        slow.close()
    # The last frame is a close with code 4008 (0x0fa8) and reason "slow consumer".
    assert received.endswith(b"\x88\x0f\x0f\xa8slow consumer"), received[-40:]


def test_writer_kill_loses_no_event_of_an_acknowledged_write(tmp_path: Path) -> None:
    proc = ServerProcess(tmp_path / "data", workers=2).start()
    try:

        async def go():
            listeners = await open_listeners(proc, 4)
            acked: list[int] = []
            async with proc.async_client(timeout=15) as client:

                async def writer_loop(tag: str) -> None:
                    for i in range(40):
                        r = await client.post("/api/v1/pedidos/", json=pedido(f"{tag}{i}"))
                        if r.status_code == 200:
                            acked.append(int(r.headers["x-sgp-seq"]))
                        else:
                            await asyncio.sleep(0.2)

                async def killer() -> None:
                    await asyncio.sleep(0.5)
                    os.kill(proc.writer_pid(), signal.SIGKILL if hasattr(signal, "SIGKILL") else signal.SIGTERM)

                await asyncio.gather(writer_loop("a"), writer_loop("b"), killer())
            received = []
            for ws, _ in listeners:
                got: set[int] = set()
                try:
                    async with asyncio.timeout(15):
                        while not set(acked) <= got:
                            message = json.loads(await ws.recv())
                            if message["type"].startswith("order_"):
                                got.add(message["seq"])
                except TimeoutError:
                    pass
                received.append(got)
                await ws.close()
            return acked, received

        acked, received = run(go())
        assert len(acked) > 40
        for got in received:
            assert set(acked) <= got, sorted(set(acked) - got)[:10]
    finally:
        proc.stop()


def logged_messages(server: ServerProcess, seqs: list[int]) -> dict[int, tuple[str, ...]]:
    """The texts the per-message path sent for these seqs: `wire_messages` of the logged payloads."""
    import sqlite3

    from api.feed_wire import wire_messages

    db = sqlite3.connect(f"file:{server.data_dir / 'sgp.sqlite3'}?mode=ro", uri=True)
    try:
        marks = ",".join("?" * len(seqs))
        rows = db.execute(f"SELECT seq, payload FROM events WHERE seq IN ({marks})", seqs).fetchall()
    finally:
        db.close()
    return {seq: wire_messages(bytes(payload)) for seq, payload in rows}


def test_batched_fan_out_under_load_is_complete_in_order_and_byte_identical(server: ServerProcess) -> None:
    """12 listeners on both workers, 8 concurrent writers (creates, and status patches = two messages per seq).

    Every listener gets every acknowledged seq exactly once, in order, and every message is the same
    text the per-message path sent (one WebSocket message per message, however the frames were written).
    """

    async def go():
        listeners = await open_listeners(server, 12)
        acked: list[int] = []
        async with server.async_client() as client:

            async def writer(tag: str) -> None:
                mine: list[int] = []
                for i in range(25):
                    if mine and i % 3 == 0:
                        r = await client.patch(f"/api/v1/pedidos/{mine[-1]}", json={"status": "em_producao"})
                    else:
                        r = await client.post("/api/v1/pedidos/", json=pedido(f"B{tag}{i}"))
                        mine.append(r.json()["id"])
                    assert r.status_code == 200, r.text
                    acked.append(int(r.headers["x-sgp-seq"]))

            await asyncio.gather(*(writer(str(w)) for w in range(8)))
        first = min(acked)
        expected = logged_messages(server, list(range(first, max(acked) + 1)))
        want = [text for seq in sorted(expected) for text in expected[seq]]

        async def collect(ws) -> list[str]:
            texts: list[str] = []
            async with asyncio.timeout(60):
                while len(texts) < len(want):
                    text = await ws.recv()
                    if json.loads(text)["type"].startswith("order_"):
                        texts.append(text)
                await ws.send("ping")  # answered after anything already queued: a late extra shows up here
                while (text := await ws.recv()) != '{"type":"pong"}':
                    texts.append(text)
            return texts

        received = await asyncio.gather(*(collect(ws) for ws, _ in listeners))
        for ws, _ in listeners:
            await ws.close()
        return acked, received, {hello["seq"] for _, hello in listeners}, expected, want

    acked, received, starts, expected, want = run(go())
    assert len(acked) == 200 == len(set(acked))
    first = min(acked)
    assert max(starts) < first  # every listener was live before the first write
    assert set(expected) == set(range(first, max(acked) + 1)) and set(acked) <= set(expected)
    assert any(len(texts) == 2 for texts in expected.values())  # status changes: the pair, one seq
    for texts in received:
        assert texts == want  # every seq once, in order, each message byte-identical


def test_feed_frames_are_plain_text_frames_with_the_handshake_unchanged(server: ServerProcess) -> None:
    """A client offering permessage-deflate still gets it negotiated; the feed's frames are whole,
    final, unmasked text frames, one message each (RSV1 clear: uncompressed, RFC 7692 §6)."""
    raw = socket.create_connection(("127.0.0.1", server.port), timeout=15)
    try:
        raw.sendall(
            f"GET /ws/orders?token={server.token} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
            "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
            "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\r\n".encode()
        )
        data = b""
        while b"\r\n\r\n" not in data:
            data += raw.recv(65536)
        head, _, data = data.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 101") and b"permessage-deflate" in head.lower()

        def frame() -> tuple[int, bytes]:
            nonlocal data
            while True:
                if len(data) >= 2:
                    size, at = data[1] & 0x7F, 2
                    if size == 126:
                        size, at = int.from_bytes(data[2:4], "big"), 4
                    elif size == 127:
                        size, at = int.from_bytes(data[2:10], "big"), 10
                    if len(data) >= at + size:
                        first, payload, data = data[0], data[at : at + size], data[at + size :]
                        return first, payload
                data += raw.recv(65536)

        first, payload = frame()
        assert first == 0x81 and json.loads(payload)["type"] == "hello"  # FIN, RSV1-3 clear, text
        with server.client() as client:
            r = client.post("/api/v1/pedidos/", json=pedido("frames"))
            assert r.status_code == 200
            oid, seq = r.json()["id"], int(r.headers["x-sgp-seq"])
            assert client.patch(f"/api/v1/pedidos/{oid}", json={"status": "em_producao"}).status_code == 200
        got = []
        while len(got) < 3:
            first, payload = frame()
            message = json.loads(payload)
            if message["type"] != "ping":
                assert first == 0x81, hex(first)
                got.append((message["type"], message["seq"]))
        assert got == [("order_created", seq), ("order_updated", seq + 1), ("order_status_updated", seq + 1)]
    finally:
        raw.close()
