"""Write ceilings: raw SQLite inserts on this machine versus the writer's committed commands/s over IPC.

    python bench/ceilings.py --clients 1 16 64 256 --batches 1 16 64 256 --duration 2 --repeat 3

Part (a) inserts pedido rows straight into SQLite (the writer's own connection
settings and schema); part (b) starts a real writer process and feeds it
CreatePedido commands through ipc.client.WriterClient; part (c) divides
(b) by (a) at the writer's mean batch size. The disk's fsync rate drifts from
second to second on shared machines, so every cell runs `--repeat` times in
interleaved rounds and the tables show the median. See bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import multiprocessing
import os
import random
import secrets
import shutil
import sqlite3
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime
from itertools import pairwise
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as `python bench/ceilings.py`: make the repo's packages importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import msgspec
import psutil

from bench.cpu import machine_busy_s, other_cores, wait_for_idle
from bench.mixed import machine_facts, make_pedido, percentile
from bench.server import REPO_ROOT
from core.domain import PedidoCreate, build_pedido, decode_create, pedido_to_json
from core.settings import Settings
from core.text import fold
from ipc.client import WriterClient
from ipc.errors import CommandError, WriterClientError
from ipc.protocol import CreatePedido, GetStats
from writer.process import run_writer
from writer.schema import migrate, open_write_connection

SYNC_MODES = ("full", "normal")
TEMPLATES = 512  # distinct pedido bodies, reused round-robin; only id and numero change per row
JOURNAL_LIMIT = 64 * 1024 * 1024  # the writer's default journal_size_limit_bytes

_INSERT_PEDIDO = (
    "INSERT INTO pedidos (id, numero, status, cliente, cliente_busca, data_entrada, data_entrega, prioridade_rank,"
    " pronto, financeiro, conferencia, sublimacao, costura, expedicao, data_criacao, ultima_atualizacao, version,"
    " doc) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_INSERT_EVENT = "INSERT INTO events (seq, type, order_id, at, payload) VALUES (?, ?, ?, ?, ?)"


# --- workload ------------------------------------------------------------------


@dataclass(frozen=True)
class Template:
    """One pedido body: the command the writer gets, and the row and event the raw test inserts."""

    command: CreatePedido
    columns: tuple[Any, ...]  # every pedidos column after id and numero
    event_payload: bytes


def make_templates(count: int, seed: int) -> list[Template]:
    """Order-like bodies with one painel item (~1.4 KB doc), validated as the API validates them."""
    rng = random.Random(seed)
    today = date.today()
    now = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    templates = []
    for index in range(count):
        body = make_pedido(rng, f"Cliente Ceiling {index}", today)
        body["items"] = body["items"][:1]  # one item keeps the doc near the 1.2-1.5 KB of a typical order
        data: PedidoCreate = decode_create(msgspec.json.encode(body))
        pedido = build_pedido(data, id=index + 1, numero=f"{index + 1:010d}", now=now)
        doc = pedido_to_json(pedido)
        columns = (
            pedido.status, pedido.cliente, fold(pedido.cliente), str(pedido.data_entrada),
            str(pedido.data_entrega) if pedido.data_entrega is not None else None,
            1 if pedido.prioridade == "ALTA" else 0, int(pedido.pronto), int(pedido.financeiro),
            int(pedido.conferencia), int(pedido.sublimacao), int(pedido.costura), int(pedido.expedicao),
            pedido.data_criacao, pedido.ultima_atualizacao, pedido.version, doc,
        )  # fmt: skip
        # The writer's event message embeds the whole doc: same size order as what it logs.
        payload = b'{"type":"order_created","seq":0,"order_id":0,"at":"%s","order":%s}' % (now.encode(), doc)
        templates.append(Template(CreatePedido(data=data), columns, payload))
    return templates


# --- (a) raw SQLite ----------------------------------------------------------------


def raw_cell(
    db_path: Path, synchronous: str, batch: int, with_events: bool, templates: list[Template], args: argparse.Namespace
) -> dict[str, Any]:
    """Insert `batch` rows per BEGIN IMMEDIATE ... COMMIT for `duration` seconds into a fresh database."""
    conn = open_write_connection(db_path, synchronous=synchronous, journal_size_limit=JOURNAL_LIMIT)
    try:
        migrate(conn)  # the writer's schema and required indexes: same per-row index work
        tx_times: list[float] = []
        rows = 0
        busy0, cpu0 = machine_busy_s(), time.process_time()
        started = time.perf_counter()
        deadline = started + args.duration
        while time.perf_counter() < deadline and rows + batch <= args.max_commands:
            numbers = range(rows + 1, rows + batch + 1)
            pedidos = [(n, f"{n:010d}", *templates[n % len(templates)].columns) for n in numbers]
            now = time.time()
            events = [(n, "order_created", n, now, templates[n % len(templates)].event_payload) for n in numbers]
            began = time.perf_counter()
            # executemany and no SAVEPOINTs: the best this connection can do, hence a ceiling.
            conn.execute("BEGIN IMMEDIATE")
            conn.executemany(_INSERT_PEDIDO, pedidos)
            if with_events:
                conn.executemany(_INSERT_EVENT, events)
            conn.execute("COMMIT")
            tx_times.append(time.perf_counter() - began)
            rows += batch
        elapsed = time.perf_counter() - started
        busy, ours = machine_busy_s() - busy0, time.process_time() - cpu0
    finally:
        conn.close()
    tx_times.sort()
    return {
        "synchronous": synchronous,
        "batch": batch,
        "with_events": with_events,
        "rows": rows,
        "seconds": round(elapsed, 3),
        "rows_per_s": round(rows / elapsed, 1),
        "tx_per_s": round(len(tx_times) / elapsed, 1),
        "tx_p50_ms": round(percentile(tx_times, 50) * 1000, 3),
        "tx_p99_ms": round(percentile(tx_times, 99) * 1000, 3),
        "other_cores": other_cores(busy, ours, elapsed),
    }


def fsync_probe(directory: Path, seconds: float) -> dict[str, float]:
    """Append-and-fsync 4 KB blocks for `seconds`: what one synchronous=FULL commit pays at least, right now."""
    path = directory / "fsync-probe.bin"
    block = b"\0" * 4096
    latencies: list[float] = []
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_BINARY", 0))
    try:
        deadline = time.perf_counter() + seconds
        while time.perf_counter() < deadline and len(latencies) < 100_000:
            began = time.perf_counter()
            os.write(fd, block)
            os.fsync(fd)
            latencies.append(time.perf_counter() - began)
    finally:
        os.close(fd)
        path.unlink(missing_ok=True)
    latencies.sort()
    return {
        "fsync_per_s": round(len(latencies) / seconds, 1),
        "fsync_p50_ms": round(percentile(latencies, 50) * 1000, 3),
    }


# --- (b) the writer over IPC -----------------------------------------------------------


def writer_with_log(settings: Settings, secret: str, ready: Any, stop: Any, log_path: Path) -> None:
    """Writer process entry point with stderr sent to a file: a failing command must not flood the table."""
    with open(log_path, "ab", buffering=0) as log:
        os.dup2(log.fileno(), 2)  # fd level, so logging's handler and tracebacks both land in the file
    run_writer(settings, secret, ready, stop)


class BenchWriter:
    """A writer process on its own, spawned as run_server.py spawns it, on a fresh data dir."""

    def __init__(self, synchronous: str) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="sgp-ceiling-writer-"))
        overrides = {
            "data_dir": self.root / "data",
            "synchronous": synchronous,
            "log_level": "warning",
            "admin_password": secrets.token_urlsafe(18),  # no generated password printed on first start
        }
        self.settings = Settings.load(overrides, environ={})
        self.log_path = self.root / "writer.log"
        self._ctx = multiprocessing.get_context("spawn")  # as run_server.py: the only start method on Windows
        self._stop = self._ctx.Event()
        self._process: Any = None

    def start(self, timeout: float = 30.0) -> psutil.Process:
        """Spawn the writer and wait until it listens; returns its process for CPU readings."""
        ready = self._ctx.Event()
        self._process = self._ctx.Process(
            target=writer_with_log,
            args=(self.settings, secrets.token_hex(16), ready, self._stop, self.log_path),
            daemon=True,
        )
        self._process.start()
        if not ready.wait(timeout):
            self.stop()
            raise RuntimeError(f"the writer did not start within {timeout:.0f} s")
        return psutil.Process(self._process.pid)

    def client(self, connections: int) -> WriterClient:
        """A WriterClient on this writer, like one API worker's."""
        return WriterClient(self.settings.writer_address_file, connections=connections, name="bench-ceilings")

    def log_tail(self, lines: int = 12) -> str:
        """The last lines of the writer's log."""
        try:
            return "\n".join(self.log_path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self) -> None:
        """Ask the writer to finish its queue and exit; kill it after 30 s."""
        if self._process is not None:
            self._stop.set()
            self._process.join(30)
            if self._process.is_alive():
                self._process.kill()
                self._process.join(10)
            self._process = None

    def remove(self) -> None:
        """Delete the data dir and the log (after `stop`)."""
        shutil.rmtree(self.root, ignore_errors=True)


async def _stats(client: WriterClient) -> dict[str, Any]:
    reply = await client.request(GetStats(), timeout=10.0)
    return dict(msgspec.json.decode(reply.body))


async def writer_cell(
    bench: BenchWriter, proc: psutil.Process, callers: int, templates: list[Template], args: argparse.Namespace
) -> dict[str, Any]:
    """`callers` tasks each keep one CreatePedido in flight; figures cover the window after warm-up."""
    client = bench.client(args.links)
    await client.start()
    if not await client.wait_connected(10.0):
        await client.close()
        raise RuntimeError("could not connect to the writer")
    start = time.perf_counter() + args.warmup
    end = start + args.duration
    budget = max(1, args.max_commands // callers)  # bounded in count as well as in time
    latencies: list[float] = []
    errors: Counter[str] = Counter()

    async def caller(index: int) -> None:
        for n in range(budget):
            if time.perf_counter() >= end:
                return
            command = templates[(index + n * callers) % len(templates)].command
            began = time.perf_counter()
            try:
                await client.call(command)
                error = None
            except CommandError as exc:
                error = exc.code
            except WriterClientError as exc:
                error = type(exc).__name__
            ended = time.perf_counter()
            if start <= ended <= end:
                if error is None:
                    latencies.append(ended - began)
                else:
                    errors[error] += 1

    tasks = [asyncio.create_task(caller(i)) for i in range(callers)]
    try:
        await asyncio.sleep(max(0.0, start - time.perf_counter()))
        before, cpu0, gen0, busy0 = await _stats(client), _cpu(proc), time.process_time(), machine_busy_s()
        await asyncio.sleep(max(0.0, end - time.perf_counter()))
        after, cpu1, gen1, busy1 = await _stats(client), _cpu(proc), time.process_time(), machine_busy_s()
        # Calls still in flight get their deadline plus the client's grace, then are abandoned.
        await asyncio.wait_for(asyncio.gather(*tasks), client.deadline_s + 5.0)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await client.close()
    latencies.sort()
    batches = after["batches_total"] - before["batches_total"]
    commands = after["commands_total"] - before["commands_total"]
    return {
        "synchronous": bench.settings.synchronous,
        "callers": callers,
        "ok": len(latencies),
        "ok_per_s": round(len(latencies) / args.duration, 1),
        "p50_ms": round(percentile(latencies, 50) * 1000, 3),
        "p99_ms": round(percentile(latencies, 99) * 1000, 3),
        "max_ms": round(latencies[-1] * 1000, 3) if latencies else 0.0,
        "errors": dict(errors.most_common()),
        # From the writer's own counters over the same window (GetStats at both edges).
        "batched_per_s": round(commands / args.duration, 1),  # includes commands that failed inside a batch
        "batches": batches,
        "mean_batch": round(commands / batches, 2) if batches else 0.0,
        "batch_p50": after["batch_size"]["p50"],  # the writer keeps the last 1024 batches only
        "batch_p99": after["batch_size"]["p99"],
        "commit_p50_ms": round(after["commit_ms"]["p50"], 3),
        "commit_p99_ms": round(after["commit_ms"]["p99"], 3),
        "writer_core_pct": round(100 * (cpu1 - cpu0) / args.duration, 1),
        "loadgen_core_pct": round(100 * (gen1 - gen0) / args.duration, 1),
        "other_cores": other_cores(busy1 - busy0, cpu1 - cpu0 + gen1 - gen0, args.duration),
    }


def _cpu(proc: psutil.Process) -> float:
    times = proc.cpu_times()
    return times.user + times.system


def run_writer_cell(
    synchronous: str, callers: int, templates: list[Template], args: argparse.Namespace
) -> dict[str, Any]:
    """One writer cell against its own freshly started writer (fresh database, like each raw cell)."""
    bench = BenchWriter(synchronous)
    try:
        proc = bench.start()
        cell = asyncio.run(writer_cell(bench, proc, callers, templates, args))
    except Exception as exc:  # record the failed sample and go on with the next cell
        cell = {"synchronous": synchronous, "callers": callers, "error": f"{type(exc).__name__}: {exc}"}
    finally:
        bench.stop()
    try:
        if "error" in cell or cell["errors"]:
            cell["writer_log_tail"] = bench.log_tail()  # complete now that the writer has exited
    finally:
        bench.remove()
    return cell


# --- rounds and medians -------------------------------------------------------------------


def median_sample(samples: list[dict[str, Any]], key: str) -> dict[str, Any]:
    """The sample with the median `key`, plus the min and max of `key` over all samples and their count."""
    good = sorted((s for s in samples if "error" not in s), key=lambda s: s[key])
    if not good:
        return {**samples[0], "samples": 0}
    chosen = dict(good[(len(good) - 1) // 2])  # the lower median: a real sample, not an average of two
    chosen[f"{key}_min"], chosen[f"{key}_max"] = good[0][key], good[-1][key]
    chosen["samples"] = len(good)
    # Cores other programs used during the worst sample: a busy neighbour explains an outlier.
    chosen["other_cores_max"] = max(s["other_cores"] for s in good)
    if "errors" in chosen:
        errors: Counter[str] = Counter()
        for sample in good:
            errors.update(sample["errors"])
        chosen["errors"] = dict(errors.most_common())  # summed over every sample, not only the median one
    failed = [s["error"] for s in samples if "error" in s]
    if failed:
        chosen["failed_samples"] = failed
    return chosen


def run_rounds(templates: list[Template], args: argparse.Namespace) -> dict[str, Any]:
    """`repeat` rounds over all cells, writer next to raw, so that each cell samples the disk at many moments."""
    raw: dict[tuple[str, bool, int], list[dict[str, Any]]] = {}
    writer: dict[tuple[str, int], list[dict[str, Any]]] = {}
    disk: list[dict[str, float]] = []
    root = Path(tempfile.mkdtemp(prefix="sgp-ceiling-raw-"))
    try:
        for round_index in range(args.repeat):
            disk.append(fsync_probe(root, 1.0))
            for synchronous in args.synchronous:
                if args.only != "raw":
                    for callers in args.clients:
                        wait_for_idle(args.idle_wait)
                        cell = run_writer_cell(synchronous, callers, templates, args)
                        writer.setdefault((synchronous, callers), []).append(cell)
                if args.only != "writer":
                    for with_events in (False, True):
                        for batch in args.batches:
                            db_dir = root / f"{synchronous}-{batch}-{int(with_events)}-{round_index}"
                            wait_for_idle(args.idle_wait)
                            cell = raw_cell(db_dir / "raw.sqlite3", synchronous, batch, with_events, templates, args)
                            shutil.rmtree(db_dir, ignore_errors=True)
                            raw.setdefault((synchronous, with_events, batch), []).append(cell)
            print(
                f"round {round_index + 1}/{args.repeat} done; disk {disk[-1]['fsync_per_s']:g} fsync/s "
                f"(p50 {disk[-1]['fsync_p50_ms']:g} ms)",
                flush=True,
            )
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return {
        "disk": disk,
        "raw": [median_sample(samples, "rows_per_s") for samples in raw.values()],
        "writer": [median_sample(samples, "ok_per_s") for samples in writer.values()],
    }


# --- (c) ratios -------------------------------------------------------------------------


def raw_rate_at(raw: list[dict[str, Any]], synchronous: str, with_events: bool, batch: float) -> float | None:
    """Raw rows/s at `batch`, interpolated log-log between the measured batch sizes (clamped at the ends)."""
    points = sorted(
        (c["batch"], c["rows_per_s"])
        for c in raw
        if c["synchronous"] == synchronous and c["with_events"] == with_events and c.get("samples")
    )
    if not points or batch <= 0:
        return None
    if batch <= points[0][0]:
        return float(points[0][1])
    for (b0, r0), (b1, r1) in pairwise(points):
        if batch <= b1:
            # Throughput grows roughly as a power of the batch size between two fsync-bound points.
            t = (math.log(batch) - math.log(b0)) / (math.log(b1) - math.log(b0))
            return math.exp(math.log(r0) + t * (math.log(r1) - math.log(r0)))
    return float(points[-1][1])


def ratios(raw: list[dict[str, Any]], writer: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Writer acknowledged commands/s over raw rows/s at the writer's mean batch size, same synchronous mode."""
    result = []
    for cell in writer:
        if not cell.get("samples"):
            continue
        row: dict[str, Any] = {"synchronous": cell["synchronous"], "callers": cell["callers"]}
        row["mean_batch"] = cell["mean_batch"]
        row["ok_per_s"] = cell["ok_per_s"]
        for label, with_events in (("rows", False), ("rows_events", True)):
            ref = raw_rate_at(raw, cell["synchronous"], with_events, cell["mean_batch"])
            row[f"raw_{label}_per_s"] = round(ref, 1) if ref else None
            row[f"ratio_{label}"] = round(cell["ok_per_s"] / ref, 3) if ref else None
        result.append(row)
    return result


# --- output -----------------------------------------------------------------------------

_RAW = "{:<7} {:<13} {:>6} {:>9} {:>13} {:>8} {:>8} {:>8} {:>6}"
_WRITER = "{:<7} {:>7} {:>9} {:>11} {:>8} {:>8} {:>7} {:>9} {:>12} {:>7} {:>5} {:>6}  {}"
_RATIO = "{:<7} {:>7} {:>10} {:>9} {:>13} {:>7} {:>16} {:>7}"


def _raw_row(c: dict[str, Any]) -> str:
    rows = "pedido+event" if c["with_events"] else "pedido"
    spread = f"{c['rows_per_s_min']:.0f}–{c['rows_per_s_max']:.0f}"
    return _RAW.format(
        c["synchronous"], rows, c["batch"], c["rows_per_s"], spread, c["tx_per_s"], c["tx_p50_ms"], c["tx_p99_ms"],
        c["other_cores_max"],
    )  # fmt: skip


def _writer_row(c: dict[str, Any]) -> str:
    if not c.get("samples"):
        return f"{c['synchronous']:<7} {c['callers']:>7}  FAILED: {c['error'].splitlines()[0]}"
    errors = " ".join(f"{kind}×{count}" for kind, count in c["errors"].items()) or "-"
    if c.get("failed_samples"):
        errors += f" ({len(c['failed_samples'])} samples failed)"
    spread = f"{c['ok_per_s_min']:.0f}–{c['ok_per_s_max']:.0f}"
    batch = f"{c['batch_p50']:g}/{c['batch_p99']:g}"
    commit = f"{c['commit_p50_ms']:.2f}/{c['commit_p99_ms']:.2f}"
    return _WRITER.format(
        c["synchronous"], c["callers"], c["ok_per_s"], spread, c["p50_ms"], c["p99_ms"], c["mean_batch"],
        batch, commit, c["writer_core_pct"], c["loadgen_core_pct"], c["other_cores_max"], errors,
    )  # fmt: skip


def _ratio_row(r: dict[str, Any]) -> str:
    return _RATIO.format(
        r["synchronous"], r["callers"], r["mean_batch"], r["ok_per_s"], r["raw_rows_per_s"], r["ratio_rows"],
        r["raw_rows_events_per_s"], r["ratio_rows_events"],
    )  # fmt: skip


def format_report(report: dict[str, Any]) -> str:
    """The three tables."""
    lines = []
    disk = sorted(d["fsync_per_s"] for d in report["disk"])
    median = disk[(len(disk) - 1) // 2]
    lines.append(f"disk: 4 KB write+fsync {median:g}/s, median over rounds ({disk[0]:g}–{disk[-1]:g})")
    if report["raw"]:
        lines.append("\n(a) raw SQLite: executemany, one transaction per batch, WAL, the writer's schema and pragmas")
        lines.append(_RAW.format("sync", "rows", "batch", "rows/s", "range", "tx/s", "tx p50", "tx p99", "other"))
        lines += [_raw_row(c) for c in report["raw"]]
    if report["writer"]:
        lines.append(f"\n(b) writer over IPC: CreatePedido, {report['settings']['links']} links, latencies in ms")
        lines.append(_WRITER.format(
            "sync", "callers", "acked/s", "range", "p50", "p99", "batch", "b p50/99", "commit ms", "writer%", "gen%",
            "other", "errors",
        ))  # fmt: skip
        lines += [_writer_row(c) for c in report["writer"]]
    if report["raw"] and report["ratios"]:
        lines.append("\n(c) writer acked/s ÷ raw rows/s at the writer's mean batch (raw interpolated log-log)")
        lines.append(_RATIO.format("sync", "callers", "mean batch", "acked/s", "raw pedido/s", "ratio",
                                   "raw pedido+ev/s", "ratio"))  # fmt: skip
        lines += [_ratio_row(r) for r in report["ratios"]]
    return "\n".join(lines)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(prog="bench/ceilings.py", description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 16, 64, 256], help="writer calls in flight")
    parser.add_argument("--batches", type=int, nargs="+", default=[1, 16, 64, 256], help="raw rows per transaction")
    parser.add_argument("--synchronous", nargs="+", choices=SYNC_MODES, default=list(SYNC_MODES))
    parser.add_argument("--duration", type=float, default=2.0, help="measured seconds per cell and round")
    parser.add_argument("--warmup", type=float, default=0.5, help="unmeasured seconds before each writer cell")
    parser.add_argument("--repeat", type=int, default=3, help="rounds over all cells; tables show the median round")
    parser.add_argument("--idle-wait", type=float, default=0.0, help="max seconds to wait for an idle machine per cell")
    parser.add_argument("--links", type=int, default=2, help="WriterClient connections (an API worker has 2)")
    parser.add_argument("--max-commands", type=int, default=300_000, help="cap on rows or commands per cell")
    parser.add_argument("--only", choices=("raw", "writer"), help="run one part only (no ratios)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, help="JSON report (default bench/out/ceilings-<timestamp>.json)")
    args = parser.parse_args(argv)
    if min(args.clients) < 1 or min(args.batches) < 1 or min(args.repeat, args.links) < 1:
        parser.error("--clients, --batches, --repeat and --links must be >= 1")
    if args.duration <= 0 or args.warmup < 0 or args.idle_wait < 0:
        parser.error("--duration must be > 0, --warmup and --idle-wait >= 0")
    args.clients, args.batches = sorted(set(args.clients)), sorted(set(args.batches))
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    args.out = args.out or REPO_ROOT / "bench" / "out" / f"ceilings-{stamp}.json"
    return args


def main(argv: list[str] | None = None) -> int:
    """Run every cell `repeat` times, print the median tables and the ratios, write the JSON."""
    args = parse_args(argv)
    templates = make_templates(TEMPLATES, args.seed)
    doc_bytes = sum(len(t.columns[-1]) for t in templates) / len(templates)
    report: dict[str, Any] = {
        "started_at": datetime.now().astimezone().isoformat(timespec="seconds"),
        "command": [Path(sys.argv[0]).name, *sys.argv[1:]] if argv is None else argv,
        "settings": {k: v for k, v in vars(args).items() if k != "out"},
        "machine": {**machine_facts(), "sqlite": sqlite3.sqlite_version},
        "doc_bytes_mean": round(doc_bytes),
    }
    machine = report["machine"]
    print(
        f"{machine['cpu_count']} CPUs, Python {machine['python']}, SQLite {sqlite3.sqlite_version}, "
        f"doc {doc_bytes:.0f} B, {args.repeat} rounds of {args.duration:g} s per cell"
    )
    report.update(run_rounds(templates, args))
    report["ratios"] = ratios(report["raw"], report["writer"])
    print(format_report(report))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(msgspec.json.format(msgspec.json.encode(report), indent=2))
    print(f"report: {args.out}")
    return 1 if any(not cell.get("samples") or cell["errors"] for cell in report["writer"]) else 0


if __name__ == "__main__":
    sys.exit(main())
