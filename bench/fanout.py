"""Feed fan-out: how late order events reach WebSocket listeners on every worker during a mixed write load.

    python bench/fanout.py --listeners 200 --clients 50 --duration 10 --workers 2
    python bench/fanout.py --goals     # issue #16's feed goals: five runs, each figure next to its goal

One fresh server (bench/server.py); the listeners live in a process of their
own so that the load generator cannot delay their receipt times. See bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import random
import secrets
import sys
import time
from array import array
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as `python bench/fanout.py`: make the `bench` package importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import msgspec

from bench.cpu import machine_busy_s, other_cores, wait_for_idle
from bench.httpclient import HttpConnection
from bench.mixed import (
    CLIENTES,
    HOST,
    OP_TABLE,
    PEDIDOS,
    STATUSES,
    Meter,
    login,
    machine_facts,
    make_pedido,
    percentile,
)  # fmt: skip
from bench.server import REPO_ROOT, BenchServer

ERROR_PAUSE_S = 0.01  # after a failed request, so a refused connection cannot spin the loop
CONNECT_CONCURRENCY = 20  # listener handshakes at a time: 200 at once would look like a connection storm
DRAIN_GRACE_S = 0.3  # after the last expected event, so a late duplicate still gets counted

_json = msgspec.json.Encoder()


class _FeedMessage(msgspec.Struct):
    """The fields of a feed message the listener needs; `order` is skipped unparsed."""

    type: str
    seq: int = 0
    at: str = ""
    worker: int = 0


class _Created(msgspec.Struct):
    id: int


_feed_decoder = msgspec.json.Decoder(_FeedMessage)
_created_decoder = msgspec.json.Decoder(_Created)


# --- the listener process --------------------------------------------------------------


@dataclass
class ListenerLog:
    """What one WebSocket received: event seqs with wall-clock receipt times, and how it ended."""

    worker: int = 0  # pid of the API worker serving it, from the hello message
    seqs: array[int] = field(default_factory=lambda: array("q"))
    received_at: array[float] = field(default_factory=lambda: array("d"))
    other: Counter[str] = field(default_factory=Counter)  # reset, pong, broadcasts: not events
    close: str | None = None  # set when the server closed it before the end (e.g. 4008 slow consumer)


async def _listen(ws: Any, log: ListenerLog, at_by_seq: dict[int, str], ending: asyncio.Event) -> None:
    """Receive until closed; timestamp first, parse after, so parsing cost is not latency."""
    try:
        async for text in ws:
            now = time.time()  # wall clock: `at` comes from the writer's time.time() on this machine
            message = _feed_decoder.decode(text)
            # A status change arrives as order_updated + order_status_updated with one seq (the
            # desktop client's pair, docs/auth-feed.md): count the event once.
            if message.type.startswith("order_") and message.type != "order_status_updated":
                log.seqs.append(message.seq)
                log.received_at.append(now)
                at_by_seq.setdefault(message.seq, message.at)
            elif message.type == "ping":
                await ws.send('"ping"')  # the server closes a feed client silent for ws_timeout_s
            else:
                log.other[message.type] += 1
    except Exception as exc:  # a broken socket ends this listener only; the report shows it
        if not ending.is_set():
            log.close = f"{type(exc).__name__} {ws.close_code or ''} {ws.close_reason or ''}".strip()
    else:
        if not ending.is_set():
            log.close = f"closed {ws.close_code} {ws.close_reason}".strip()


async def _listeners(conn: Connection, url: str, count: int, deflate: bool, open_timeout: float, light: bool) -> None:
    from websockets.asyncio.client import connect  # imported here: only the listener process needs it

    from bench.ws_light import light_connect

    logs = [ListenerLog() for _ in range(count)]
    at_by_seq: dict[int, str] = {}
    sockets: list[Any] = []
    tasks: list[asyncio.Task[None]] = []
    gate = asyncio.Semaphore(CONNECT_CONCURRENCY)
    ending = asyncio.Event()  # set before we close the sockets ourselves: those closes are not failures
    failures: Counter[str] = Counter()

    async def open_one(log: ListenerLog) -> None:
        async with gate:
            try:
                if light:
                    ws = await light_connect(url, deflate=deflate, open_timeout=open_timeout)
                else:
                    ws = await connect(
                        url, open_timeout=open_timeout, close_timeout=2.0, ping_interval=None,
                        compression="deflate" if deflate else None, max_size=2**22,
                    )  # fmt: skip
                hello = _feed_decoder.decode(await asyncio.wait_for(ws.recv(), open_timeout))
            except Exception as exc:
                failures[type(exc).__name__] += 1
                log.close = f"open failed: {type(exc).__name__}"
                return
        log.worker = hello.worker
        sockets.append(ws)
        tasks.append(asyncio.create_task(_listen(ws, log, at_by_seq, ending)))

    loop = asyncio.get_running_loop()
    try:
        await asyncio.gather(*(open_one(log) for log in logs))
        conn.send(("ready", dict(Counter(log.worker for log in logs if log.worker)), dict(failures)))
        # Blocking pipe reads go to a thread: the event loop keeps receiving meanwhile.
        await loop.run_in_executor(None, conn.recv)  # "go": the load starts
        cpu_start = time.process_time()
        _, target_seq, drain_timeout = await loop.run_in_executor(None, conn.recv)  # "drain": the load ended
        cpu_window = time.process_time() - cpu_start
        drain_start = time.monotonic()
        while time.monotonic() - drain_start < drain_timeout:
            if all(log.close is not None or (log.seqs and log.seqs[-1] >= target_seq) for log in logs):
                break
            await asyncio.sleep(0.05)
        drain_s = round(time.monotonic() - drain_start, 3)
        await asyncio.sleep(DRAIN_GRACE_S)
    finally:
        ending.set()
        await asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True)
        await asyncio.gather(*tasks, return_exceptions=True)
    conn.send(("done", [_log_tuple(log) for log in logs], at_by_seq, cpu_window, drain_s))


def _log_tuple(log: ListenerLog) -> tuple[Any, ...]:
    return (log.worker, log.seqs, log.received_at, dict(log.other), log.close)


def listener_main(conn: Connection, url: str, count: int, deflate: bool, open_timeout: float, light: bool) -> None:
    """Entry point of the listener process (spawned, so it also runs on Windows)."""
    try:
        asyncio.run(_listeners(conn, url, count, deflate, open_timeout, light))
    except Exception as exc:
        try:
            conn.send(("error", f"{type(exc).__name__}: {exc}"))
        except OSError:
            pass  # the parent is gone: nobody left to tell
    finally:
        conn.close()


class ListenerProcess:
    """The spawned listener process and its end of the pipe."""

    def __init__(self, url: str, count: int, deflate: bool, open_timeout: float, light: bool = False) -> None:
        ctx = multiprocessing.get_context("spawn")
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(
            target=listener_main,
            args=(child, url, count, deflate, open_timeout, light),
            daemon=True,
            name="sgp-listeners",
        )
        self.process.start()
        child.close()

    async def receive(self, kind: str, timeout: float) -> tuple[Any, ...]:
        """The next message from the listener process, which must be `kind`."""
        loop = asyncio.get_running_loop()
        if not await loop.run_in_executor(None, self.conn.poll, timeout):
            raise TimeoutError(f"the listener process sent no {kind!r} within {timeout:.0f} s")
        message = self.conn.recv()
        if message[0] != kind:
            raise RuntimeError(f"listener process: {message[1] if message[0] == 'error' else message[0]}")
        return tuple(message[1:])

    def stop(self) -> None:
        """Wait briefly for a clean exit, then kill (it is a daemon of ours, nothing else)."""
        self.process.join(10)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(5)
        self.conn.close()


# --- the write load ------------------------------------------------------------------------


@dataclass
class WriteLog:
    """Acknowledged writes by seq, with wall-clock send times, plus what the load did overall."""

    sent_at: dict[int, float] = field(default_factory=dict)  # seq -> time.time() when the request went out
    acked_at: dict[int, float] = field(default_factory=dict)  # seq -> time.time() when its answer arrived
    ack_latencies: list[float] = field(default_factory=list)
    in_doubt: int = 0  # write sent, no answer: it may have committed (and produced an event)
    ops: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)


async def write_client(
    index: int, conn: HttpConnection, log: WriteLog, deadline: float, budget: int, interval: float, seed: int
) -> None:
    """The mixed load of bench/mixed.py (create 50 %, patch 20 %, get 15 %, list 15 %), recording write seqs."""
    rng = random.Random(seed * 100_003 + index)
    today = date.today()
    mine: list[int] = []
    # Paced clients start at random phases: in step, they would send bursts instead of a steady rate.
    next_at = time.perf_counter() + rng.uniform(0.0, interval)
    for n in range(budget):
        if interval:  # paced: a fixed schedule, so a slow answer does not lower the offered rate
            await asyncio.sleep(max(0.0, next_at - time.perf_counter()))
            next_at += interval
        if time.perf_counter() >= deadline:
            return
        op = OP_TABLE[rng.randrange(len(OP_TABLE))]
        if (op == "patch" or op == "get") and not mine:
            op = "create"
        sent_wall, began = time.time(), time.perf_counter()
        try:
            if op == "create":
                body = make_pedido(rng, f"{rng.choice(CLIENTES)} fan {index}-{n}", today)
                response = await conn.request("POST", PEDIDOS, _json.encode(body))
            elif op == "patch":
                change = {"status": rng.choice(STATUSES), "observacao": f"revisão {index}-{n}"}
                response = await conn.request("PATCH", f"{PEDIDOS[:-1]}/{rng.choice(mine)}", _json.encode(change))
            elif op == "get":
                response = await conn.request("GET", f"{PEDIDOS[:-1]}/{rng.choice(mine)}")
            else:
                response = await conn.request("GET", f"{PEDIDOS}?limit=50")
        except Exception as exc:
            log.errors[f"{op} {type(exc).__name__}"] += 1
            log.in_doubt += op in ("create", "patch")
            await asyncio.sleep(ERROR_PAUSE_S)
            continue
        if not 200 <= response.status < 300:
            log.errors[f"{op} {response.status}"] += 1
            await asyncio.sleep(ERROR_PAUSE_S)
            continue
        log.ops[op] += 1
        if op in ("create", "patch"):
            log.ack_latencies.append(time.perf_counter() - began)
            seq = response.header("x-sgp-seq")
            if seq is None or not seq.isdigit():
                log.errors[f"{op} no X-SGP-Seq"] += 1
            else:
                log.sent_at[int(seq)] = sent_wall
                log.acked_at[int(seq)] = time.time()
            if op == "create":
                mine.append(_created_decoder.decode(response.body).id)


async def writer_figures(port: int, headers: dict[str, str]) -> dict[str, Any]:
    """GET /health/writer: batch and commit counters, to relate the event rate to the writer's batching."""
    conn = HttpConnection(HOST, port, headers=headers, timeout=10.0)
    try:
        response = await conn.request("GET", "/health/writer")
    finally:
        await conn.aclose()
    return dict(msgspec.json.decode(response.body)) if response.status == 200 else {}


# --- one run -----------------------------------------------------------------------------------


def _percentiles(values: list[float]) -> dict[str, float]:
    values.sort()
    figures = {f"p{p}_ms": round(percentile(values, p) * 1000, 2) for p in (50, 90, 99)}
    return {"count": len(values), **figures, "max_ms": round(values[-1] * 1000, 2) if values else 0.0}


def _at_seconds(at: str) -> float:
    # ISO-8601 UTC with milliseconds, truncated: receipt - at overstates by 0-1 ms.
    return datetime.fromisoformat(at).timestamp()


def analyse(logs: Iterable[tuple[Any, ...]], at_by_seq: dict[int, str], writes: WriteLog) -> dict[str, Any]:
    """Latencies over all (listener, event) pairs, and per listener what was missing or doubled."""
    at_ts = {seq: _at_seconds(at) for seq, at in at_by_seq.items() if at}
    expected = set(writes.sent_at)
    commit_to_receipt: list[float] = []
    send_to_receipt: list[float] = []
    ack_to_receipt: list[float] = []  # negative when the event beat the HTTP answer to the client
    by_worker: dict[int, list[float]] = {}
    per_listener: list[int] = []
    missing = duplicates = out_of_order = unacked = 0
    incomplete = 0
    closes: Counter[str] = Counter()
    other: Counter[str] = Counter()
    workers: Counter[int] = Counter()
    for worker, seqs, received_at, others, close in logs:
        other.update(others)
        if close is not None:
            closes[close] += 1
        if not worker:
            continue  # never connected
        workers[worker] += 1
        mine = by_worker.setdefault(worker, [])
        seen: set[int] = set()
        last = 0
        for seq, received in zip(seqs, received_at, strict=True):
            if seq in seen:
                duplicates += 1
                continue
            seen.add(seq)
            out_of_order += seq < last
            last = max(last, seq)
            if seq not in expected:
                unacked += 1  # a write that got no answer but committed: allowed up to writes.in_doubt
                continue
            latency = received - at_ts[seq]
            commit_to_receipt.append(latency)
            mine.append(latency)
            send_to_receipt.append(received - writes.sent_at[seq])
            ack_to_receipt.append(received - writes.acked_at[seq])
        got = len(seen & expected)
        per_listener.append(got)
        missing += len(expected) - got
        incomplete += got != len(expected)
    return {
        "listeners_connected": sum(workers.values()),
        "listeners_by_worker": {str(pid): count for pid, count in sorted(workers.items())},
        "writes_acked": len(expected),
        "events_per_listener_min": min(per_listener, default=0),
        "events_per_listener_max": max(per_listener, default=0),
        "listeners_incomplete": incomplete,
        "missing": missing,
        "duplicates": duplicates,
        "out_of_order": out_of_order,
        "unacked_events": unacked,
        "early_closes": dict(closes.most_common()),
        "other_messages": dict(other.most_common()),
        "commit_to_receipt": _percentiles(commit_to_receipt),
        "send_to_receipt": _percentiles(send_to_receipt),
        "ack_to_receipt": _percentiles(ack_to_receipt),
        "commit_to_receipt_by_worker": {str(pid): _percentiles(values) for pid, values in sorted(by_worker.items())},
    }


async def run(server: BenchServer, args: argparse.Namespace, listener_count: int) -> dict[str, Any]:
    """Listeners up (none for the baseline), mixed load for `duration`, drain, then the figures."""
    token = await login(server.port, args.username, args.password)
    if token is None:
        raise RuntimeError("the server has no POST /auth/login; the feed needs a token")
    headers = {"Authorization": f"Bearer {token}"}
    listeners = None
    if listener_count:
        url = f"ws://{HOST}:{server.port}/ws/orders?token={token}"
        listeners = ListenerProcess(url, listener_count, args.deflate, args.open_timeout, args.light_listeners)
    conns: list[HttpConnection] = []
    tasks: list[asyncio.Task[None]] = []
    by_worker: dict[int, int] = {}
    open_failures: dict[str, int] = {}
    logs: list[tuple[Any, ...]] = []
    at_by_seq: dict[int, str] = {}
    listener_cpu_s = drain_s = 0.0
    try:
        if listeners is not None:
            by_worker, open_failures = await listeners.receive("ready", 60.0 + args.open_timeout)
        writes = WriteLog()
        budget = max(1, args.max_requests // args.clients)
        interval = args.clients / args.rate if args.rate else 0.0
        conns = [HttpConnection(HOST, server.port, headers=headers, timeout=args.timeout) for _ in range(args.clients)]
        before = await writer_figures(server.port, headers)
        meter = Meter(server)
        if listeners is not None:
            listeners.conn.send(("go",))
        meter.mark()
        busy_start = machine_busy_s()
        started = time.perf_counter()
        end = started + args.duration
        tasks = [
            asyncio.create_task(write_client(i, conn, writes, end, budget, interval, args.seed))
            for i, conn in enumerate(conns)
        ]
        await asyncio.wait_for(asyncio.gather(*tasks), args.duration + args.timeout + 5.0)
        elapsed = time.perf_counter() - started
        busy_s = machine_busy_s() - busy_start
        meter.mark()
        if listeners is not None:
            listeners.conn.send(("drain", max(writes.sent_at, default=0), args.drain_timeout))
            logs, at_by_seq, listener_cpu_s, drain_s = await listeners.receive("done", args.drain_timeout + 60.0)
        after = await writer_figures(server.port, headers)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await asyncio.gather(*(conn.aclose() for conn in conns))
        if listeners is not None:
            listeners.stop()
    result = analyse(logs, at_by_seq, writes)
    cpu = meter.deltas()
    requests = sum(writes.ops.values())
    batches = after.get("batches_total", 0) - before.get("batches_total", 0)
    commands = after.get("commands_total", 0) - before.get("commands_total", 0)
    return {
        "listeners": listener_count,
        "clients": args.clients,
        "rate": args.rate,
        "deflate": args.deflate,
        "seconds": round(elapsed, 3),
        "open_failures": open_failures,
        "listeners_by_worker_at_hello": {str(pid): count for pid, count in by_worker.items()},
        "ops": dict(writes.ops),
        "requests_per_s": round(requests / elapsed, 1),
        "errors": dict(writes.errors.most_common()),
        "writes_in_doubt": writes.in_doubt,
        "writes_per_s": round(result["writes_acked"] / elapsed, 1),
        "ack": _percentiles(writes.ack_latencies),
        "deliveries": result["writes_acked"] * result["listeners_connected"],
        "deliveries_per_s": round(result["writes_acked"] * result["listeners_connected"] / elapsed, 1),
        "writer_mean_batch": round(commands / batches, 2) if batches else None,
        **result,
        **cpu,
        "server_cpu_ms_per_request": round(1000 * cpu["server_cpu_s"] / requests, 3) if requests else None,
        "listener_cpu_s": round(listener_cpu_s, 3),
        "listener_core_pct": round(100 * listener_cpu_s / elapsed, 1),
        "loadgen_core_pct": round(100 * cpu["loadgen_cpu_s"] / elapsed, 1),
        # Another program busy on the same box (tests, builds) slows every figure above.
        "other_cores": other_cores(busy_s, cpu["server_cpu_s"] + cpu["loadgen_cpu_s"] + listener_cpu_s, elapsed),
        "drain_s": drain_s,
    }


def fanout_cost_us(run_: dict[str, Any], baseline: dict[str, Any]) -> float | None:
    """Server CPU per delivery: the extra CPU per HTTP request over the baseline, spread over the deliveries."""
    with_feed, without = run_["server_cpu_ms_per_request"], baseline["server_cpu_ms_per_request"]
    if with_feed is None or without is None or not run_["deliveries"]:
        return None
    requests = sum(run_["ops"].values())
    return round(1000 * (with_feed - without) * requests / run_["deliveries"], 2)


# --- output ---------------------------------------------------------------------------------------

_ROW = "{:<26} {:>8} {:>8} {:>8} {:>8} {:>8}"


def _load_line(label: str, r: dict[str, Any]) -> str:
    return (
        f"{label}: {r['requests_per_s']} requests/s, writes {r['writes_acked']} acked = {r['writes_per_s']}/s,"
        f" ack p50/p99 {r['ack']['p50_ms']}/{r['ack']['p99_ms']} ms, in doubt {r['writes_in_doubt']},"
        f" errors {r['errors'] or 0}; writer mean batch {r['writer_mean_batch']};"
        f" server cpu {r['server_cpu_ms_per_request']} ms/request; machine {r['machine_busy_pct']}% busy,"
        f" other processes {r['other_cores']} cores"
    )


def format_run(r: dict[str, Any]) -> str:
    """The report block of one run (and its baseline, when there is one)."""
    spread = ", ".join(f"{pid}: {n}" for pid, n in r["listeners_by_worker"].items())
    lines = []
    if "baseline" in r:
        lines.append(_load_line("baseline (no listeners)", r["baseline"]))
    lines += [
        f"listeners {r['listeners_connected']}/{r['listeners']} connected (by worker pid: {spread});"
        f" open failures {r['open_failures'] or 0}",
        _load_line("with listeners", r),
        f"deliveries {r['deliveries_per_s']}/s (acked writes × listeners)",
        _ROW.format("latency ms", "count", "p50", "p90", "p99", "max"),
    ]
    for label, key in (
        ("commit → receipt", "commit_to_receipt"), ("send → receipt (own)", "send_to_receipt"),
        ("HTTP ack → receipt", "ack_to_receipt"), ("send → HTTP ack", "ack"),
    ):  # fmt: skip
        s = r[key]
        lines.append(_ROW.format(label, s["count"], s["p50_ms"], s["p90_ms"], s["p99_ms"], s["max_ms"]))
    for pid, s in r["commit_to_receipt_by_worker"].items():
        label = f"  commit → receipt @{pid}"
        lines.append(_ROW.format(label, s["count"], s["p50_ms"], s["p90_ms"], s["p99_ms"], s["max_ms"]))
    cost = r.get("fanout_server_us_per_delivery")
    lines += [
        f"events per listener: min {r['events_per_listener_min']}, max {r['events_per_listener_max']}"
        f" of {r['writes_acked']} acked; incomplete listeners {r['listeners_incomplete']}, missing {r['missing']},"
        f" duplicates {r['duplicates']}, out of order {r['out_of_order']}, unacked events {r['unacked_events']},"
        f" early closes {r['early_closes'] or 0}",
        f"cpu: server {r['server_cpu_s']} s"
        + (f", fan-out ≈ {cost} µs of server CPU per delivery" if cost is not None else "")
        + f"; listeners {r['listener_core_pct']}% of a core; loadgen {r['loadgen_core_pct']}% of a core;"
        f" drain {r['drain_s']} s",
    ]
    return "\n".join(lines)


def delivery_ok(r: dict[str, Any]) -> bool:
    """Every listener got every acked write's event exactly once, in order."""
    return (
        r["listeners_connected"] == r["listeners"]
        and r["missing"] == 0
        and r["duplicates"] == 0
        and r["out_of_order"] == 0
        and r["unacked_events"] <= r["writes_in_doubt"] * r["listeners_connected"]
        and not r["early_closes"]
    )


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(prog="bench/fanout.py", description=__doc__.splitlines()[0])
    parser.add_argument("--listeners", type=int, default=200, help="WebSocket feed clients")
    parser.add_argument("--clients", type=int, default=50, help="HTTP clients running the mixed load")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of load")
    parser.add_argument("--rate", type=float, default=0.0, help="total requests/s of the load (0: as fast as it goes)")
    parser.add_argument("--workers", type=int, default=2, help="API worker processes of the server")
    parser.add_argument("--synchronous", choices=("full", "normal"), default="full", help="the server's durability")
    parser.add_argument("--baseline", action="store_true", help="first run the same load without listeners")
    parser.add_argument("--idle-wait", type=float, default=0.0, help="max seconds to wait for an idle machine first")
    parser.add_argument("--deflate", action="store_true", help="listeners offer permessage-deflate, as browsers do")
    parser.add_argument(
        "--light-listeners", action="store_true",
        help="listeners use bench/ws_light.py (a minimal client, far less CPU than `websockets` on a shared box)",
    )  # fmt: skip
    parser.add_argument("--timeout", type=float, default=30.0, help="per-request timeout, seconds")
    parser.add_argument("--open-timeout", type=float, default=10.0, help="WebSocket handshake timeout, seconds")
    parser.add_argument("--drain-timeout", type=float, default=30.0, help="max wait for the last events after the load")
    parser.add_argument("--max-requests", type=int, default=200_000, help="cap on requests of the load")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--goals", action="store_true",
        help="issue #16: unpaced with and without listeners (--clients writers), then paced at --goal-rate"
        " (--goal-clients) without listeners, with them, and with them offering deflate",
    )  # fmt: skip
    parser.add_argument("--goal-rate", type=float, default=50.0, help="paced requests/s of --goals (~32 writes/s)")
    parser.add_argument("--goal-clients", type=int, default=50, help="HTTP clients of the paced --goals runs")
    parser.add_argument("--username", default="admin")
    parser.add_argument("--password", default=None, help="default: $SGP_ADMIN_PASSWORD, else a random one")
    parser.add_argument("--out", type=Path, help="JSON report (default bench/out/fanout-<timestamp>.json)")
    args = parser.parse_args(argv)
    if args.listeners < 1 or args.clients < 1 or args.duration <= 0 or min(args.rate, args.idle_wait) < 0:
        parser.error("--listeners and --clients must be >= 1, --duration > 0, --rate and --idle-wait >= 0")
    # The server's bootstrap admin gets this password, so login works on a fresh data dir.
    args.password = args.password or os.environ.get("SGP_ADMIN_PASSWORD") or secrets.token_urlsafe(18)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    args.out = args.out or REPO_ROOT / "bench" / "out" / f"fanout-{stamp}.json"
    return args


def run_on_fresh_server(args: argparse.Namespace, listener_count: int) -> dict[str, Any]:
    """Start a server with an empty data dir, run once, stop it; a failure becomes an `error` entry."""
    wait_for_idle(args.idle_wait)
    server = BenchServer(
        workers=args.workers,
        env={"SGP_ADMIN_PASSWORD": args.password},
        extra_args=["--synchronous", args.synchronous],
    )
    try:
        server.start(timeout=60.0)
        return asyncio.run(run(server, args, listener_count))
    except Exception as exc:
        return {"error": f"{type(exc).__name__}: {exc}", "server_log_tail": server.log_tail(20)}
    finally:
        server.stop()


# Issue #16's feed goals.
GOAL_US_PER_DELIVERY = 10.0
GOAL_THROUGHPUT_SHARE = 0.5
GOAL_P99_MS = 100.0


def _variant(args: argparse.Namespace, **changes: Any) -> argparse.Namespace:
    return argparse.Namespace(**{**vars(args), **changes})


def _goal_row(label: str, figure: str, goal: str, met: bool | None) -> str:
    verdict = "n/a" if met is None else ("met" if met else "NOT met")
    return f"{label:<58} {figure:>24}   {goal:<10} {verdict}"


def run_goals(args: argparse.Namespace) -> dict[str, Any]:
    """The five runs behind issue #16's feed goals, each on a fresh server; prints the goal table."""
    unpaced = _variant(args, rate=0.0, deflate=False)
    paced = _variant(args, rate=args.goal_rate, clients=args.goal_clients, deflate=False)
    runs: dict[str, dict[str, Any]] = {}
    for name, variant, listeners in (
        ("unpaced_baseline", unpaced, 0), ("unpaced", unpaced, args.listeners),
        ("paced_baseline", paced, 0), ("paced", paced, args.listeners),
        ("paced_deflate", _variant(paced, deflate=True), args.listeners),
    ):  # fmt: skip
        runs[name] = run_on_fresh_server(variant, listeners)
        print(f"-- {name}: " + (runs[name].get("error") or _load_line("load", runs[name])), flush=True)
    failed = [name for name, r in runs.items() if "error" in r]
    if failed:
        for name in failed:
            print(f"FAILED {name}: {runs[name]['error']}\n{runs[name]['server_log_tail']}")
        return {"runs": runs, "ok": False}
    for name, base in (
        ("unpaced", "unpaced_baseline"),
        ("paced", "paced_baseline"),
        ("paced_deflate", "paced_baseline"),
    ):
        runs[name]["fanout_server_us_per_delivery"] = fanout_cost_us(runs[name], runs[base])
    for name in ("unpaced", "paced", "paced_deflate"):
        print(f"\n== {name}\n{format_run(runs[name])}")
    us = {name: runs[name]["fanout_server_us_per_delivery"] for name in ("paced", "paced_deflate", "unpaced")}
    share = runs["unpaced"]["requests_per_s"] / runs["unpaced_baseline"]["requests_per_s"]
    p99 = runs["paced"]["commit_to_receipt"]["p99_ms"]
    ok = {name: delivery_ok(runs[name]) for name in ("unpaced", "paced", "paced_deflate")}
    L, W = args.listeners, runs["paced"]["writes_per_s"]  # noqa: N806 - the goal's own letters
    print(
        f"\nissue #16 feed goals ({args.workers} workers; server CPU from psutil, over the same load without listeners)"
    )
    print(_goal_row("goal", "figure", "goal", None).replace("n/a", "verdict"))
    for label, key in (
        (f"server CPU per delivery, {W} writes/s to {L} listeners", "paced"),
        (f"server CPU per delivery, {W} writes/s to {L}, deflate offered", "paced_deflate"),
        (f"server CPU per delivery, unpaced, {args.clients} writers, {L} listeners", "unpaced"),
    ):
        value = us[key]
        shown = "n/a" if value is None else f"{value} µs"
        print(
            _goal_row(
                label, shown, f"≤ {GOAL_US_PER_DELIVERY:g} µs", None if value is None else value <= GOAL_US_PER_DELIVERY
            )
        )
    base_rps, with_rps = runs["unpaced_baseline"]["requests_per_s"], runs["unpaced"]["requests_per_s"]
    print(_goal_row(f"throughput, {L} listeners + {args.clients} writers vs none", f"{share:.0%} ({with_rps}/{base_rps} req/s)",
                    f"≥ {GOAL_THROUGHPUT_SHARE:.0%}", share >= GOAL_THROUGHPUT_SHARE))  # fmt: skip
    print(
        _goal_row(
            f"commit → receipt p99 at {W} writes/s, {L} listeners",
            f"{p99} ms",
            f"< {GOAL_P99_MS:g} ms",
            p99 < GOAL_P99_MS,
        )
    )
    deflate_p99 = runs["paced_deflate"]["commit_to_receipt"]["p99_ms"]
    print(_goal_row("  same, deflate offered", f"{deflate_p99} ms", f"< {GOAL_P99_MS:g} ms", deflate_p99 < GOAL_P99_MS))
    print(
        _goal_row(
            "100 % delivery in order (every run)",
            "OK" if all(ok.values()) else f"FAILED {ok}",
            "100 %",
            all(ok.values()),
        )
    )
    others = ", ".join(f"{name} {r['other_cores']}" for name, r in runs.items())
    print(f"other processes' cores during each run (a busy box slows every figure): {others}")
    return {"runs": runs, "ok": all(ok.values()), "share": round(share, 3), "us_per_delivery": us, "p99_ms": p99}


def main(argv: list[str] | None = None) -> int:
    """Optionally a baseline without listeners, then the run with listeners; print the report, write the JSON."""
    args = parse_args(argv)
    if args.goals:
        report_goals: dict[str, Any] = {
            "started_at": datetime.now().astimezone().isoformat(timespec="seconds"),
            "command": [Path(sys.argv[0]).name, *sys.argv[1:]] if argv is None else argv,
            "settings": {k: v for k, v in vars(args).items() if k not in ("password", "out")},
            "machine": machine_facts(),
            "goals": run_goals(args),
        }
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_bytes(msgspec.json.format(msgspec.json.encode(report_goals), indent=2))
        print(f"report: {args.out}")
        return 0 if report_goals["goals"]["ok"] else 1
    report: dict[str, Any] = {
        "started_at": datetime.now().astimezone().isoformat(timespec="seconds"),
        "command": [Path(sys.argv[0]).name, *sys.argv[1:]] if argv is None else argv,
        "settings": {k: v for k, v in vars(args).items() if k not in ("password", "out")},
        "machine": machine_facts(),
    }
    machine = report["machine"]
    print(
        f"{machine['cpu_count']} CPUs, Python {machine['python']}, {args.workers} workers, {args.listeners} listeners,"
        f" {args.clients} clients, {args.duration:g} s, rate {args.rate or 'unpaced'}, synchronous={args.synchronous}"
        f"{', deflate' if args.deflate else ''}; latencies in ms"
    )
    baseline = run_on_fresh_server(args, 0) if args.baseline else None
    result = run_on_fresh_server(args, args.listeners)
    if baseline is not None:
        result["baseline"] = baseline
        if "error" not in baseline and "error" not in result:
            result["fanout_server_us_per_delivery"] = fanout_cost_us(result, baseline)
    failed = [r for r in (baseline, result) if r is not None and "error" in r]
    for r in failed:
        print(f"FAILED: {r['error']}\n{r['server_log_tail']}")
    if failed:
        result["ok"] = False
    else:
        result["ok"] = delivery_ok(result)
        print(format_run(result))
        print(f"delivery {'OK' if result['ok'] else 'FAILED'}")
    report["run"] = result
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(msgspec.json.format(msgspec.json.encode(report), indent=2))
    print(f"report: {args.out}")
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
