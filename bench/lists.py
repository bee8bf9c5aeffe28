"""Large pedido lists as the desktop app asks for them: 50 000 pedidos stored, one client, sequential.

    python -m bench.lists --pedidos 50000 --requests 30 --workers 2

Seeds the database directly (schema and rows exactly as the writer builds
them: core.domain.build_pedido, writer.commands.insert_pedido) before the
server starts, then times `GET /pedidos/` with the app's parameter sets: the
default tab (`limit=10001&is_pronto=false`, target p50 < 200 ms), the "all"
tab (`limit=10001`) and no limit (the performance panel). Then the same lists
revalidated with `If-None-Match` (what the desktop webview does with an
`ETag` + `Cache-Control: no-cache` answer; target < 5 ms): a 304 when nothing
changed. `--list-cache-mb 0` measures every 200 as a full read (no write runs
here, so with the cache on, the timed 200s after the first are cache hits).
Loopback only; bounded in requests and time.
"""

from __future__ import annotations

import argparse
import gzip
import http.client
import json
import os
import random
import secrets
import statistics
import sys
import time
from pathlib import Path

from bench.server import BenchServer
from core.domain import build_pedido, decode_create, pedido_to_json
from writer import schema
from writer.commands.pedidos import insert_pedido

__all__ = ["main", "seed"]

QUERIES = {
    "default tab: limit=10001&is_pronto=false": "/pedidos/?skip=0&limit=10001&is_pronto=false",
    "all tab: limit=10001": "/pedidos/?skip=0&limit=10001",
    "no limit (every pedido)": "/pedidos/",
    "ready tab page: limit=11&is_pronto=true": "/pedidos/?skip=0&limit=11&is_pronto=true",
    "dashboard: GET /pedidos/summary": "/pedidos/summary",
}


def _body(rng: random.Random, index: int) -> bytes:
    day = f"2026-{rng.randint(1, 11):02d}-{rng.randint(1, 28):02d}"
    painel = {
        "tipo_producao": "painel", "descricao": f"Painel {index}", "largura": "3,00", "altura": "1,50",
        "valor_painel": f"{rng.randint(50, 900)},00", "valores_adicionais": "10.00", "tipo_acabamento": "ilhos",
        "quantidade_ilhos": "8", "valor_ilhos": "1,50", "quantidade_paineis": str(rng.randint(1, 4)),
        "vendedor": "Ana", "designer": "Beto", "tecido": "Oxford", "emenda": "sem-emenda",
        "acabamento": {"overloque": True, "elastico": False, "ilhos": True},
        "imagem": None, "valor_lona": "0,00", "quantidade_lona": "1", "acabamento_lona": "refilar",
    }  # fmt: skip
    lona = {"tipo_producao": "lona", "descricao": "Lona", "valor_unitario": "50.00", "quantidade_lona": "2"}
    pedido = {
        "cliente": f"Cliente {index % 997}", "data_entrada": day, "telefone_cliente": "27999990000",
        "cidade_cliente": "Vitória", "estado_cliente": "ES", "valor_frete": "15.00", "forma_envio": "Correios",
        "prioridade": rng.choice(["NORMAL", "NORMAL", "ALTA"]), "pronto": rng.random() < 0.35,
        "items": [painel, lona] if rng.random() < 0.5 else [painel],
    }  # fmt: skip
    return json.dumps(pedido).encode()


def seed(data_dir: Path, count: int, seed_value: int = 1) -> None:
    """Write `count` pedidos into a fresh database in `data_dir`, as the writer would have stored them."""
    rng = random.Random(seed_value)
    conn = schema.open_write_connection(data_dir / "sgp.sqlite3", synchronous="normal", journal_size_limit=1 << 26)
    schema.migrate(conn)
    schema.ensure_indexes(conn)
    now = "2026-11-29T12:00:00.000Z"
    conn.execute("BEGIN IMMEDIATE")
    for index in range(1, count + 1):
        pedido = build_pedido(decode_create(_body(rng, index)), id=index, numero=f"{index:010d}", now=now)
        insert_pedido(conn, pedido, pedido_to_json(pedido))
    conn.execute("UPDATE meta SET value = ? WHERE key = 'numero_counter'", (str(count),))
    conn.execute("COMMIT")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()


def _login(port: int, password: str) -> str:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request(
        "POST",
        "/auth/login",
        json.dumps({"username": "admin", "password": password}),
        {"Content-Type": "application/json"},
    )
    response = conn.getresponse()
    body = json.loads(response.read())
    conn.close()
    return str(body["session_token"])


def _time(
    port: int, token: str, path: str, requests: int, budget_s: float, gzip_ok: bool = False
) -> dict[str, float | str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Authorization": f"Bearer {token}", "Origin": "http://tauri.localhost"}
    if gzip_ok:
        headers["Accept-Encoding"] = "gzip"
    samples: list[float] = []
    rows = size = 0
    etag = None
    deadline = time.monotonic() + budget_s
    for _ in range(requests + 2):  # two warm-up requests, not counted
        started = time.perf_counter()
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        body = response.read()
        elapsed = time.perf_counter() - started
        if response.status != 200:
            raise RuntimeError(f"{path} answered {response.status}: {body[:200]!r}")
        samples.append(elapsed)
        size = len(body)
        if response.getheader("Content-Encoding") == "gzip":
            body = gzip.decompress(body)  # (after the timing: what travels is the gzip bytes)
        rows = body.count(b'"numero":')  # (the summary embeds its 10 recent/urgent orders)
        etag = response.getheader("ETag")
        if time.monotonic() > deadline:
            break
    revalidated: list[float] = []
    if etag is not None:  # the webview's revalidation: If-None-Match with the last ETag
        for _ in range(requests):
            started = time.perf_counter()
            conn.request("GET", path, headers={**headers, "If-None-Match": etag})
            response = conn.getresponse()
            body = response.read()
            revalidated.append(time.perf_counter() - started)
            if response.status != 304:
                raise RuntimeError(f"{path} revalidated answered {response.status}, not 304")
    conn.close()
    timed = sorted(samples[2:] or samples)
    return {
        "requests": len(timed), "rows": rows, "mbytes": round(size / 1e6, 2),
        "p50_ms": round(1000 * statistics.median(timed), 1),
        "p90_ms": round(1000 * timed[min(len(timed) - 1, int(0.9 * len(timed)))], 1),
        "max_ms": round(1000 * timed[-1], 1),
        "p50_304_ms": round(1000 * statistics.median(revalidated), 2) if revalidated else "-",
        "max_304_ms": round(1000 * max(revalidated), 2) if revalidated else "-",
    }  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    """Seed, start the server, time each list; print a table and the JSON figures."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pedidos", type=int, default=50_000)
    parser.add_argument("--requests", type=int, default=30, help="timed requests per list (after 2 warm-ups)")
    parser.add_argument("--budget", type=float, default=60.0, help="seconds at most per list")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--gzip", action="store_true", help="send Accept-Encoding: gzip (MB column: bytes sent)")
    parser.add_argument(
        "--list-cache-mb", type=int, help="SGP_LIST_CACHE_MB for the server (0: every 200 is a full read)"
    )
    args = parser.parse_args(argv)
    password = os.environ.get("SGP_ADMIN_PASSWORD") or secrets.token_urlsafe(18)
    env = {"SGP_ADMIN_PASSWORD": password}
    if args.list_cache_mb is not None:
        env["SGP_LIST_CACHE_MB"] = str(args.list_cache_mb)
    server = BenchServer(workers=args.workers, env=env)
    started = time.monotonic()
    server.data_dir.mkdir(parents=True, exist_ok=True)
    seed(server.data_dir, args.pedidos)
    print(f"seeded {args.pedidos} pedidos in {time.monotonic() - started:.1f} s", file=sys.stderr)
    results = {}
    with server:
        token = _login(server.port, password)
        for name, path in QUERIES.items():
            results[name] = _time(server.port, token, path, args.requests, args.budget, args.gzip)
    print(f"{'list':45} {'rows':>6} {'MB':>6} {'p50 ms':>8} {'p90 ms':>8} {'max ms':>8} {'304 p50':>8} {'304 max':>8}")
    for name, r in results.items():
        print(
            f"{name:45} {r['rows']:>6} {r['mbytes']:>6} {r['p50_ms']:>8} {r['p90_ms']:>8} {r['max_ms']:>8}"
            f" {r['p50_304_ms']:>8} {r['max_304_ms']:>8}"
        )
    tab = results["default tab: limit=10001&is_pronto=false"]
    print(
        f"goal: default tab p50 < 200 ms -> {tab['p50_ms']} ms; unchanged list revalidated < 5 ms -> {tab['p50_304_ms']} ms p50"
    )
    print(
        json.dumps(
            {"pedidos": args.pedidos, "workers": args.workers, "list_cache_mb": args.list_cache_mb, "results": results}
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
