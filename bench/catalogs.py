"""Catalog figures: concurrent creates, whole-list reads and the machine panel on one fresh server.

    python bench/catalogs.py --clientes 2000 --concurrency 20 --pedidos 500 --repeat 20 --workers 2

Bounded in count (every phase does a fixed number of requests) and loopback only.
Prints one line per phase: requests, rate, p50/p95/max latency, answer size.
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import statistics
import sys
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as `python bench/catalogs.py`: make the `bench` package importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx

from bench.server import BenchServer


def _line(name: str, latencies: list[float], elapsed: float, size: int = 0) -> str:
    ms = sorted(x * 1000 for x in latencies)
    p95 = ms[min(len(ms) - 1, int(len(ms) * 0.95))]
    return (
        f"{name:<34} n={len(ms):<5} {len(ms) / elapsed:8.1f} req/s  p50 {statistics.median(ms):7.2f} ms  "
        f"p95 {p95:7.2f} ms  max {ms[-1]:7.2f} ms" + (f"  {size / 1024:.0f} KiB" if size else "")
    )


async def _timed(http: httpx.AsyncClient, method: str, path: str, **kwargs: Any) -> tuple[float, httpx.Response]:
    start = time.perf_counter()
    r = await http.request(method, path, **kwargs)
    return time.perf_counter() - start, r


async def _creates(http: httpx.AsyncClient, path: str, bodies: list[dict[str, Any]], concurrency: int) -> str:
    queue = list(reversed(bodies))
    latencies: list[float] = []

    async def worker() -> None:
        while queue:
            took, r = await _timed(http, "POST", path, json=queue.pop())
            if r.status_code not in (200, 201):
                raise RuntimeError(f"POST {path}: {r.status_code} {r.text}")
            latencies.append(took)

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return _line(f"POST {path} ({concurrency} concurrent)", latencies, time.perf_counter() - start)


async def _reads(http: httpx.AsyncClient, path: str, repeat: int) -> str:
    latencies, size = [], 0
    start = time.perf_counter()
    for _ in range(repeat):
        took, r = await _timed(http, "GET", path)
        r.raise_for_status()
        latencies.append(took)
        size = len(r.content)
    return _line(f"GET {path}", latencies, time.perf_counter() - start, size)


async def run(args: argparse.Namespace, base_url: str, token: str) -> list[str]:
    """Every phase against a running server; returns the report lines."""
    limits = httpx.Limits(max_connections=args.concurrency)
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=base_url, headers=headers, timeout=60, limits=limits) as http:
        lines = []
        clientes = [{"nome": f"Cliente {i}", "cep": "29100-000", "cidade": "Vila Velha", "estado": "ES",
                     "telefone": f"27 9{i:04d}-0000"} for i in range(args.clientes)]  # fmt: skip
        lines.append(await _creates(http, "/clientes/", clientes, args.concurrency))
        vendedores = [{"nome": f"Vendedor {i}", "comissao_percentual": 5, "ativo": i % 4 != 0} for i in range(20)]
        lines.append(await _creates(http, "/vendedores", vendedores, args.concurrency))
        machines = [
            (await http.post("/maquinas/", json={"name": f"M{i}", "active": True})).json()["id"] for i in range(4)
        ]
        pedidos = [{"cliente": f"Cliente {i}", "data_entrada": "2026-11-29", "items": [
            {"descricao": "Painel", "tipo_producao": "painel", "machine_id": machines[i % 4], "largura": "2",
             "altura": "1", "metro_quadrado": "2,00"} for _ in range(2)]} for i in range(args.pedidos)]  # fmt: skip
        lines.append(await _creates(http, "/pedidos/", pedidos, args.concurrency))
        lines.append(await _reads(http, "/clientes/", args.repeat))
        lines.append(await _reads(http, "/clientes/?busca=cliente%2019", args.repeat))
        lines.append(await _reads(http, "/vendedores/ativos", args.repeat))
        lines.append(await _reads(http, "/maquinas/dashboard/overview", args.repeat))
        return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clientes", type=int, default=2000)
    parser.add_argument("--pedidos", type=int, default=500, help="open pedidos, 2 items each on 4 machines")
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=20, help="sequential requests per read phase")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    password = secrets.token_urlsafe(16)
    with BenchServer(workers=args.workers, env={"SGP_ADMIN_PASSWORD": password}) as server:
        base_url = f"http://127.0.0.1:{server.port}"
        token = httpx.post(f"{base_url}/auth/login", json={"username": "admin", "password": password}).json()[
            "session_token"
        ]
        for line in asyncio.run(run(args, base_url, token)):
            print(line)


if __name__ == "__main__":
    main()
