"""Desktops reloading the default list tab while others write: what the reloads cost the writers.

    python -m bench.reload --pedidos 50000 --desktops 20 --every 5 --write-rate 30 --duration 30 --workers 2

Seeds `--pedidos` (bench.lists.seed), starts a server, then runs two phases of
`--duration` seconds on it: writers alone (creates at `--write-rate` per second in
total, on a fixed schedule), then the same writers while `--desktops` clients each
reload `GET /pedidos/?limit=10001&is_pronto=false` every `--every` seconds with
`If-None-Match` set to the last `ETag` they got (what the desktop webview does).
Goal: create p99 < 100 ms with the desktops. Loopback only; bounded in time.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import secrets
import sys
import threading
import time

from bench.lists import _login, seed
from bench.server import BenchServer

__all__ = ["main"]

TAB = "/pedidos/?skip=0&limit=10001&is_pronto=false"
BODY = json.dumps({"cliente": "Reload", "data_entrada": "2026-11-29", "items": []})


def _pct(samples: list[float], q: float) -> float:
    if not samples:
        return float("nan")
    ordered = sorted(samples)
    return round(1000 * ordered[min(len(ordered) - 1, int(q * len(ordered)))], 1)


def _writer(port: int, token: str, interval: float, stop: float, out: list[float], errors: list[str]) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    due = time.monotonic()
    while (now := time.monotonic()) < stop:
        if now < due:
            time.sleep(due - now)
        started = time.perf_counter()
        conn.request("POST", "/pedidos/", BODY, headers)
        response = conn.getresponse()
        response.read()
        if response.status == 200:
            out.append(time.perf_counter() - started)
        else:
            errors.append(str(response.status))
        due += interval
    conn.close()


def _desktop(port: int, token: str, every: float, offset: float, stop: float, out: dict[int, list[float]]) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    etag = None
    due = time.monotonic() + offset
    while True:
        if due >= stop:
            break
        time.sleep(max(0.0, due - time.monotonic()))
        headers = {"Authorization": f"Bearer {token}"}
        if etag is not None:
            headers["If-None-Match"] = etag
        started = time.perf_counter()
        conn.request("GET", TAB, headers=headers)
        response = conn.getresponse()
        response.read()
        out.setdefault(response.status, []).append(time.perf_counter() - started)
        etag = response.getheader("ETag") or etag
        due += every
    conn.close()


def _phase(port: int, token: str, args: argparse.Namespace, desktops: int) -> dict[str, object]:
    stop = time.monotonic() + args.duration
    creates: list[float] = []
    errors: list[str] = []
    writers = 4
    threads = [
        threading.Thread(target=_writer, args=(port, token, writers / args.write_rate, stop, creates, errors))
        for _ in range(writers)
    ]
    reloads: dict[int, list[float]] = {}
    threads += [
        threading.Thread(target=_desktop, args=(port, token, args.every, i * args.every / desktops, stop, reloads))
        for i in range(desktops)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(args.duration + 120)
    return {
        "creates": len(creates), "create_p50_ms": _pct(creates, 0.5), "create_p99_ms": _pct(creates, 0.99),
        "errors": errors,
        "reloads": {str(s): {"n": len(v), "p50_ms": _pct(v, 0.5), "p99_ms": _pct(v, 0.99)} for s, v in reloads.items()},
    }  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    """Seed, start, run both phases, print the table and the JSON."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pedidos", type=int, default=50_000)
    parser.add_argument("--desktops", type=int, default=20)
    parser.add_argument("--every", type=float, default=5.0)
    parser.add_argument("--write-rate", type=float, default=30.0)
    parser.add_argument("--duration", type=float, default=30.0)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    password = os.environ.get("SGP_ADMIN_PASSWORD") or secrets.token_urlsafe(18)
    server = BenchServer(workers=args.workers, env={"SGP_ADMIN_PASSWORD": password})
    server.data_dir.mkdir(parents=True, exist_ok=True)
    seed(server.data_dir, args.pedidos)
    with server:
        token = _login(server.port, password)
        alone = _phase(server.port, token, args, 0)
        loaded = _phase(server.port, token, args, args.desktops)
    for name, r in (("writers alone", alone), (f"+ {args.desktops} desktops", loaded)):
        reloads = " ".join(f"{s}: n={v['n']} p50={v['p50_ms']} p99={v['p99_ms']}" for s, v in r["reloads"].items())  # type: ignore[attr-defined]
        print(
            f"{name:16} creates {r['creates']:>5} p50 {r['create_p50_ms']:>7} ms p99 {r['create_p99_ms']:>7} ms"
            f"  errors {len(r['errors'])}  reloads {reloads or '-'}"
        )  # type: ignore[arg-type]
    print(
        f"goal: create p99 < 100 ms with {args.desktops} desktops reloading every {args.every:g} s"
        f" -> {loaded['create_p99_ms']} ms"
    )
    print(json.dumps({"settings": vars(args), "alone": alone, "desktops": loaded}), file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
