"""Reports against a year of a busy shop: latency of every report route on a real run_server.py.

    python bench/reports.py --pedidos 50000 --workers 2 --repeat 5

Seeds a fresh data directory *before* the server starts, through the
writer's own create handler on its own connection (the same rows an
acknowledged POST would store): `--pedidos` pedidos spread evenly over 2025
with 1-4 client-shaped items each (8 designers, 5 vendedores, 10 fabrics),
and one print log per pedido. Then it starts the service, logs in, and times
each report `--repeat` times after one warm-up call (sequential, one client:
the figure is the answer time of one report, not a throughput). Only
127.0.0.1; bounded by the count of requests.
"""

from __future__ import annotations

import argparse
import json
import random
import secrets
import shutil
import statistics
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

if __package__ in (None, ""):  # `python bench/reports.py` from the repo root
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx

from bench.server import BenchServer
from core.domain import decode_create
from ipc.protocol import CreatePedido
from writer import schema
from writer.commands import Context, Sequences
from writer.commands.pedidos import create_pedido
from writer.commands.print_logs import insert_print_log

__all__ = ["seed", "main"]

DESIGNERS = ("Júlia", "Rui", "Ana Arte", "Bruno", "Carla", "Dora", "Edu", "Fabi")
VENDEDORES = ("Carlos", "Dani", "Gil", "Hugo", "Iara")
TECIDOS = (
    "Oxford",
    "Tactel",
    "Microfibra",
    "Lona fosca",
    "Lona brilho",
    "Helanca",
    "Cetim",
    "Voil",
    "Gabardine",
    "Sarja",
)
TIPOS = ("painel", "painel", "totem", "lona", "adesivo")
STATUSES = ("entregue", "entregue", "entregue", "pronto", "em_producao", "pendente", "cancelado")


def _item(rng: random.Random) -> dict:
    largura, altura = rng.randint(1, 6), rng.randint(1, 4)
    return {
        "tipo_producao": rng.choice(TIPOS), "descricao": f"Peça {rng.randint(1, 999)}",
        "largura": f"{largura},00", "altura": f"{altura},00", "metro_quadrado": f"{largura * altura},00",
        "designer": rng.choice(DESIGNERS), "vendedor": rng.choice(VENDEDORES), "tecido": rng.choice(TECIDOS),
        "acabamento": {"overloque": rng.random() < 0.5, "elastico": rng.random() < 0.2, "ilhos": rng.random() < 0.3},
        "emenda": rng.choice(("sem-emenda", "com-emenda")), "valor_unitario": f"{rng.randint(20, 900)}.{rng.randint(0, 99):02d}",
        "valor_painel": f"{rng.randint(20, 900)}.00", "quantidade_paineis": str(rng.randint(1, 3)),
        "quantidade_totem": "1", "quantidade_lona": "1", "quantidade_adesivo": "1",
        "quantidade_ilhos": str(rng.choice((0, 0, 4, 8))), "tipo_acabamento": "nenhum",
        "legenda_imagem": None, "terceirizado": False, "imagem": None, "observacao": "",
    }  # fmt: skip


def seed(db_path: Path, pedidos: int, seed_value: int = 7) -> float:
    """Write `pedidos` pedidos (and a print log each) over 2025; returns the seconds it took."""
    rng = random.Random(seed_value)
    started = time.perf_counter()
    conn = schema.open_write_connection(db_path, synchronous="normal", journal_size_limit=64 * 1024 * 1024)
    schema.migrate(conn)
    seqs = Sequences(last_seq=0, last_pedido_id=0)
    first = date(2025, 1, 1)
    for start in range(0, pedidos, 1000):
        conn.execute("BEGIN IMMEDIATE")
        now = datetime.now(UTC)
        for n in range(start, min(start + 1000, pedidos)):
            day = first + timedelta(days=n * 365 // pedidos)
            body = {
                "cliente": f"Cliente {rng.randint(1, 3000)}", "data_entrada": day.isoformat(),
                "data_entrega": (day + timedelta(days=rng.randint(1, 15))).isoformat(),
                "status": rng.choice(STATUSES), "valor_frete": f"{rng.randint(0, 80)}.{rng.randint(0, 99):02d}",
                "forma_envio": rng.choice(("Correios", "Retirada", "Portador - Zé")), "financeiro": rng.random() < 0.7,
                "items": [_item(rng) for _ in range(rng.randint(1, 4))],
            }  # fmt: skip
            ctx = Context(
                conn=conn, now=now.isoformat(timespec="milliseconds"), now_ts=now.timestamp(), actor=None, seqs=seqs
            )
            create_pedido(ctx, CreatePedido(data=decode_create(json.dumps(body).encode())))
            insert_print_log(
                conn, printer_id=rng.randint(0, 3), pedido_id=seqs.last_pedido_id, item_id=None,
                status=rng.choice(("success", "success", "reprint", "error")), error_message=None,
                created_at=f"{day.isoformat()}T10:00:00",
            )  # fmt: skip
        conn.execute("COMMIT")
    conn.execute("PRAGMA optimize")
    conn.close()
    return time.perf_counter() - started


YEAR = {"start_date": "2025-01-01", "end_date": "2025-12-31"}
MONTH = {"start_date": "2025-06-01", "end_date": "2025-06-30"}
REPORTS: tuple[tuple[str, str, dict], ...] = (
    ("statistics, year", "/relatorios/fechamentos/statistics", YEAR),
    ("trends by month, year", "/relatorios/fechamentos/trends", {**YEAR, "group_by": "month"}),
    ("trends by day, year", "/relatorios/fechamentos/trends", {**YEAR, "group_by": "day"}),
    ("ranking designer, year", "/relatorios/fechamentos/rankings/designer", YEAR),
    ("ranking cliente, year", "/relatorios/fechamentos/rankings/cliente", YEAR),
    ("statistics vendedor=gil, year", "/relatorios/fechamentos/statistics", {**YEAR, "vendedor": "Gil"}),
    ("materiais/stats, year", "/materiais/stats", {"data_inicio": "2025-01-01", "data_fim": "2025-12-31"}),
    ("materiais/stats/evolucao, year", "/materiais/stats/evolucao", {"data_inicio": "2025-01-01", "data_fim": "2025-12-31"}),
    ("relatorio-semanal, month", "/relatorios-fechamentos/pedidos/relatorio-semanal", MONTH),
    ("relatorio-semanal, week", "/relatorios-fechamentos/pedidos/relatorio-semanal", {"start_date": "2025-06-02", "end_date": "2025-06-08"}),
    ("relatorio-semanal, year", "/relatorios-fechamentos/pedidos/relatorio-semanal", YEAR),
    ("relatorio sintetico_cliente, month", "/relatorios-fechamentos/pedidos/relatorio", {**MONTH, "report_type": "sintetico_cliente"}),
    ("relatorio sintetico_cliente, year", "/relatorios-fechamentos/pedidos/relatorio", {**YEAR, "report_type": "sintetico_cliente"}),
    ("designer panel, 7 days", "/designers/J%C3%BAlia/itens", {"start_date": "2025-12-25", "end_date": "2025-12-31", "limit": 50}),
    ("print-logs limit=200", "/print-logs/", {"limit": 200, "offset": 0}),
    ("print-logs limit=2000", "/print-logs/", {"limit": 2000, "offset": 0}),
)  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pedidos", type=int, default=50_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--cache", type=Path, default=None, help="reuse (or create) a seeded database file here")
    args = parser.parse_args()
    password = secrets.token_urlsafe(18)
    server = BenchServer(workers=args.workers, env={"SGP_ADMIN_PASSWORD": password})
    db_path = server.data_dir / "sgp.sqlite3"
    db_path.parent.mkdir(parents=True, exist_ok=True)
    if args.cache is not None and args.cache.exists():
        shutil.copyfile(args.cache, db_path)
        print(f"copied the seeded database {args.cache}")
    else:
        seconds = seed(db_path, args.pedidos)
        print(f"seeded {args.pedidos} pedidos (+ {args.pedidos} print logs) in {seconds:.1f} s")
        if args.cache is not None:
            shutil.copyfile(db_path, args.cache)
    server.start()
    try:
        base = f"http://127.0.0.1:{server.port}"
        token = httpx.post(f"{base}/auth/login", json={"username": "admin", "password": password}).json()[
            "access_token"
        ]
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=120) as http:
            print(f"{'report':38} {'p50 ms':>8} {'max ms':>8} {'bytes':>10}")
            for name, path, params in REPORTS:
                r = http.get(path, params=params)  # warm-up (page cache, pool connection)
                assert r.status_code == 200, (path, r.status_code, r.text[:300])
                times = []
                for _ in range(args.repeat):
                    t0 = time.perf_counter()
                    r = http.get(path, params=params)
                    times.append((time.perf_counter() - t0) * 1000)
                    assert r.status_code == 200, (path, r.status_code)
                print(f"{name:38} {statistics.median(times):8.1f} {max(times):8.1f} {len(r.content):10d}")
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
