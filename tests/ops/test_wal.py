"""The WAL stays under its checkpoint size during sustained writes, once the load pauses."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import msgspec

from core.domain import decode_create
from ipc.protocol import CreatePedido
from tests.support import WriterProcess, run
from writer.schema import db_files_size

LIMIT = 256 * 1024


def test_wal_is_truncated_at_idle_moments(tmp_path: Path) -> None:
    proc = WriterProcess(tmp_path / "data", wal_checkpoint_bytes=LIMIT, journal_size_limit_bytes=LIMIT).start()
    body = {"cliente": "Carga contínua", "data_entrada": "2026-11-29", "observacao": "x" * 2000}
    command = CreatePedido(data=decode_create(msgspec.json.encode(body)))
    peak = 0
    try:

        async def burst(client, seconds: float) -> int:
            end, written = time.monotonic() + seconds, 0
            while time.monotonic() < end:
                await asyncio.gather(*(client.call(command) for _ in range(50)))
                written += 50
            return written

        async def go() -> list[float]:
            nonlocal peak
            client = proc.client()
            await client.start()
            await client.wait_connected(5)
            settled = []
            try:
                for _ in range(3):
                    assert await burst(client, 0.6) > 0
                    peak = max(peak, db_files_size(proc.settings.db_path)[1])
                    started = time.monotonic()
                    while db_files_size(proc.settings.db_path)[1] > LIMIT:
                        assert time.monotonic() - started < 5, "WAL not checkpointed at an idle moment"
                        await asyncio.sleep(0.05)
                    settled.append(time.monotonic() - started)
            finally:
                await client.close()
            return settled

        settled = run(go())
    finally:
        proc.stop()
    assert peak > LIMIT  # the load really did grow the WAL past the setting
    assert all(s < 2.5 for s in settled), settled  # within a maintenance tick or two of going idle
