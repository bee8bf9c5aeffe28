"""Image benchmark: N clients creating pedidos with a data-URL image each, against the same load without images.

    python bench/images.py --clients 20 --image-mb 2 --duration 10 --workers 2

Each phase gets a fresh server (bench/server.py). The point is the writer:
API workers decode, hash and fsync the images, and the writer only records a
reference, so its commit latency (`commit_ms` from /health/writer) should not
move when every create carries megabytes. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import itertools
import os
import secrets
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as `python bench/images.py`: make the `bench` package importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import msgspec

from bench.httpclient import HttpConnection
from bench.mixed import HOST, PEDIDOS, Recorder, login, machine_facts, run_phase
from bench.server import REPO_ROOT, BenchServer

_PNG_HEAD = b"\x89PNG\r\n\x1a\n\x00"  # 9 bytes: with the 12-byte counter, a whole number of base64 quanta


class ImageBodies:
    """POST bodies with a unique image each (so no upload is deduplicated), built cheaply per request."""

    def __init__(self, image_bytes: int) -> None:
        rest = os.urandom(max(image_bytes - len(_PNG_HEAD) - 12, 3) // 3 * 3)
        self._head = (
            b'{"cliente":"Bench imagem","data_entrada":"2026-11-29","items":[{"descricao":"arte",'
            b'"imagem":"data:image/png;base64,' + base64.b64encode(_PNG_HEAD)
        )
        self._tail = base64.b64encode(rest) + b'"}]}'
        self._counter = itertools.count()
        self.image_bytes = len(_PNG_HEAD) + 12 + len(rest)

    def next(self) -> bytes:
        """The next body: only the 12 bytes after the PNG signature differ."""
        unique = base64.b64encode(next(self._counter).to_bytes(12, "big"))
        return self._head + unique + self._tail


PLAIN_BODY = b'{"cliente":"Bench sem imagem","data_entrada":"2026-11-29","items":[{"descricao":"arte"}]}'


def create_client(bodies: ImageBodies | None):  # type: ignore[no-untyped-def]
    """A load client that creates pedidos back to back, with or without an image."""

    async def client(index: int, conn: HttpConnection, rec: Recorder, deadline: float, budget: int) -> None:
        for _ in range(budget):
            if time.perf_counter() >= deadline:
                return
            body = bodies.next() if bodies is not None else PLAIN_BODY
            began = time.perf_counter()
            try:
                response = await conn.request("POST", PEDIDOS, body)
                error = None if response.status == 200 else str(response.status)
            except Exception as exc:
                error = type(exc).__name__
            rec.record("create", began, time.perf_counter(), error)
            if error is not None:
                await asyncio.sleep(0.01)

    return client


async def writer_health(port: int, headers: dict[str, str]) -> dict[str, Any]:
    """The writer's figures (commit_ms, batch_size, ...) from GET /health/writer."""
    conn = HttpConnection(HOST, port, headers=headers)
    try:
        return msgspec.json.decode((await conn.request("GET", "/health/writer")).body)
    finally:
        await conn.aclose()


def media_usage(data_dir: Path) -> tuple[int, int]:
    """(files, bytes) in the content-addressed store."""
    files = [p for p in (data_dir / "media").glob("??/??/*") if p.is_file()]
    return len(files), sum(p.stat().st_size for p in files)


async def bench_phase(server: BenchServer, bodies: ImageBodies | None, args: argparse.Namespace) -> dict[str, Any]:
    """One load phase against a started server, then the writer's figures."""
    token = await login(server.port, "admin", args.password)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    phase = await run_phase(server, args.clients, ("create",), create_client(bodies), args, headers)
    writer = await writer_health(server.port, headers)
    files, stored = media_usage(server.data_dir)
    return {
        **phase["ops"]["create"],
        "server_cpu_ms_per_ok": phase["server_cpu_ms_per_ok"],
        "loadgen_core_pct": phase["loadgen_core_pct"],
        "machine_busy_pct": phase["machine_busy_pct"],
        "writer_commit_ms": writer.get("commit_ms"),
        "writer_batch_size": writer.get("batch_size"),
        "media_files": files,
        "media_mb": round(stored / 2**20, 1),
    }


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(prog="bench/images.py", description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--image-mb", type=float, default=2.0, help="size of each image, MB")
    parser.add_argument("--duration", type=float, default=10.0, help="measured seconds per phase")
    parser.add_argument("--warmup", type=float, default=2.0, help="unmeasured seconds before each window")
    parser.add_argument("--workers", type=int, default=2, help="API worker processes of the server")
    parser.add_argument("--timeout", type=float, default=60.0, help="per-request timeout, seconds")
    parser.add_argument("--max-requests", type=int, default=100_000, help="cap on requests per phase")
    parser.add_argument("--out", type=Path, help="JSON report (default bench/out/images-<timestamp>.json)")
    args = parser.parse_args(argv)
    args.password = secrets.token_urlsafe(18)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    args.out = args.out or REPO_ROOT / "bench" / "out" / f"images-{stamp}.json"
    return args


_ROW = "{:<10} {:>6} {:>7} {:>8} {:>8} {:>8}  {:>22}  {:>10}  {}"


def _row(name: str, r: dict[str, Any]) -> str:
    commit = r["writer_commit_ms"] or {}
    commit_text = " / ".join(f"{commit.get(k, 0):.1f}" for k in ("p50", "p99", "max"))
    batch = (r["writer_batch_size"] or {}).get("p50")
    errors = " ".join(f"{k}×{v}" for k, v in r["errors"].items()) or "-"
    return _ROW.format(name, r["ok"], r["ok_per_s"], r["p50_ms"], r["p99_ms"], r["max_ms"], commit_text, batch, errors)


def main(argv: list[str] | None = None) -> int:
    """Run the phase without images, then with, each on a fresh server; print a table, write JSON."""
    args = parse_args(argv)
    image_bytes = int(args.image_mb * 2**20)
    report: dict[str, Any] = {
        "started_at": datetime.now().astimezone().isoformat(timespec="seconds"),
        "settings": {k: v for k, v in vars(args).items() if k not in ("password", "out")},
        "machine": machine_facts(),
        "phases": {},
    }
    print(f"{args.clients} clients, {args.workers} workers, {args.duration:g} s per phase; latencies in ms")
    print(_ROW.format("phase", "ok", "ok/s", "p50", "p99", "max", "writer commit p50/p99/max", "batch p50", "errors"))
    for name, bodies in (("no image", None), (f"{args.image_mb:g} MB img", ImageBodies(image_bytes))):
        server = BenchServer(workers=args.workers, env={"SGP_ADMIN_PASSWORD": args.password})
        try:
            server.start(timeout=60.0)
            result = asyncio.run(bench_phase(server, bodies, args))
        finally:
            server.stop()
        report["phases"][name] = result
        print(_row(name, result), flush=True)
        print(f"{'':<10} server cpu {result['server_cpu_ms_per_ok']} ms/ok, loadgen {result['loadgen_core_pct']}% "
              f"of a core, machine {result['machine_busy_pct']}% busy, media {result['media_files']} files "
              f"{result['media_mb']} MB")  # fmt: skip
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(msgspec.json.format(msgspec.json.encode(report), indent=2))
    print(f"report: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
