"""What the report-index triggers (migration 6, writer/report_index.py) add to each pedido write.

    python -m bench.report_triggers --pedidos 2000 --rounds 3

A fresh database per cell, with the writer's schema (`writer.schema.migrate`);
"off" drops the three `report_pedidos_*` triggers. Every create and patch runs the
writer's own storage code (`build_pedido`, `insert_pedido`, `apply_patch`,
`store_update`) on the mixed load's bodies (1-3 items, bench/mixed.py), one
`BEGIN IMMEDIATE ... COMMIT` per command (the writer's worst case: a batch of
one). Reported per command: the SQL statement's time (the trigger work happens
inside it) and the whole transaction with `synchronous=FULL` (fsync included),
and CPU seconds of this process. Rounds alternate on/off, the table shows medians.
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import msgspec

from bench.mixed import make_pedido
from core.domain import PedidoPatch, apply_patch, build_pedido, decode_create, pedido_to_json
from writer.commands.pedidos import insert_pedido, load_pedido, store_update
from writer.schema import migrate, open_write_connection

_TRIGGERS = ("report_pedidos_insert", "report_pedidos_update", "report_pedidos_update_columns", "report_pedidos_delete")


def _cell(root: Path, triggers: bool, bodies: list[bytes], synchronous: str) -> dict[str, float]:
    """Insert every body, then patch every pedido once, one transaction each; per-command times in µs."""
    db = root / f"t-{triggers}-{synchronous}-{time.monotonic_ns()}.db"
    conn = open_write_connection(db, synchronous=synchronous, journal_size_limit=64 * 1024 * 1024)
    try:
        migrate(conn)
        if not triggers:
            for name in _TRIGGERS:
                conn.execute(f"DROP TRIGGER {name}")
        now = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        stmt = tx = 0.0
        cpu0 = time.process_time()
        for index, body in enumerate(bodies, start=1):
            pedido = build_pedido(decode_create(body), id=index, numero=f"{index:010d}", now=now)
            doc = pedido_to_json(pedido)
            began = time.perf_counter()
            conn.execute("BEGIN IMMEDIATE")
            mid = time.perf_counter()
            insert_pedido(conn, pedido, doc)
            stmt += time.perf_counter() - mid
            conn.execute("COMMIT")
            tx += time.perf_counter() - began
        create_cpu = time.process_time() - cpu0
        pstmt = ptx = 0.0
        cpu0 = time.process_time()
        patch = PedidoPatch(status="em_producao", observacao="bench")
        for index in range(1, len(bodies) + 1):
            began = time.perf_counter()
            conn.execute("BEGIN IMMEDIATE")
            new = apply_patch(load_pedido(conn, index), patch, now=now)
            mid = time.perf_counter()
            store_update(conn, new)
            pstmt += time.perf_counter() - mid
            conn.execute("COMMIT")
            ptx += time.perf_counter() - began
        patch_cpu = time.process_time() - cpu0
    finally:
        conn.close()
    n = len(bodies)
    return {
        "create_stmt_us": 1e6 * stmt / n, "create_tx_us": 1e6 * tx / n, "create_cpu_us": 1e6 * create_cpu / n,
        "patch_stmt_us": 1e6 * pstmt / n, "patch_tx_us": 1e6 * ptx / n, "patch_cpu_us": 1e6 * patch_cpu / n,
    }  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    """Alternate rounds with and without the triggers; print the medians and the difference."""
    parser = argparse.ArgumentParser(prog="bench/report_triggers.py", description=__doc__.splitlines()[0])
    parser.add_argument("--pedidos", type=int, default=2000, help="creates (and then patches) per cell")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--synchronous", nargs="+", default=["full", "off"], choices=("full", "normal", "off"))
    args = parser.parse_args(argv)
    rng = random.Random(1)
    today = date.today()
    bodies = [msgspec.json.encode(make_pedido(rng, f"Cliente {i}", today)) for i in range(args.pedidos)]
    root = Path(tempfile.mkdtemp(prefix="sgp-triggers-"))
    results: dict[tuple[str, bool], list[dict[str, float]]] = {}
    try:
        for _ in range(args.rounds):
            for sync in args.synchronous:
                for triggers in (True, False):
                    results.setdefault((sync, triggers), []).append(_cell(root, triggers, bodies, sync))
    finally:
        shutil.rmtree(root, ignore_errors=True)
    keys = ("create_stmt_us", "create_tx_us", "create_cpu_us", "patch_stmt_us", "patch_tx_us", "patch_cpu_us")
    print(f"{args.pedidos} creates then {args.pedidos} patches per cell, one command per transaction, "
          f"median of {args.rounds} rounds; µs per command")  # fmt: skip
    print(f"{'synchronous':<12}{'triggers':<10}" + "".join(f"{k[:-3]:>15}" for k in keys))
    for sync in args.synchronous:
        medians: dict[bool, dict[str, Any]] = {}
        for triggers in (True, False):
            cells = results[(sync, triggers)]
            medians[triggers] = {k: statistics.median(c[k] for c in cells) for k in keys}
            row = "".join(f"{medians[triggers][k]:>15.1f}" for k in keys)
            print(f"{sync:<12}{'on' if triggers else 'off':<10}{row}")
        diff = "".join(f"{medians[True][k] - medians[False][k]:>+15.1f}" for k in keys)
        print(f"{sync:<12}{'cost':<10}{diff}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
