"""A mixed load (create 50 / patch 20 / get 15 / list 15) that keeps a ledger of what was acknowledged.

The fault tests run it against a real run_server.py while they kill processes,
then check the ledger against the database: every write answered 2xx must be
there with its data, whatever happened meanwhile.
"""

from __future__ import annotations

import asyncio
import json
import random
import sqlite3
import time
from collections import Counter
from contextlib import closing
from dataclasses import dataclass, field
from typing import Any

import httpx

from tests.support import ServerProcess, pedido

API = "/api/v1/pedidos"
WRITES = ("create", "patch")


@dataclass
class Ledger:
    """What the clients were told, and how long it took."""

    created: dict[int, str] = field(default_factory=dict)  # id -> cliente of an acknowledged create
    # id -> observacao of the last acknowledged write, and what was sent after it with an unknown outcome.
    observacao: dict[int, str] = field(default_factory=dict)
    unsure: dict[int, set[str]] = field(default_factory=dict)
    statuses: Counter[tuple[str, int]] = field(default_factory=Counter)
    transport_errors: list[tuple[str, float, str]] = field(default_factory=list)  # (op, when, error)
    slowest: dict[str, float] = field(default_factory=dict)
    write_acks: list[float] = field(default_factory=list)  # monotonic time of each 2xx write

    def record(self, op: str, status: int, started: float) -> None:
        now = time.monotonic()
        self.statuses[(op, status)] += 1
        self.slowest[op] = max(self.slowest.get(op, 0.0), now - started)
        if op in WRITES and 200 <= status < 300:
            self.write_acks.append(now)

    def acks_after(self, moment: float) -> int:
        return sum(1 for t in self.write_acks if t > moment)

    def bad_statuses(self, allowed: frozenset[int] = frozenset({200, 503})) -> dict[tuple[str, int], int]:
        return {k: n for k, n in self.statuses.items() if k[1] not in allowed}


async def _client(http: httpx.AsyncClient, index: int, stop_at: float, ledger: Ledger, rng: random.Random) -> None:
    mine: list[int] = []
    n = 0
    while time.monotonic() < stop_at:
        n += 1
        roll = rng.random()
        op = "create" if roll < 0.5 or not mine else "patch" if roll < 0.7 else "get" if roll < 0.85 else "list"
        started = time.monotonic()
        try:
            if op == "create":
                cliente = f"Carga {index}-{n}"
                r = await http.post(f"{API}/", json=pedido(cliente, observacao=f"c{index}-{n}"))
                if r.status_code == 200:
                    created = r.json()
                    assert created["cliente"] == cliente, created
                    ledger.created[created["id"]] = cliente
                    ledger.observacao[created["id"]] = f"c{index}-{n}"
                    mine.append(created["id"])
            elif op == "patch":
                target = rng.choice(mine)
                value = f"p{index}-{n}"
                ledger.unsure.setdefault(target, set()).add(value)
                r = await http.patch(f"{API}/{target}", json={"observacao": value})
                if r.status_code == 200:
                    assert r.json()["observacao"] == value
                    ledger.observacao[target] = value
                    ledger.unsure[target].clear()
            elif op == "get":
                r = await http.get(f"{API}/{rng.choice(mine)}")
            else:
                r = await http.get(f"{API}/", params={"limit": 20})
        except httpx.HTTPError as exc:
            ledger.transport_errors.append((op, time.monotonic(), repr(exc)))
            await asyncio.sleep(0.05)
            continue
        ledger.record(op, r.status_code, started)
        if r.status_code == 503:
            assert r.headers.get("retry-after"), r.text
            await asyncio.sleep(0.05)  # a real client would honour Retry-After; keep the pressure on


async def mixed_load(server: ServerProcess, *, clients: int, seconds: float, ledger: Ledger, timeout: float) -> None:
    """`clients` concurrent clients for `seconds`, each on its own keep-alive connection."""
    stop_at = time.monotonic() + seconds
    rng = random.Random(8)
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with server.async_client(limits=limits, timeout=timeout) as http:
        await asyncio.gather(*(_client(http, i, stop_at, ledger, random.Random(rng.random())) for i in range(clients)))


def read_db(server: ServerProcess) -> sqlite3.Connection:
    return sqlite3.connect(f"{(server.data_dir / 'sgp.sqlite3').resolve().as_uri()}?mode=ro", uri=True)


def check_ledger(server: ServerProcess, ledger: Ledger) -> None:
    """Every acknowledged write is in the database with its data; the file is intact."""
    with closing(read_db(server)) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        rows: dict[int, dict[str, Any]] = {
            row[0]: json.loads(row[1]) for row in conn.execute("SELECT id, doc FROM pedidos")
        }
        numeros = [row[0] for row in conn.execute("SELECT numero FROM pedidos")]
    assert len(numeros) == len(set(numeros)), "duplicate numero"
    lost = sorted(set(ledger.created) - set(rows))
    assert not lost, f"{len(lost)} acknowledged creates are missing: {lost[:10]}"
    for pedido_id, cliente in ledger.created.items():
        doc = rows[pedido_id]
        assert doc["cliente"] == cliente
        # The last acknowledged value, or a later write whose answer never arrived (it may have committed).
        allowed = {ledger.observacao[pedido_id], *ledger.unsure.get(pedido_id, ())}
        assert doc["observacao"] in allowed, (pedido_id, doc["observacao"], allowed)
