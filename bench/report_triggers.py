"""What keeping the report index (writer/report_index.py) adds to each pedido write, three ways.

    python -m bench.report_triggers --pedidos 2000 --rounds 3

A fresh database per cell, with the writer's schema (`writer.schema.migrate`), in one of three modes:
"python" is the writer's own storage code (`insert_pedido`, `store_update`: the pedido row and its
report rows from writer/report_rows.py, migration #8); "triggers" puts back migration #7's
insert/update triggers and writes only the pedido row (what the writer did before #8); "none"
writes only the pedido row with no report rows at all (the floor). Creates and patches use the
mixed load's bodies (1-3 items, bench/mixed.py) and `build_pedido` / `apply_patch` (a status and
note patch: the report's document values unchanged; then a patch of the items changing one
item's tecido, `items_store_cpu`), one `BEGIN IMMEDIATE ... COMMIT` per command
(the writer's worst case: a batch of one). Reported per command: the CPU time of the storage
call alone (`store_cpu`: the pedido row and its report rows, trigger work included), the whole
transaction's wall time (fsync included with `synchronous=FULL`), and the CPU of the whole loop. Rounds alternate modes; medians shown.
"""

from __future__ import annotations

import argparse
import random
import shutil
import sqlite3
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
from core.domain import Pedido, PedidoPatch, apply_patch, build_pedido, decode_create, pedido_to_json
from writer.commands.pedidos import _ASSIGNMENTS, _PEDIDO_COLUMNS, _row, insert_pedido, load_pedido, store_update
from writer.report_index import REPORT_INDEX_UPDATE_DDL, _fill
from writer.schema import _statements, migrate, open_write_connection

_MODES = ("python", "triggers", "none")


def _insert_row_only(conn: sqlite3.Connection, pedido: Pedido, doc: bytes) -> None:
    values = (pedido.id, *_row(pedido, doc))
    conn.execute(f"INSERT INTO pedidos (id, {_PEDIDO_COLUMNS}) VALUES ({', '.join('?' * len(values))})", values)


def _update_row_only(conn: sqlite3.Connection, new: Pedido, old: Pedido) -> bytes:
    doc = pedido_to_json(new)
    conn.execute(f"UPDATE pedidos SET {_ASSIGNMENTS} WHERE id = ?", (*_row(new, doc), new.id))
    return doc


def _restore_triggers(conn: sqlite3.Connection) -> None:
    """Migration #7's insert and update triggers, as the writer had them before migration #8."""
    conn.execute(f"CREATE TRIGGER report_pedidos_insert AFTER INSERT ON pedidos BEGIN {_fill('NEW')}END")
    for statement in _statements(REPORT_INDEX_UPDATE_DDL)[1:]:  # [0] drops migration 6's update trigger
        conn.execute(statement)


def _cell(root: Path, mode: str, bodies: list[bytes], synchronous: str) -> dict[str, float]:
    """Insert every body, then patch every pedido once, one transaction each; per-command times in µs."""
    db = root / f"t-{mode}-{synchronous}-{time.monotonic_ns()}.db"
    conn = open_write_connection(db, synchronous=synchronous, journal_size_limit=64 * 1024 * 1024)
    insert, update = (insert_pedido, store_update) if mode == "python" else (_insert_row_only, _update_row_only)
    try:
        migrate(conn)
        if mode == "triggers":
            _restore_triggers(conn)
        now = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        stmt = tx = 0.0
        cpu0 = time.process_time()
        for index, body in enumerate(bodies, start=1):
            pedido = build_pedido(decode_create(body), id=index, numero=f"{index:010d}", now=now)
            doc = pedido_to_json(pedido)
            began = time.perf_counter()
            conn.execute("BEGIN IMMEDIATE")
            mid = time.process_time()
            insert(conn, pedido, doc)
            stmt += time.process_time() - mid
            conn.execute("COMMIT")
            tx += time.perf_counter() - began
        create_cpu = time.process_time() - cpu0
        pstmt = ptx = 0.0
        cpu0 = time.process_time()
        patch = PedidoPatch(status="em_producao", observacao="bench")
        for index in range(1, len(bodies) + 1):
            began = time.perf_counter()
            conn.execute("BEGIN IMMEDIATE")
            current = load_pedido(conn, index)
            new = apply_patch(current, patch, now=now)
            mid = time.process_time()
            update(conn, new, current)
            pstmt += time.process_time() - mid
            conn.execute("COMMIT")
            ptx += time.perf_counter() - began
        patch_cpu = time.process_time() - cpu0
        istmt = 0.0  # a patch of the items: the first one's tecido changes
        for index in range(1, len(bodies) + 1):
            conn.execute("BEGIN IMMEDIATE")
            current = load_pedido(conn, index)
            items = [{**current.items[0], "tecido": "Lona bench"}, *(dict(i) for i in current.items[1:])]
            new = apply_patch(current, PedidoPatch(items=items), now=now)
            mid = time.process_time()
            update(conn, new, current)
            istmt += time.process_time() - mid
            conn.execute("COMMIT")
    finally:
        conn.close()
    n = len(bodies)
    return {
        "create_store_cpu_us": 1e6 * stmt / n, "create_tx_us": 1e6 * tx / n, "create_cpu_us": 1e6 * create_cpu / n,
        "patch_store_cpu_us": 1e6 * pstmt / n, "patch_tx_us": 1e6 * ptx / n, "patch_cpu_us": 1e6 * patch_cpu / n,
        "items_store_cpu_us": 1e6 * istmt / n,
    }  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    """Alternate rounds over the three modes; print the medians and each mode's cost over "none"."""
    parser = argparse.ArgumentParser(prog="bench/report_triggers.py", description=__doc__.splitlines()[0])
    parser.add_argument("--pedidos", type=int, default=2000, help="creates (and then patches) per cell")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--synchronous", nargs="+", default=["full", "off"], choices=("full", "normal", "off"))
    args = parser.parse_args(argv)
    rng = random.Random(1)
    today = date.today()
    bodies = [msgspec.json.encode(make_pedido(rng, f"Cliente {i}", today)) for i in range(args.pedidos)]
    root = Path(tempfile.mkdtemp(prefix="sgp-triggers-"))
    results: dict[tuple[str, str], list[dict[str, float]]] = {}
    try:
        for _ in range(args.rounds):
            for sync in args.synchronous:
                for mode in _MODES:
                    results.setdefault((sync, mode), []).append(_cell(root, mode, bodies, sync))
    finally:
        shutil.rmtree(root, ignore_errors=True)
    keys = ("create_store_cpu_us", "create_tx_us", "create_cpu_us", "patch_store_cpu_us", "patch_tx_us", "patch_cpu_us",
            "items_store_cpu_us")  # fmt: skip
    print(f"{args.pedidos} creates then {args.pedidos} status patches and {args.pedidos} item patches per cell, one command per transaction, "
          f"median of {args.rounds} rounds; µs per command")  # fmt: skip
    print(f"{'synchronous':<12}{'mode':<16}" + "".join(f"{k[:-3]:>18}" for k in keys))
    for sync in args.synchronous:
        medians: dict[str, dict[str, Any]] = {}
        for mode in _MODES:
            cells = results[(sync, mode)]
            medians[mode] = {k: statistics.median(c[k] for c in cells) for k in keys}
            row = "".join(f"{medians[mode][k]:>18.1f}" for k in keys)
            print(f"{sync:<12}{mode:<16}{row}")
        for mode in _MODES[:2]:
            diff = "".join(f"{medians[mode][k] - medians['none'][k]:>+18.1f}" for k in keys)
            print(f"{sync:<12}{mode + ' cost':<16}{diff}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
