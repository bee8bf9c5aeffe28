"""Server CPU per request of each hot pedido route, through api/hot.py and through FastAPI, in the same server.

    python -m bench.hot_cost --requests 300 --rounds 3 --connections 4

One fresh server (bench/server.py). For each route (create, patch, get, list as
bench/mixed.py sends them) the same requests go in their plain form (api/hot.py
takes them) and with an extra unknown query parameter (api/hot.py declines, the
FastAPI route answers the same thing), in alternating rounds; the figure is the
CPU of the API workers, and of the whole server (writer included), per request,
median over the rounds. Load is closed-loop over `--connections` keep-alive
connections: far from saturating, so other tenants' load inflates it less.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
from datetime import date
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import msgspec
import psutil

from bench.httpclient import HttpConnection
from bench.mixed import HOST, PEDIDOS, login, make_pedido
from bench.server import BenchServer

_FORMS = {"hot": "", "fastapi": "fastapi_route=1"}


def _with(path: str, extra: str) -> str:
    return f"{path}{'&' if '?' in path else '?'}{extra}" if extra else path


def _cpu(procs: list[psutil.Process]) -> float:
    total = 0.0
    for proc in procs:
        times = proc.cpu_times()
        total += times.user + times.system
    return total


async def _run(server: BenchServer, args: argparse.Namespace) -> dict[str, dict[str, list[tuple[float, float]]]]:
    token = await login(server.port, "admin", args.password)
    conns = [
        HttpConnection(HOST, server.port, headers={"Authorization": f"Bearer {token}"}) for _ in range(args.connections)
    ]
    rng = random.Random(1)
    today = date.today()
    encoder = msgspec.json.Encoder()
    procs = server.processes()
    # API workers are the processes listening on the server's port (the writer listens on its own).
    workers = [p for p in procs if any(c.laddr and c.laddr.port == server.port for c in p.net_connections("tcp"))]
    if len(workers) != args.workers:
        raise RuntimeError(f"found {len(workers)} API workers listening on port {server.port}")
    ids: list[int] = []
    for _ in range(40):
        created = await conns[0].request("POST", PEDIDOS, encoder.encode(make_pedido(rng, "Aquece", today)))
        ids.append(msgspec.json.decode(created.body)["id"])
    results: dict[str, dict[str, list[tuple[float, float]]]] = {}

    async def one(kind: str, extra: str, conn: HttpConnection, n: int) -> None:
        for i in range(n):
            if kind == "create":
                body = encoder.encode(make_pedido(rng, f"Cliente {rng.random()}", today))
                response = await conn.request("POST", _with(PEDIDOS, extra), body)
            elif kind == "patch":
                body = encoder.encode({"status": "em_producao", "observacao": f"p{i}"})
                response = await conn.request("PATCH", _with(f"{PEDIDOS[:-1]}/{rng.choice(ids)}", extra), body)
            elif kind == "get":
                response = await conn.request("GET", _with(f"{PEDIDOS[:-1]}/{rng.choice(ids)}", extra))
            else:
                response = await conn.request("GET", _with(f"{PEDIDOS}?limit=50", extra))
            if response.status != 200:
                raise RuntimeError(f"{kind} {extra!r}: {response.status} {response.body[:200]!r}")

    per_conn = max(1, args.requests // args.connections)
    for _ in range(args.rounds):
        for kind in ("create", "patch", "get", "list"):
            for form, extra in _FORMS.items():
                w0, s0 = _cpu(workers), _cpu(procs)
                await asyncio.gather(*(one(kind, extra, c, per_conn) for c in conns))
                w1, s1 = _cpu(workers), _cpu(procs)
                n = per_conn * len(conns)
                results.setdefault(kind, {}).setdefault(form, []).append((1e6 * (w1 - w0) / n, 1e6 * (s1 - s0) / n))
    await asyncio.gather(*(c.aclose() for c in conns))
    return results


def main(argv: list[str] | None = None) -> int:
    """Start a server, run the rounds, print µs of CPU per request."""
    parser = argparse.ArgumentParser(prog="bench/hot_cost.py", description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300, help="requests per route, form and round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    args.password = "bench-hot-cost-password"
    server = BenchServer(workers=args.workers, env={"SGP_ADMIN_PASSWORD": args.password})
    server.start()
    try:
        results = asyncio.run(_run(server, args))
    finally:
        server.stop()
    print(f"µs of CPU per request, median of {args.rounds} rounds of {args.requests} requests "
          f"over {args.connections} connections ({args.workers} workers)")  # fmt: skip
    print(f"{'route':<8}{'workers hot':>14}{'workers fastapi':>17}{'saved':>8}{'server hot':>13}{'server fastapi':>16}")
    for kind, forms in results.items():
        hot = [statistics.median(x[i] for x in forms["hot"]) for i in (0, 1)]
        slow = [statistics.median(x[i] for x in forms["fastapi"]) for i in (0, 1)]
        print(f"{kind:<8}{hot[0]:>14.0f}{slow[0]:>17.0f}{slow[0] - hot[0]:>8.0f}{hot[1]:>13.0f}{slow[1]:>16.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
