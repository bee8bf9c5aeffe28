"""Writes (send() calls) per writer command from one WriterClient, and commands/s.

    python -m bench.ipc_writes --callers 8 64 --duration 4

A real writer process (tests.support.WriterProcess, `synchronous=normal`, fresh
temp dir per cell) and one WriterClient (2 links, as an API worker) with
`--callers` coroutines creating pedidos back to back; every transport write of
the client's links is counted. In-process loopback only; bounded in time.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

from core.domain import decode_create
from ipc.protocol import CreatePedido
from tests.support import WriterProcess

__all__ = ["main"]

_BODY = b'{"cliente":"IPC","data_entrada":"2026-11-29"}'


async def _cell(process: WriterProcess, callers: int, duration: float) -> tuple[int, int]:
    client = process.client()
    await client.start()
    try:
        await client.wait_connected(5.0)
        await asyncio.sleep(0.5)  # both links up
        writes = [0]
        for link in client._links:
            assert link.writer is not None
            transport = link.writer.transport
            original = transport.write

            def counting(data: bytes, original=original) -> None:  # type: ignore[no-untyped-def]
                writes[0] += 1
                original(data)

            transport.write = counting  # type: ignore[method-assign]
        calls = [0]
        stop = time.monotonic() + duration

        async def caller() -> None:
            while time.monotonic() < stop:
                await client.call(CreatePedido(data=decode_create(_BODY)))
                calls[0] += 1

        await asyncio.gather(*(caller() for _ in range(callers)))
        return calls[0], writes[0]
    finally:
        await client.close()


def main(argv: list[str] | None = None) -> None:
    """One cell per caller count: commands/s and writes per command."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--callers", type=int, nargs="+", default=[8, 64])
    parser.add_argument("--duration", type=float, default=4.0)
    args = parser.parse_args(argv)
    for callers in args.callers:
        with tempfile.TemporaryDirectory() as tmp:
            process = WriterProcess(Path(tmp), synchronous="normal").start()
            try:
                calls, writes = asyncio.run(_cell(process, callers, args.duration))
            finally:
                process.stop()
        print(
            f"callers {callers:>4}: {calls / args.duration:8.1f} commands/s, {writes / max(calls, 1):.3f} writes per command"
        )


if __name__ == "__main__":
    main()
