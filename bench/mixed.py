"""Mixed-load benchmark: per client count, a /health ceiling, a create/patch/get/list mix, a consistency check.

    python bench/mixed.py --clients 20 100 200 --duration 10 --workers 2

Each client count gets a freshly started server (bench/server.py). See bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import random
import secrets
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

if __package__ in (None, ""):  # run as `python bench/mixed.py`: make the `bench` package importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import msgspec
import psutil

from bench.httpclient import HttpConnection, Response
from bench.server import REPO_ROOT, BenchServer, ServerError
from bench.trivial import TrivialServer

HOST = "127.0.0.1"
PEDIDOS = "/api/v1/pedidos/"
# 20 slots in the proportions of the mix: create 50%, patch 20%, get 15%, list 15%.
OP_TABLE = ("create",) * 10 + ("patch",) * 4 + ("get",) * 3 + ("list",) * 3
MIXED_OPS = ("create", "patch", "get", "list")
STATUSES = ("pendente", "em_producao", "pronto", "entregue", "cancelado")
CLIENTES = (
    "Gráfica Estrela", "Confecções Horizonte", "Loja Bom Preço", "Academia Força Total",
    "Igreja Batista Central", "Colégio São José", "Pizzaria Bella Nápoli", "Auto Peças Irmãos Souza",
)  # fmt: skip
TECIDOS = ("Oxford", "Tactel", "Helanca", "Microfibra", "Lona 440g")
ERROR_PAUSE_S = 0.01  # after a failed request, so a refused connection cannot spin the loop
PAGE = 500  # the server's default max_page_size
FORM = "application/x-www-form-urlencoded"

_json = msgspec.json.Encoder()


class _Ack(msgspec.Struct):
    id: int
    numero: str
    cliente: str


class _Doc(msgspec.Struct):
    id: int
    numero: str
    cliente: str
    status: str
    observacao: str | None = None
    version: int = 1


_ack_decoder = msgspec.json.Decoder(_Ack)
_doc_decoder = msgspec.json.Decoder(_Doc)
_page_decoder = msgspec.json.Decoder(list[_Doc])


# --- recording ---------------------------------------------------------------


class Recorder:
    """Latencies and errors per operation, for requests that finish inside the measured window."""

    def __init__(self, ops: tuple[str, ...], start: float, end: float) -> None:
        self.start = start
        self.end = end
        self.latencies: dict[str, list[float]] = {op: [] for op in ops}
        self.errors: dict[str, Counter[str]] = {op: Counter() for op in ops}

    def record(self, op: str, began: float, ended: float, error: str | None) -> None:
        """Count one request if it ended inside the window (warm-up and overrun are excluded)."""
        if self.start <= ended <= self.end:
            if error is None:
                self.latencies[op].append(ended - began)
            else:
                self.errors[op][error] += 1


@dataclass
class Ledger:
    """What the server acknowledged during the mixed load: the consistency check's expectations."""

    created: dict[int, tuple[str, str]] = field(default_factory=dict)  # id -> (cliente, numero)
    ids: list[int] = field(default_factory=list)  # acknowledged ids, for random GETs
    creates_in_doubt: int = 0  # request sent, no answer: it may or may not have committed
    wrong_acks: list[str] = field(default_factory=list)  # 2xx whose body is another pedido, or a reused id
    unconfirmed: list[str] = field(default_factory=list)  # clientes sent whose answer was wrong: stored?
    last_patch: dict[int, tuple[str, str]] = field(default_factory=dict)  # id -> (status, observacao)
    patch_acks: Counter[int] = field(default_factory=Counter)
    patches_in_doubt: set[int] = field(default_factory=set)


def _outcome(response: Response) -> str | None:
    return None if 200 <= response.status < 300 else str(response.status)


def percentile(sorted_values: list[float], percent: int) -> float:
    """Nearest-rank percentile of an ascending list (0 when empty)."""
    if not sorted_values:
        return 0.0
    rank = -(-percent * len(sorted_values) // 100)  # ceil in integers
    return sorted_values[max(rank, 1) - 1]


def summarize(latencies: list[float], errors: Counter[str], duration: float) -> dict[str, Any]:
    """Counts, rate and latency percentiles (ms) of one operation."""
    values = sorted(latencies)
    return {
        "ok": len(values),
        "ok_per_s": round(len(values) / duration, 1),
        **{f"p{p}_ms": round(percentile(values, p) * 1000, 2) for p in (50, 90, 99)},
        "max_ms": round(values[-1] * 1000, 2) if values else 0.0,
        "errors": dict(errors.most_common()),
    }


# --- phases ------------------------------------------------------------------

Client = Callable[[int, HttpConnection, Recorder, float, int], Awaitable[None]]


class Meter:
    """CPU counters read at the window's edges: server tree, this process, the whole machine."""

    def __init__(self, server: BenchServer) -> None:
        self.server = server
        self.marks: list[tuple[float, float, float, float]] = []

    def mark(self) -> None:
        """Read all counters now."""
        machine = psutil.cpu_times()
        # Linux counts guest time inside user time as well; iowait is idle for our purpose.
        total = sum(machine) - getattr(machine, "guest", 0.0) - getattr(machine, "guest_nice", 0.0)
        busy = total - machine.idle - getattr(machine, "iowait", 0.0)
        self.marks.append((self.server.cpu_seconds(), time.process_time(), busy, total))

    def deltas(self) -> dict[str, float]:
        """Server CPU s, loadgen CPU s and machine busy share between the two marks."""
        (s0, l0, b0, t0), (s1, l1, b1, t1) = self.marks
        return {
            "server_cpu_s": round(s1 - s0, 3),
            "loadgen_cpu_s": round(l1 - l0, 3),
            "machine_busy_pct": round(100 * (b1 - b0) / max(t1 - t0, 1e-9), 1),
        }


async def run_phase(
    server: BenchServer,
    clients: int,
    ops: tuple[str, ...],
    client: Client,
    args: argparse.Namespace,
    headers: dict[str, str],
) -> dict[str, Any]:
    """Run `clients` copies of `client` for warm-up + duration; figures cover the window only."""
    start = time.perf_counter() + args.warmup
    end = start + args.duration
    recorder = Recorder(ops, start, end)
    meter = Meter(server)
    budget = max(1, args.max_requests // clients)  # bounded in count as well as in time
    conns = [HttpConnection(HOST, server.port, headers=headers, timeout=args.timeout) for _ in range(clients)]
    tasks = [asyncio.create_task(client(i, conn, recorder, end, budget)) for i, conn in enumerate(conns)]
    try:
        await asyncio.sleep(max(0.0, start - time.perf_counter()))
        meter.mark()
        await asyncio.sleep(max(0.0, end - time.perf_counter()))
        meter.mark()
        await asyncio.gather(*tasks)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await asyncio.gather(*(conn.aclose() for conn in conns))
    per_op = {op: summarize(recorder.latencies[op], recorder.errors[op], args.duration) for op in ops}
    ok = sum(item["ok"] for item in per_op.values())
    cpu = meter.deltas()
    return {
        "ops": per_op,
        "ok": ok,
        "ok_per_s": round(ok / args.duration, 1),
        "errors": sum(sum(item["errors"].values()) for item in per_op.values()),
        **cpu,
        "server_cpu_ms_per_ok": round(1000 * cpu["server_cpu_s"] / ok, 3) if ok else None,
        "loadgen_core_pct": round(100 * cpu["loadgen_cpu_s"] / args.duration, 1),
        "connects": sum(conn.connects for conn in conns),
    }


def get_loop(op: str, path: str) -> Client:
    """Ceiling load: GET `path` back to back, recorded as `op`."""

    async def client(index: int, conn: HttpConnection, rec: Recorder, deadline: float, budget: int) -> None:
        for _ in range(budget):
            if time.perf_counter() >= deadline:
                return
            began = time.perf_counter()
            try:
                error = _outcome(await conn.request("GET", path))
            except Exception as exc:
                error = type(exc).__name__
            rec.record(op, began, time.perf_counter(), error)
            if error is not None:
                await asyncio.sleep(ERROR_PAUSE_S)

    return client


health_client = get_loop("health", "/health")
trivial_client = get_loop("trivial", "/trivial")


def money(rng: random.Random, low: int, high: int) -> str:
    """A Brazilian-formatted amount between low and high reais ("120,50")."""
    cents = rng.randint(low * 100, high * 100)
    return f"{cents // 100},{cents % 100:02d}"


def make_pedido(rng: random.Random, cliente: str, today: date) -> dict[str, Any]:
    """A realistic POST body: 1-3 painel items with money strings and finishing options."""
    items = []
    for _ in range(rng.randint(1, 3)):
        largura, altura = rng.randint(1, 6), rng.randint(1, 3)
        finish = rng.choice(("ilhos", "cordinha", "ilhos e cordinha", "sem acabamento"))
        items.append({
            "tipo_producao": "painel",
            "descricao": rng.choice(("Painel fundo de palco", "Backdrop evento", "Fachada loja", "Painel stand")),
            "tecido": rng.choice(TECIDOS),
            "largura": f"{largura},00",
            "altura": f"{altura},50",
            "metro_quadrado": f"{largura * altura + largura / 2:.2f}".replace(".", ","),
            "vendedor": rng.choice(("Carla", "Marcos", "Juliana")),
            "designer": rng.choice(("Rafa", "Bia")),
            "tipo_acabamento": finish,
            "acabamento": {"overloque": rng.random() < 0.5, "elastico": False, "ilhos": "ilhos" in finish},
            "valor_painel": money(rng, 80, 900),
            "valores_adicionais": money(rng, 0, 40),
            "quantidade_paineis": rng.randint(1, 5),
            "quantidade_ilhos": rng.randint(4, 24),
            "valor_ilhos": "0,50",
            "quantidade_cordinha": rng.randint(1, 4),
            "valor_cordinha": "2,00",
        })  # fmt: skip
    return {
        "cliente": cliente,
        "telefone_cliente": f"(11) 9{rng.randint(1000, 9999)}-{rng.randint(1000, 9999)}",
        "cidade_cliente": "São Paulo",
        "estado_cliente": "SP",
        "data_entrada": today.isoformat(),
        "data_entrega": (today + timedelta(days=rng.randint(2, 15))).isoformat(),
        "prioridade": "ALTA" if rng.random() < 0.2 else "NORMAL",
        "status": "pendente",
        "tipo_pagamento": rng.choice(("PIX", "Boleto", "Cartão")),
        "forma_envio": rng.choice(("Retirada", "Motoboy", "Transportadora")),
        "valor_frete": money(rng, 0, 60),
        "observacao": "Pedido gerado pelo benchmark",
        "items": items,
    }


def mixed_client_factory(ledger: Ledger, seed: int) -> Client:
    """The mixed-load client, writing what the server acknowledged into `ledger`."""
    today = date.today()

    async def mixed_client(index: int, conn: HttpConnection, rec: Recorder, deadline: float, budget: int) -> None:
        rng = random.Random(seed * 100_003 + index)
        mine: list[int] = []  # patches go only to this client's pedidos, so their order is known
        for n in range(budget):
            if time.perf_counter() >= deadline:
                return
            op = OP_TABLE[rng.randrange(len(OP_TABLE))]
            if (op == "patch" and not mine) or (op == "get" and not ledger.ids):
                op = "create"
            pedido_id = 0
            began = time.perf_counter()
            try:
                if op == "create":
                    cliente = f"{rng.choice(CLIENTES)} {index}-{n}"
                    response = await conn.request("POST", PEDIDOS, _json.encode(make_pedido(rng, cliente, today)))
                    if (error := _outcome(response)) is None:
                        ack = _ack_decoder.decode(response.body)
                        if ack.cliente != cliente or ack.id in ledger.created:
                            # Another request's answer: a 2xx the client cannot trust.
                            error = "wrong_ack"
                            ledger.wrong_acks.append(f"sent {cliente!r}, got id {ack.id} {ack.cliente!r}")
                            ledger.creates_in_doubt += 1
                            ledger.unconfirmed.append(cliente)
                        else:
                            ledger.created[ack.id] = (cliente, ack.numero)
                            ledger.ids.append(ack.id)
                            mine.append(ack.id)
                elif op == "patch":
                    pedido_id = rng.choice(mine)
                    change = (rng.choice(STATUSES), f"revisão {index}-{n}")
                    body = _json.encode({"status": change[0], "observacao": change[1]})
                    response = await conn.request("PATCH", f"{PEDIDOS[:-1]}/{pedido_id}", body)
                    if (error := _outcome(response)) is None:
                        ledger.last_patch[pedido_id] = change
                        ledger.patch_acks[pedido_id] += 1
                elif op == "get":
                    error = _outcome(await conn.request("GET", f"{PEDIDOS[:-1]}/{rng.choice(ledger.ids)}"))
                else:
                    error = _outcome(await conn.request("GET", f"{PEDIDOS}?limit=50"))
            except Exception as exc:
                error = type(exc).__name__
                if op == "create":
                    ledger.creates_in_doubt += 1
                elif op == "patch":
                    ledger.patches_in_doubt.add(pedido_id)
            rec.record(op, began, time.perf_counter(), error)
            if error is not None:
                await asyncio.sleep(ERROR_PAUSE_S)

    return mixed_client


# --- consistency ---------------------------------------------------------------

_COUNTED = ("patched_checked", "missing", "wrong_cliente_or_numero", "patch_mismatch", "version_mismatch")


async def check_consistency(port: int, headers: dict[str, str], ledger: Ledger, connections: int = 8) -> dict[str, Any]:
    """After the load: acknowledged pedidos exist as acknowledged, no duplicate numeros, counts match."""
    problems: list[str] = [f"create acknowledged with another pedido: {text}" for text in ledger.wrong_acks]
    counts: Counter[str] = Counter()
    conns = [HttpConnection(HOST, port, headers=headers, timeout=30.0) for _ in range(connections)]
    ids = list(ledger.created)

    async def verify(conn: HttpConnection, chunk: list[int]) -> None:
        for pedido_id in chunk:
            response = await conn.request("GET", f"{PEDIDOS[:-1]}/{pedido_id}")
            if response.status != 200:
                counts["missing"] += 1
                problems.append(f"pedido {pedido_id}: GET answered {response.status}")
                continue
            doc = _doc_decoder.decode(response.body)
            if (doc.cliente, doc.numero) != ledger.created[pedido_id]:
                counts["wrong_cliente_or_numero"] += 1
                problems.append(f"pedido {pedido_id}: {doc.cliente!r}/{doc.numero} != {ledger.created[pedido_id]}")
            if pedido_id in ledger.patches_in_doubt:
                continue  # an unanswered patch may still have committed after a later one
            expected = ledger.last_patch.get(pedido_id)
            if expected is not None:
                counts["patched_checked"] += 1
                if (state := (doc.status, doc.observacao)) != expected:
                    counts["patch_mismatch"] += 1
                    problems.append(f"pedido {pedido_id}: state {state} != last ack {expected}")
            # Each acknowledged patch adds exactly one version: a lost or doubled patch shows here.
            if doc.version != 1 + (acks := ledger.patch_acks[pedido_id]):
                counts["version_mismatch"] += 1
                problems.append(f"pedido {pedido_id}: version {doc.version} after {acks} acked patches")

    try:
        await asyncio.gather(*(verify(conn, ids[i::connections]) for i, conn in enumerate(conns)))
        listed: list[_Doc] = []
        total_header: str | None = None
        max_pages = (len(ids) + ledger.creates_in_doubt) // PAGE + 2  # bounded even if paging misbehaves
        for page in range(max_pages):
            response = await conns[0].request("GET", f"{PEDIDOS}?limit={PAGE}&skip={page * PAGE}")
            if response.status != 200:
                problems.append(f"list page skip={page * PAGE}: answered {response.status}")
                break
            total_header = total_header or response.header("x-total-count")
            docs = _page_decoder.decode(response.body)
            listed.extend(docs)
            if len(docs) < PAGE:
                break
    finally:
        await asyncio.gather(*(conn.aclose() for conn in conns))

    numeros = Counter(doc.numero for doc in listed)
    duplicates = sorted(numero for numero, seen in numeros.items() if seen > 1)
    # Every body the benchmark sends has a unique cliente: seeing one twice means a body was stored twice.
    clientes = Counter(doc.cliente for doc in listed)
    repeated_clientes = sorted(cliente for cliente, seen in clientes.items() if seen > 1)
    unconfirmed_stored = sum(clientes[cliente] for cliente in ledger.unconfirmed)
    listed_ids = {doc.id for doc in listed}
    not_listed = len(set(ids) - listed_ids)
    acked, in_doubt = len(ids), ledger.creates_in_doubt
    count_ok = acked <= len(listed) <= acked + in_doubt
    if duplicates:
        problems.append(f"duplicate numeros in the list: {duplicates[:10]}")
    if repeated_clientes:
        problems.append(f"one request stored more than once: {repeated_clientes[:5]}")
    if not count_ok:
        problems.append(f"list has {len(listed)} pedidos; acknowledged creates {acked} (+{in_doubt} in doubt)")
    if not_listed:
        problems.append(f"{not_listed} acknowledged pedidos missing from the list")
    return {
        "ok": not problems,
        "acked_creates": acked,
        "creates_in_doubt": in_doubt,
        "wrong_acks": len(ledger.wrong_acks),
        "wrong_acks_stored": unconfirmed_stored,  # of the wrongly answered creates, how many rows exist
        "repeated_clientes": len(repeated_clientes),
        "listed": len(listed),
        "x_total_count": int(total_header) if total_header and total_header.isdigit() else None,
        "duplicate_numeros": len(duplicates),
        "acked_not_listed": not_listed,
        "patched_ids": len(ledger.last_patch),
        "patches_in_doubt": len(ledger.patches_in_doubt),
        **{name: counts[name] for name in _COUNTED},
        "problems": problems[:20],
        "problem_count": len(problems),
    }


# --- one client count ------------------------------------------------------------


async def login(port: int, username: str, password: str) -> str | None:
    """A bearer token from POST /auth/login, or None when the server has no such route (404)."""
    conn = HttpConnection(HOST, port)
    credentials = {"username": username, "password": password}
    try:
        response = await conn.request("POST", "/auth/login", _json.encode(credentials))
        if response.status in (415, 422):  # an OAuth2 password-flow route wants a form, not JSON
            form = urlencode(credentials).encode("ascii")
            response = await conn.request("POST", "/auth/login", form, content_type=FORM)
    finally:
        await conn.aclose()
    if response.status == 404:
        return None
    if response.status != 200:
        raise ServerError(f"POST /auth/login answered {response.status}: {response.body[:300]!r}")
    return str(msgspec.json.decode(response.body)["access_token"])


async def bench_clients(server: BenchServer, clients: int, args: argparse.Namespace) -> dict[str, Any]:
    """Ceiling, mixed load and consistency check for one client count against a started server."""
    token = await login(server.port, args.username, args.password)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    ceiling = await run_phase(server, clients, ("health",), health_client, args, headers)
    ledger = Ledger()
    mixed = await run_phase(server, clients, MIXED_OPS, mixed_client_factory(ledger, args.seed), args, headers)
    mixed["ratio_to_ceiling"] = round(mixed["ok_per_s"] / ceiling["ok_per_s"], 3) if ceiling["ok_per_s"] else None
    check = await check_consistency(server.port, headers, ledger)
    return {"clients": clients, "auth": token is not None, "ceiling": ceiling, "mixed": mixed, "consistency": check}


def trivial_phase(clients: int, args: argparse.Namespace) -> dict[str, Any]:
    """Issue #16's ceiling: bench/trivial.py's one-route FastAPI app, same hypercorn and workers, same clients."""
    server = TrivialServer(workers=args.workers)
    try:
        server.start(timeout=60.0)
        return asyncio.run(run_phase(server, clients, ("trivial",), trivial_client, args, {}))
    finally:
        server.stop()


# --- output ----------------------------------------------------------------------

_ROW = "{:>7}  {:<14} {:>7} {:>8} {:>7} {:>7} {:>8} {:>8}  {}"
_PAD = " " * 9


def _op_row(clients: int | str, name: str, s: dict[str, Any]) -> str:
    errors = " ".join(f"{kind}×{count}" for kind, count in s["errors"].items()) or "-"
    latencies = (s["p50_ms"], s["p90_ms"], s["p99_ms"], s["max_ms"])
    return _ROW.format(clients, name, s["ok"], s["ok_per_s"], *latencies, errors)


def _cpu_line(label: str, phase: dict[str, Any]) -> str:
    return (
        f"{_PAD}cpu {label:<8} server {phase['server_cpu_ms_per_ok']} ms/ok ({phase['server_cpu_s']} s), "
        f"loadgen {phase['loadgen_cpu_s']} s = {phase['loadgen_core_pct']}% of a core, "
        f"machine {phase['machine_busy_pct']}% busy"
    )


def format_run(run: dict[str, Any]) -> str:
    """The table block of one client count."""
    if "error" in run:
        return f"{run['clients']:>7}  FAILED: {run['error'].splitlines()[0]}"
    ceiling, mixed, check = run["ceiling"], run["mixed"], run["consistency"]
    trivial = run.get("trivial")
    lines = [_op_row(run["clients"], "trivial", trivial["ops"]["trivial"])] if trivial else []
    lines.append(_op_row(run["clients"], "ceiling health", ceiling["ops"]["health"]))
    lines += [_op_row(run["clients"], f"mixed {op}", stats) for op, stats in mixed["ops"].items()]
    ratio = f"= {mixed['ratio_to_ceiling']} × ceiling"
    if trivial:
        ratio += f", {mixed['ratio_to_trivial']} × trivial (goal ≥ 0.6)"
    lines.append(_ROW.format("", "mixed total", mixed["ok"], mixed["ok_per_s"], "", "", "", "", ratio))
    lines += [_cpu_line("trivial", trivial)] if trivial else []
    lines += [_cpu_line("ceiling", ceiling), _cpu_line("mixed", mixed) + " (goal ≤ 1.3 ms/ok)"]
    verdict = "OK"
    if not check["ok"]:
        verdict = f"FAILED ({check['problem_count']} problems: {'; '.join(check['problems'][:3])})"
    lines.append(
        f"{_PAD}consistency {verdict}: {check['acked_creates']} acked creates (+{check['creates_in_doubt']} in doubt),"
        f" {check['listed']} listed, {check['duplicate_numeros']} duplicate numeros,"
        f" {check['patched_checked']} patched ids checked"
    )
    return "\n".join(lines)


def machine_facts() -> dict[str, Any]:
    """Where the figures come from: CPUs, memory, OS, Python, the repo's commit."""
    try:
        commit = (
            subprocess.run(
                ["git", "rev-parse", "--short", "HEAD"], cwd=REPO_ROOT, capture_output=True, text=True, timeout=5
            ).stdout.strip()
            or None
        )
    except (OSError, subprocess.SubprocessError):
        commit = None
    return {
        "cpu_count": os.cpu_count(),
        "cpu_count_physical": psutil.cpu_count(logical=False),
        "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "python": sys.version.split()[0],
        "implementation": platform.python_implementation(),
        "git_commit": commit,
    }


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(prog="bench/mixed.py", description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, nargs="+", default=[20, 100, 200], help="client counts to run")
    parser.add_argument("--duration", type=float, default=10.0, help="measured seconds per phase")
    parser.add_argument("--warmup", type=float, default=2.0, help="unmeasured seconds before each phase's window")
    parser.add_argument("--workers", type=int, default=2, help="API worker processes of the server")
    parser.add_argument("--timeout", type=float, default=30.0, help="per-request timeout, seconds")
    parser.add_argument("--max-requests", type=int, default=500_000, help="cap on requests per phase")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--username", default="admin")
    parser.add_argument("--password", default=None, help="default: $SGP_ADMIN_PASSWORD, else a random one")
    parser.add_argument("--out", type=Path, help="JSON report (default bench/out/mixed-<timestamp>.json)")
    parser.add_argument(
        "--no-trivial", dest="trivial", action="store_false", help="skip the trivial FastAPI ceiling (bench/trivial.py)"
    )
    args = parser.parse_args(argv)
    if min(args.clients) < 1 or args.duration <= 0 or args.warmup < 0:
        parser.error("--clients must be >= 1, --duration > 0, --warmup >= 0")
    # The server's bootstrap admin gets this password, so login works on a fresh data dir.
    args.password = args.password or os.environ.get("SGP_ADMIN_PASSWORD") or secrets.token_urlsafe(18)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    args.out = args.out or REPO_ROOT / "bench" / "out" / f"mixed-{stamp}.json"
    return args


def main(argv: list[str] | None = None) -> int:
    """Run every client count against its own fresh server; print the table, write the JSON."""
    args = parse_args(argv)
    settings = {k: v for k, v in vars(args).items() if k not in ("password", "out")}
    report: dict[str, Any] = {
        "started_at": datetime.now().astimezone().isoformat(timespec="seconds"),
        "command": [Path(sys.argv[0]).name, *sys.argv[1:]] if argv is None else argv,
        "settings": settings,
        "machine": machine_facts(),
        "runs": [],
    }
    machine = report["machine"]
    print(
        f"{machine['cpu_count']} CPUs, Python {machine['python']}, {args.workers} workers, "
        f"{args.duration:g} s per phase after {args.warmup:g} s warm-up; latencies in ms"
    )
    print(_ROW.format("clients", "phase op", "ok", "ok/s", "p50", "p90", "p99", "max", "errors"))
    for clients in args.clients:
        trivial = None
        if args.trivial:
            try:
                trivial = trivial_phase(clients, args)
            except ServerError as exc:  # the mixed load still runs; its ratio to /health stays
                print(f"trivial ceiling failed: {exc}", file=sys.stderr)
        server = BenchServer(workers=args.workers, env={"SGP_ADMIN_PASSWORD": args.password})
        try:
            server.start(timeout=60.0)
            run = asyncio.run(bench_clients(server, clients, args))
        except Exception as exc:  # record the failed run and go on with the next client count
            run = {"clients": clients, "error": f"{type(exc).__name__}: {exc}"}
        finally:
            run_log = server.log_tail(20)
            server.stop()
        if "error" in run:
            run["server_log_tail"] = run_log
        elif trivial is not None:
            run["trivial"] = trivial
            run["mixed"]["ratio_to_trivial"] = round(run["mixed"]["ok_per_s"] / max(trivial["ok_per_s"], 1e-9), 3)
        report["runs"].append(run)
        print(format_run(run), flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(msgspec.json.format(msgspec.json.encode(report), indent=2))
    print(f"report: {args.out}")
    failed = any("error" in run or not run["consistency"]["ok"] for run in report["runs"])
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
