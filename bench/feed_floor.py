"""The floor under the feed's CPU per delivery: one `send()` per socket per event, against our Python around it.

    python -m bench.feed_floor --sockets 200 --events 200 --size 1500

Three figures, CPU of this process per delivered event (one event to one socket):
  python  the fan-out's own Python (FeedHub.on_events + flush) into sinks that drop the bytes;
  bare    a bare asyncio transport.write of one frame to each of N loopback sockets;
  hub     FeedHub + RawSink over the same kind of sockets (what a worker does).
The sockets are read by another process, so the receiver's parsing is not counted
(on loopback the kernel's receive path still runs partly in the sender's time).
Events are paced (`--interval`, a shop's ~30 writes/s) so each reaches a socket alone.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import selectors
import socket
import sys
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from api.auth import Principal
from api.feed import FeedClient, FeedHub
from api.ws_fast import RawSink
from ipc.protocol import Event, Events


def _drain(port: int, count: int, seconds: float) -> None:
    """Reader process: connect `count` sockets and read everything until they close."""
    socks = [socket.create_connection(("127.0.0.1", port)) for _ in range(count)]
    sel = selectors.DefaultSelector()
    for sock in socks:
        sock.setblocking(False)
        sel.register(sock, selectors.EVENT_READ)
    end, left = time.monotonic() + seconds, count
    while left and time.monotonic() < end:
        for key, _ in sel.select(1):
            try:
                data = key.fileobj.recv(1 << 20)  # type: ignore[union-attr]
            except BlockingIOError:
                continue
            if not data:
                sel.unregister(key.fileobj)
                left -= 1


class _NullSink:
    def write(self, data: bytes) -> bool:
        return True

    def backlog(self) -> int:
        return 0

    async def writable(self, timeout: float) -> None:
        return None


def _events(count: int, size: int) -> list[Events]:
    out = []
    for seq in range(1, count + 1):
        doc = {"type": "order_updated", "seq": seq, "order_id": 1, "at": "2026-01-01T00:00:00.000Z",
               "user_id": 1, "username": "admin", "order": {"id": 1, "obs": "x" * size}}  # fmt: skip
        out.append(Events(events=[Event(seq=seq, type="order_updated", order_id=1, payload=json.dumps(doc).encode())]))
    return out


def _hub(sinks: list[Any]) -> FeedHub:
    hub = FeedHub()
    for i, sink in enumerate(sinks):
        hub.add(FeedClient(1 << 22, Principal(i + 1, "u", False, "j", 2**40), sink))
    return hub


async def _paced(step: Any, count: int, interval: float) -> float:
    """CPU seconds of `step(i)` over `count` paced steps, minus the same idle pacing."""
    start = time.process_time()
    for i in range(count):
        step(i)
        await asyncio.sleep(interval)
    busy = time.process_time() - start
    start = time.process_time()
    for _ in range(count):
        await asyncio.sleep(interval)
    return busy - (time.process_time() - start)


async def _with_sockets(args: argparse.Namespace, mode: str) -> float:
    transports: list[asyncio.Transport] = []
    writers: list[asyncio.StreamWriter] = []
    ready = asyncio.Event()

    async def accepted(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writers.append(writer)
        transports.append(writer.transport)  # type: ignore[arg-type]
        if len(writers) == args.sockets:
            ready.set()

    server = await asyncio.start_server(accepted, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    reader = multiprocessing.get_context("spawn").Process(target=_drain, args=(port, args.sockets, 300.0))
    reader.start()
    await asyncio.wait_for(ready.wait(), 60)
    events = _events(args.events, args.size)
    if mode == "bare":
        frames = [b"\x81\x7e" + len(e.events[0].payload).to_bytes(2, "big") + e.events[0].payload for e in events]
        cpu = await _paced(lambda i: [t.write(frames[i]) for t in transports], args.events, args.interval)
    else:
        hub = _hub([RawSink(w) for w in writers])
        cpu = await _paced(lambda i: hub.on_events(events[i]), args.events, args.interval)
    for writer in writers:
        writer.close()
    server.close()
    reader.join(60)
    return cpu


async def _python_only(args: argparse.Namespace) -> float:
    hub = _hub([_NullSink() for _ in range(args.sockets)])
    events = _events(args.events, args.size)
    return await _paced(lambda i: hub.on_events(events[i]), args.events, args.interval)


def main(argv: list[str] | None = None) -> int:
    """Print µs of CPU per delivery for each of the three paths."""
    parser = argparse.ArgumentParser(prog="bench/feed_floor.py", description=__doc__.splitlines()[0])
    parser.add_argument("--sockets", type=int, default=200)
    parser.add_argument("--events", type=int, default=200)
    parser.add_argument("--size", type=int, default=1500, help="bytes of the order document in each event")
    parser.add_argument("--interval", type=float, default=0.03, help="seconds between events")
    args = parser.parse_args(argv)
    deliveries = args.sockets * args.events
    for label, coro in (
        ("python (no-op sinks)", _python_only(args)),
        ("bare transport.write", _with_sockets(args, "bare")),
        ("hub + RawSink", _with_sockets(args, "hub")),
    ):
        cpu = asyncio.run(coro)
        print(
            f"{label:<22} {1e6 * cpu / deliveries:7.2f} µs CPU per delivery ({args.sockets} sockets, {args.events} events)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
