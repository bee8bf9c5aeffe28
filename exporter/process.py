"""The export process's loop: applies the event log to `<SGP_EXPORT_DIR>/pedidos/<id>.json`.

SGP's "JSON do pedido" files are read by other shop tools. One consumer does
this for the whole service (not one per worker): a process the supervisor
starts when `SGP_EXPORT_DIR` is set. It subscribes to the writer's events
like a worker, writes each pedido's file atomically (temp file + rename, with
aiofiles), deletes it on `order_deleted`, and remembers the last exported seq
in `.sgp-export-state.json`, so a restart resumes where it stopped. When the
log no longer holds what it missed (or the database was replaced), it
re-exports everything from one read snapshot.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import sqlite3
from multiprocessing.synchronize import Event as EventType
from pathlib import Path

import aiofiles
import aiofiles.os
import msgspec

from core.logs import configure_logging
from core.process import ignore_shutdown_signals
from core.settings import Settings
from ipc.client import WriterClient
from ipc.protocol import Events, Reset, Welcome

__all__ = ["Exporter", "run_exporter"]

log = logging.getLogger("sgp.export")

_STATE_FILE = ".sgp-export-state.json"


class _State(msgspec.Struct):
    epoch: str = ""
    seq: int = 0


class _Event(msgspec.Struct):
    type: str
    seq: int
    order_id: int | None = None
    order: msgspec.Raw = msgspec.field(default_factory=msgspec.Raw)  # kept undecoded: written as is


class Exporter:
    """Applies events to the export directory, strictly in seq order, one at a time."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.root = Path(settings.export_dir)
        self.pedidos = self.root / "pedidos"
        self.state = self._load_state()
        self._queue: asyncio.Queue[Events | Reset | None] = asyncio.Queue()
        self._full_export_needed = False

    def _load_state(self) -> _State:
        try:
            return msgspec.json.decode((self.root / _STATE_FILE).read_bytes(), type=_State)
        except (FileNotFoundError, msgspec.DecodeError):
            return _State()

    # Writer callbacks (event loop thread) ------------------------------------

    def on_welcome(self, welcome: Welcome) -> int:
        """Resume after the last exported seq; another epoch means another database."""
        if self.state.epoch and self.state.epoch != welcome.epoch:
            log.warning("database epoch changed; re-exporting everything")
            self._queue.put_nowait(Reset(first_seq=0, last_seq=welcome.last_seq))
            self.state.epoch = welcome.epoch
            return welcome.last_seq
        if not self.state.epoch:
            self.state.epoch = welcome.epoch
            if self.state.seq == 0:
                # First run: start from a full export rather than replaying a long log.
                self._queue.put_nowait(Reset(first_seq=0, last_seq=welcome.last_seq))
                return welcome.last_seq
        return self.state.seq

    def on_events(self, message: Events) -> None:
        self._queue.put_nowait(message)

    def on_reset(self, message: Reset) -> None:
        self._queue.put_nowait(message)

    # Work ----------------------------------------------------------------------

    async def run(self) -> None:
        """Apply queued events until `stop()`."""
        self.pedidos.mkdir(parents=True, exist_ok=True)
        while True:
            item = await self._queue.get()
            if item is None:
                return
            try:
                if isinstance(item, Reset):
                    await self.full_export()
                else:
                    await self.apply(item)
            except Exception:
                # Disk trouble or a bug: never die silently; rebuild everything a bit later.
                log.exception("export failed; retrying with a full export in 5 s")
                await asyncio.sleep(5)
                self._queue.put_nowait(Reset(first_seq=0, last_seq=0))

    def stop(self) -> None:
        self._queue.put_nowait(None)

    async def apply(self, message: Events) -> None:
        """Write or delete one file per event, then remember the last seq."""
        last = self.state.seq
        for raw in message.events:
            if raw.seq <= last:
                continue
            event = msgspec.json.decode(raw.payload, type=_Event)
            if event.order_id is not None and event.type.startswith("order_"):
                order = bytes(event.order)
                if event.type == "order_deleted" or order in (b"", b"null"):
                    await self._remove(event.order_id)
                else:
                    await self._write(event.order_id, order)
            last = raw.seq
        if last != self.state.seq:
            self.state.seq = last
            await self._save_state()

    async def full_export(self) -> None:
        """Write every pedido from one read snapshot and drop files of pedidos that are gone."""
        docs, seq = await asyncio.to_thread(self._snapshot)
        keep = set()
        for pedido_id, doc in docs:
            await self._write(pedido_id, doc)
            keep.add(f"{pedido_id}.json")
        for path in self.pedidos.glob("*.json"):
            if path.name not in keep:
                await self._unlink(path)
        self.state.seq = seq
        await self._save_state()
        log.info("full export: %d pedidos up to seq %d", len(docs), seq)

    def _snapshot(self) -> tuple[list[tuple[int, bytes]], int]:
        conn = sqlite3.connect(f"{self.settings.db_path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            conn.execute("BEGIN")
            seq = conn.execute("SELECT coalesce(max(seq), 0) FROM events").fetchone()[0]
            docs = conn.execute("SELECT id, doc FROM pedidos ORDER BY id").fetchall()
            conn.execute("COMMIT")
        finally:
            conn.close()
        return docs, seq

    async def _write(self, pedido_id: int, doc: bytes) -> None:
        target = self.pedidos / f"{pedido_id}.json"
        tmp = self.pedidos / f".{pedido_id}.json.tmp"
        async with aiofiles.open(tmp, "wb") as f:
            await f.write(doc)
        await aiofiles.os.replace(tmp, target)

    async def _remove(self, pedido_id: int) -> None:
        await self._unlink(self.pedidos / f"{pedido_id}.json")

    async def _unlink(self, path: Path) -> None:
        try:
            await aiofiles.os.remove(path)
        except FileNotFoundError:
            pass

    async def _save_state(self) -> None:
        tmp = self.root / f"{_STATE_FILE}.tmp"
        async with aiofiles.open(tmp, "wb") as f:
            await f.write(msgspec.json.encode(self.state))
        await aiofiles.os.replace(tmp, self.root / _STATE_FILE)


async def _serve(settings: Settings, stop: EventType) -> None:
    exporter = Exporter(settings)
    client = WriterClient(
        settings.writer_address_file,
        connections=1,
        name=f"exporter-{os.getpid()}",
        on_welcome=exporter.on_welcome,
        on_events=exporter.on_events,
        on_reset=exporter.on_reset,
    )
    await client.start()
    worker = asyncio.create_task(exporter.run())
    parent = multiprocessing.parent_process()
    try:
        while not stop.is_set() and not worker.done():
            if parent is not None and not parent.is_alive():
                break
            await asyncio.sleep(0.2)
    finally:
        exporter.stop()
        await asyncio.gather(worker, return_exceptions=True)
        await client.close()


def run_exporter(settings: Settings, stop: EventType) -> None:
    """Entry point of the export process (spawned by run_server.py when SGP_EXPORT_DIR is set)."""
    ignore_shutdown_signals()
    configure_logging(settings.log_level, settings.log_format, "exporter")
    asyncio.run(_serve(settings, stop))
