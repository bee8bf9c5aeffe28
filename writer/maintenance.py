"""Housekeeping the writer does off the hot path: pruning, PRAGMA optimize, WAL checkpoints.

The media sweep is not here: the supervisor runs it from a read-only snapshot (media/sweep.py).
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from collections.abc import Callable
from concurrent.futures import Executor
from typing import TypeVar

from core.settings import Settings

from . import event_log
from .batcher import Batcher
from .schema import db_files_size
from .wal_guard import WalGuard

__all__ = ["Maintenance"]

log = logging.getLogger("sgp.writer.maintenance")
_T = TypeVar("_T")

_TICK_S = 1.0
_PRUNE_EVERY_S = 60.0
_OPTIMIZE_EVERY_S = 3600.0


class Maintenance:
    """Runs in the writer's event loop; every SQL step goes through the writer thread.

    It takes the collaborators it uses (the connection, the writer thread, the
    batcher for its idle check and transactions, the WAL guard and what to do when
    the WAL was unlinked), not the whole server.
    """

    def __init__(
        self,
        conn: sqlite3.Connection,
        *,
        settings: Settings,
        executor: Executor,
        batcher: Batcher,
        wal_guard: WalGuard,
        on_wal_unlinked: Callable[[], None],
    ) -> None:
        self._conn = conn
        self._settings = settings
        self._executor = executor
        self._batcher = batcher
        self._wal_guard = wal_guard
        self._on_wal_unlinked = on_wal_unlinked
        self.last_checkpoint_at: float | None = None
        self.last_optimize_at: float | None = None
        self._last_prune = 0.0

    async def run(self) -> None:
        """Tick forever (cancelled at shutdown)."""
        await self._in_thread(self._optimize)
        while True:
            await asyncio.sleep(_TICK_S)
            try:
                await self._tick()
            except Exception:
                # Maintenance must never take the writer down; the next tick retries.
                log.exception("maintenance step failed; will retry")

    async def _in_thread(self, fn: Callable[..., _T], *args: object) -> _T:
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn, *args)

    async def _tick(self) -> None:
        if self._wal_guard.unlinked():
            self._on_wal_unlinked()
            return
        now = time.time()
        batcher = self._batcher
        idle = batcher.depth == 0 and batcher.in_flight == 0
        if now - self._last_prune >= _PRUNE_EVERY_S and idle:
            self._last_prune = now
            await self._in_thread(self._prune, now)
        if self.last_optimize_at is None or now - self.last_optimize_at >= _OPTIMIZE_EVERY_S:
            await self._in_thread(self._optimize)
        _, wal_bytes = db_files_size(self._settings.db_path)
        # TRUNCATE needs a moment with no writes to reset the log; under load PASSIVE
        # at least copies frames back so the log restarts as soon as load pauses.
        if wal_bytes > self._settings.wal_checkpoint_bytes:
            await self._in_thread(self._checkpoint, "TRUNCATE" if idle else "PASSIVE")

    def _prune(self, now: float) -> None:
        settings = self._settings
        ttl = settings.idempotency_ttl_s
        keep_after_seq = self._batcher.last_seq - settings.event_retention_min
        events_before = now - settings.event_retention_days * 86400

        def prune(conn: sqlite3.Connection) -> tuple[int, int, int]:
            keys = conn.execute("DELETE FROM idempotency WHERE created_at < ?", (now - ttl,)).rowcount
            # Events go when both old and beyond the count always kept (one bounded round).
            events = event_log.prune(conn, keep_after_seq=keep_after_seq, older_than=events_before)
            tokens = conn.execute("DELETE FROM revoked_tokens WHERE expires_at < ?", (now,)).rowcount
            return keys, events, tokens

        keys, events, tokens = self._batcher.run_in_transaction(prune, deadline=time.time() + 5)
        if keys or events or tokens:
            log.info("pruned %d idempotency keys, %d events, %d expired revocations", keys, events, tokens)

    def _optimize(self) -> None:
        self._conn.execute("PRAGMA optimize")
        self.last_optimize_at = time.time()

    def _checkpoint(self, mode: str) -> None:
        busy, log_pages, done = self._conn.execute(f"PRAGMA wal_checkpoint({mode})").fetchone()
        self.last_checkpoint_at = time.time()
        log.info("checkpoint %s: busy=%d wal_pages=%d checkpointed=%d", mode, busy, log_pages, done)
