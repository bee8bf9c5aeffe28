"""Clients with short timeouts retry with the same Idempotency-Key while the writer is killed: 0 duplicates."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import time
from collections import Counter
from contextlib import closing
from pathlib import Path

import httpx
import pytest

from tests.support import ServerProcess, pedido, run

from .load import read_db

KILL = getattr(signal, "SIGKILL", signal.SIGTERM)
CLIENTS = 12
PER_CLIENT = 8

pytestmark = pytest.mark.timeout(90)


async def create_until_acknowledged(http: httpx.AsyncClient, key: str, body: dict, attempts: Counter[str]) -> dict:
    """What an SGP client does: resend the same request with the same key until it gets a 2xx."""
    give_up = time.monotonic() + 40
    while time.monotonic() < give_up:
        attempts["sent"] += 1
        try:
            # 0.8 s is shorter than a write may take while the writer restarts: the client gives up
            # on requests the server may still commit, then sends them again.
            r = await http.post("/api/v1/pedidos/", json=body, headers={"Idempotency-Key": key}, timeout=0.8)
        except httpx.TimeoutException:
            attempts["timeout"] += 1
            continue
        attempts[str(r.status_code)] += 1
        if r.status_code == 200:
            return r.json()
        assert r.status_code == 503, r.text
        await asyncio.sleep(0.1)
    raise AssertionError(f"{key} never acknowledged")


async def kill_writer(server: ServerProcess, times: int) -> None:
    for _ in range(times):
        await asyncio.sleep(1.0)
        old = server.writer_pid()
        os.kill(old, KILL)
        while server.writer_pid() == old:
            await asyncio.sleep(0.05)


def test_retries_with_the_same_key_never_duplicate(tmp_path: Path) -> None:
    server = ServerProcess(tmp_path / "data", workers=2, env={"SGP_WRITE_DEADLINE_S": "1.0"}).start()
    attempts: Counter[str] = Counter()
    try:

        async def client(http: httpx.AsyncClient, index: int) -> list[tuple[str, dict]]:
            done = []
            for n in range(PER_CLIENT):
                cliente = f"Retry {index}-{n}"
                answer = await create_until_acknowledged(http, f"retry-{index}-{n}", pedido(cliente), attempts)
                done.append((cliente, answer))
                await asyncio.sleep(0.2)
            return done

        async def go() -> list[tuple[str, dict]]:
            killer = asyncio.create_task(kill_writer(server, 2))
            async with server.async_client() as http:
                results = await asyncio.gather(*(client(http, i) for i in range(CLIENTS)))
            await killer
            return [item for done in results for item in done]

        acknowledged = run(go())
        assert attempts["503"] + attempts["timeout"] > 0, attempts  # the kills were felt: there were retries
        with closing(read_db(server)) as conn:
            rows = conn.execute("SELECT id, cliente, doc FROM pedidos WHERE cliente LIKE 'Retry %'").fetchall()
        per_cliente = Counter(cliente for _, cliente, _ in rows)
        assert [c for c, n in per_cliente.items() if n > 1] == []  # 0 duplicates
        assert len(rows) == CLIENTS * PER_CLIENT
        by_id = {row[0]: (row[1], json.loads(row[2])) for row in rows}
        for cliente, answer in acknowledged:
            assert by_id[answer["id"]][0] == cliente  # the answer names the one row that exists
            assert by_id[answer["id"]][1]["numero"] == answer["numero"]
    finally:
        assert server.stop() == 0, server.log()
