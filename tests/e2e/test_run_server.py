"""End to end through the real run_server.py with 2 workers on a free loopback port."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import time
from pathlib import Path

import httpx
import pytest

from tests.support import ServerProcess, pedido, run


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):
    proc = ServerProcess(tmp_path_factory.mktemp("e2e") / "data", workers=2).start()
    yield proc
    assert proc.stop() == 0, proc.log()


def count_rows(server: ServerProcess) -> int:
    conn = sqlite3.connect(f"file:{server.data_dir / 'sgp.sqlite3'}?mode=ro", uri=True)
    try:
        return conn.execute("SELECT count(*) FROM pedidos").fetchone()[0]
    finally:
        conn.close()


def test_200_concurrent_creates_get_200_consecutive_numeros(server: ServerProcess) -> None:
    before = count_rows(server)

    async def go():
        limits = httpx.Limits(max_connections=200, max_keepalive_connections=200)
        async with server.async_client(limits=limits) as client:
            responses = await asyncio.gather(
                *(client.post("/api/v1/pedidos/", json=pedido(f"Cliente {i}")) for i in range(200))
            )
        # Both workers serve (the kernel spreads connections; fresh ones reach both quickly).
        workers: set[int] = set()
        for _ in range(100):
            async with server.async_client() as fresh:
                workers.add((await fresh.get("/health")).json()["worker"])
            if len(workers) == 2:
                break
        return responses, workers

    responses, workers = run(go())
    assert [r.status_code for r in responses] == [200] * 200
    numeros = sorted(int(r.json()["numero"]) for r in responses)
    assert numeros == list(range(numeros[0], numeros[0] + 200))
    assert all(len(r.json()["numero"]) == 10 for r in responses)
    assert count_rows(server) == before + 200
    assert len(workers) == 2


def test_read_your_own_write_on_any_worker(server: ServerProcess) -> None:
    with server.client() as client:
        for i in range(20):
            created = client.post("/api/v1/pedidos/", json=pedido(f"RYOW {i}")).json()
            # A new connection may land on the other worker; the row is there already.
            fresh = httpx.get(f"{server.base_url}/api/v1/pedidos/{created['id']}", headers=server.headers, timeout=10)
            assert fresh.status_code == 200 and fresh.json()["numero"] == created["numero"]


def test_idempotency_key_sequential_and_concurrent(server: ServerProcess) -> None:
    body = pedido("Idempotente")
    with server.client() as client:
        first = client.post("/api/v1/pedidos/", json=body, headers={"Idempotency-Key": "seq-1"})
        again = client.post("/api/v1/pedidos/", json=body, headers={"Idempotency-Key": "seq-1"})
        assert first.status_code == again.status_code == 200
        assert first.content == again.content
        other = client.post("/api/v1/pedidos/", json=pedido("Outro"), headers={"Idempotency-Key": "seq-1"})
        assert other.status_code == 422 and other.json()["code"] == "idempotency_key_reused"

    async def concurrent():
        async with server.async_client() as client:
            return await asyncio.gather(
                *(client.post("/api/v1/pedidos/", json=body, headers={"Idempotency-Key": "conc-1"}) for _ in range(20))
            )

    responses = run(concurrent())
    assert {r.status_code for r in responses} == {200}
    assert len({r.content for r in responses}) == 1
    listed = server.client().get("/api/v1/pedidos/", params={"cliente": "Idempotente"}).json()
    assert len(listed) == 2  # one for seq-1, one for conc-1


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        (b"{not json", 400, None),
        (b'{"data_entrada": "2026-11-29"}', 422, "cliente"),
        (b'{"cliente": "X"}', 422, "data_entrada"),
        (b'{"cliente": "X", "data_entrada": "29/11/2026"}', 422, "data_entrada"),
        (b'{"cliente": 5, "data_entrada": "2026-11-29"}', 422, "cliente"),
        (b'{"cliente": "X", "data_entrada": "2026-11-29", "items": "nope"}', 422, "items"),
        (b'{"cliente": "X", "data_entrada": "2026-11-29", "status": "voando"}', 422, "status"),
        (b"[]", 422, None),
        (b"", 400, None),
    ],
)
def test_bad_input_is_4xx_and_writes_nothing(
    server: ServerProcess, body: bytes, status: int, field: str | None
) -> None:
    before = count_rows(server)
    r = httpx.post(
        f"{server.base_url}/api/v1/pedidos/",
        content=body,
        headers={"content-type": "application/json", **server.headers},
    )
    assert r.status_code == status, r.text
    error = r.json()
    assert error["code"] and error["detail"]
    if field is not None:
        assert error["field"] == field
    assert count_rows(server) == before


def test_oversized_body_is_413(server: ServerProcess) -> None:
    before = count_rows(server)
    big = b'{"cliente": "X", "data_entrada": "2026-11-29", "observacao": "' + b"a" * (17 * 1024 * 1024) + b'"}'
    r = httpx.post(f"{server.base_url}/api/v1/pedidos/", content=big, headers=server.headers, timeout=30)
    assert r.status_code == 413 and r.json()["code"] == "body_too_large"
    assert count_rows(server) == before


def test_kill_writer_reads_go_on_writes_503_then_recover(tmp_path: Path) -> None:
    proc = ServerProcess(tmp_path / "data", workers=2, env={"SGP_WRITE_DEADLINE_S": "0.3"}).start()
    acknowledged: list[int] = []
    try:
        with proc.client() as client:
            for i in range(5):
                acknowledged.append(client.post("/api/v1/pedidos/", json=pedido(f"antes {i}")).json()["id"])
            old_pid = proc.writer_pid()
            os.kill(old_pid, signal.SIGKILL if hasattr(signal, "SIGKILL") else signal.SIGTERM)
            time.sleep(0.2)
            statuses = []
            started = time.monotonic()
            while time.monotonic() - started < 30:
                t0 = time.monotonic()
                r = client.post("/api/v1/pedidos/", json=pedido("durante"))
                # Restarting takes ~1 s (backoff + spawn), longer than the 0.3 s deadline.
                assert time.monotonic() - t0 < 0.3 + 1.5, "a write hung past the deadline"
                statuses.append(r.status_code)
                if r.status_code == 200:
                    acknowledged.append(r.json()["id"])
                    break
                assert r.status_code == 503 and r.headers.get("retry-after"), r.text
                # Reads keep working while the writer is down.
                assert client.get(f"/api/v1/pedidos/{acknowledged[0]}").status_code == 200
            assert statuses[-1] == 200, statuses
            assert 503 in statuses
            assert proc.writer_pid() != old_pid
            for i in range(5):
                acknowledged.append(client.post("/api/v1/pedidos/", json=pedido(f"depois {i}")).json()["id"])
            for pedido_id in acknowledged:
                assert client.get(f"/api/v1/pedidos/{pedido_id}").status_code == 200
            health = client.get("/health/writer").json()
            assert health["status"] == "ok" and health["restarts"] >= 1
    finally:
        assert proc.stop() == 0, proc.log()
    assert "writer died" in proc.log()
