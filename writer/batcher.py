"""Group commit: a bounded queue drained into one transaction per batch.

The asyncio side only queues calls and delivers replies; the SQL runs in one
dedicated thread that owns the read-write connection, so the IPC side keeps
reading while a batch commits and the next batch accumulates meanwhile. There
is no linger: a batch is whatever was queued when the previous one finished.
"""

from __future__ import annotations

import asyncio
import logging
import random
import sqlite3
import time
from collections import Counter, deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ipc.errors import CommandError
from ipc.protocol import AuthChanged, Call, Event, Fail, Ok

from .commands import Context, Outcome, Sequences, execute

__all__ = ["Batcher", "WriterStats", "BatchAborted"]

log = logging.getLogger("sgp.writer.batcher")

Reply = Ok | Fail
Responder = Callable[[Reply], None]

_BUSY_CODES = {sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED}
_BACKOFF_FIRST_S = 0.005
_BACKOFF_MAX_S = 0.25


class BatchAborted(Exception):
    """The whole batch rolled back; every command in it gets `code` (transient)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class _Published:
    """What a batch publishes after its commit: order events and session changes."""

    events: list[Event] = field(default_factory=list)
    auth: AuthChanged = field(default_factory=lambda: AuthChanged(users=[], revoked=[]))


@dataclass
class WriterStats:
    """Counters and recent windows the health endpoint reports."""

    batches_total: int = 0
    commands_total: int = 0
    busy_retries_total: int = 0
    failed_commands_total: Counter[str] = field(default_factory=Counter)
    rejected_total: Counter[str] = field(default_factory=Counter)
    last_commit_at: float | None = None
    batch_sizes: deque[int] = field(default_factory=lambda: deque(maxlen=1024))
    commit_ms: deque[float] = field(default_factory=lambda: deque(maxlen=1024))


def _utc_now() -> tuple[str, float]:
    ts = time.time()
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"), ts


def _is_busy(exc: sqlite3.Error) -> bool:
    return getattr(exc, "sqlite_errorcode", None) in _BUSY_CODES or "locked" in str(exc)


def _abort_for(exc: sqlite3.Error) -> BatchAborted:
    """Classify a failure that takes the whole batch down (all transient)."""
    code = getattr(exc, "sqlite_errorcode", None)
    if code == sqlite3.SQLITE_FULL:
        return BatchAborted("storage_full", "O disco do servidor está cheio; tente novamente mais tarde.")
    if _is_busy(exc):
        return BatchAborted("busy", "O banco de dados está ocupado; tente novamente.")
    return BatchAborted("io_error", "Falha ao gravar no banco de dados; tente novamente.")


class Batcher:
    """Owns the write connection (through its one thread) and the bounded queue."""

    def __init__(
        self,
        conn: sqlite3.Connection,
        executor: ThreadPoolExecutor,
        seqs: Sequences,
        *,
        capacity: int,
        max_batch: int,
        idempotency_ttl_s: float,
        slow_batch_ms: float,
        on_events: Callable[[list[Event]], None],
        on_auth: Callable[[AuthChanged], None],
    ) -> None:
        self._conn = conn
        self._executor = executor
        self._seqs = seqs
        self._queue: asyncio.Queue[tuple[Call, Responder] | None] = asyncio.Queue(maxsize=capacity)
        self._max_batch = max_batch
        self._idem_ttl = idempotency_ttl_s
        self._slow_ms = slow_batch_ms
        self._on_events = on_events
        self._on_auth = on_auth
        self.capacity = capacity
        self.in_flight = 0
        self.stats = WriterStats()
        # Called on the event loop with (size, seconds) of each committed batch (metrics).
        self.on_commit: Callable[[int, float], None] | None = None
        self._closed = False
        # Monotonic time the batcher last took work or finished a batch: the heartbeat's proof of life.
        self.progress_at = time.monotonic()

    def stalled_for(self) -> float:
        """Seconds the batcher has had work without finishing any (0 when idle or moving)."""
        if self.in_flight == 0 and self._queue.empty():
            return 0.0
        return time.monotonic() - self.progress_at

    @property
    def depth(self) -> int:
        """Calls waiting for a batch."""
        return self._queue.qsize()

    @property
    def last_seq(self) -> int:
        """The last committed event seq."""
        return self._seqs.last_seq

    def submit(self, call: Call, respond: Responder) -> None:
        """Queue a call; answers at once with a transient failure when full or closed."""
        if self._closed:
            respond(Fail(id=call.id, code="shutting_down", message="O servidor está reiniciando.", transient=True))
            return
        try:
            self._queue.put_nowait((call, respond))
        except asyncio.QueueFull:
            self.stats.rejected_total["queue_full"] += 1
            respond(
                Fail(id=call.id, code="queue_full", message="Servidor sobrecarregado; tente novamente.", transient=True)
            )

    async def close(self) -> None:
        """Stop taking calls; `run` finishes what is queued, then returns."""
        self._closed = True
        await self._queue.put(None)

    async def run(self) -> None:
        """Take everything queued (up to max_batch), commit it as one transaction, reply, publish."""
        loop = asyncio.get_running_loop()
        stopping = False
        while not stopping:
            first = await self._queue.get()
            self.progress_at = time.monotonic()
            if first is None:
                break
            batch = [first]
            while len(batch) < self._max_batch and not self._queue.empty():
                item = self._queue.get_nowait()
                if item is None:
                    stopping = True
                    break
                batch.append(item)
            self.in_flight = len(batch)
            committed = self.stats.batches_total
            try:
                replies, published = await loop.run_in_executor(self._executor, self._run_batch, [c for c, _ in batch])
            finally:
                self.in_flight = 0
                self.progress_at = time.monotonic()
            if self.on_commit is not None and self.stats.batches_total != committed:
                # The batch thread is done: its figures are safe to read here, on the loop.
                self.on_commit(self.stats.batch_sizes[-1], self.stats.commit_ms[-1] / 1000)
            for (_, respond), reply in zip(batch, replies, strict=True):
                respond(reply)
            if published.events:
                self._on_events(published.events)
            if published.auth.users or published.auth.revoked:
                self._on_auth(published.auth)

    # Everything below runs in the writer thread. ------------------------------

    def run_in_transaction(self, fn: Callable[[sqlite3.Connection], Any], deadline: float) -> Any:
        """Run `fn` in its own BEGIN IMMEDIATE transaction (maintenance work); thread side."""
        self._begin(deadline)
        try:
            result = fn(self._conn)
            self._commit(deadline)
        except BaseException:
            self._rollback()
            raise
        return result

    def _run_batch(self, calls: list[Call]) -> tuple[list[Reply], _Published]:
        # Replies are kept by position: request ids are only unique per worker connection.
        now, now_ts = _utc_now()
        replies: list[Reply | None] = [None] * len(calls)
        live: list[int] = []
        for index, call in enumerate(calls):
            if call.deadline > now_ts:
                live.append(index)
            else:
                self.stats.rejected_total["deadline"] += 1
                replies[index] = Fail(id=call.id, code="deadline", message="Tempo de espera esgotado.", transient=True)
        published = _Published()
        if live:
            before = self._seqs.copy()
            deadline = max(calls[i].deadline for i in live)
            started = time.perf_counter()
            try:
                self._begin(deadline)
                for index in live:
                    replies[index] = self._run_one(calls[index], now, now_ts, published)
                self._commit(deadline)
            except BatchAborted as abort:
                self._rollback()
                self._seqs.restore(before)
                published = _Published()
                log.error("batch of %d aborted: %s", len(live), abort.message)
                for index in live:
                    self.stats.failed_commands_total[abort.code] += 1
                    replies[index] = Fail(id=calls[index].id, code=abort.code, message=abort.message, transient=True)
            else:
                self._record_commit(len(live), (time.perf_counter() - started) * 1000)
        return [r for r in replies if r is not None], published

    def _record_commit(self, size: int, elapsed_ms: float) -> None:
        stats = self.stats
        stats.batches_total += 1
        stats.commands_total += size
        stats.last_commit_at = time.time()
        stats.batch_sizes.append(size)
        stats.commit_ms.append(elapsed_ms)
        if elapsed_ms > self._slow_ms:
            log.warning("slow batch: %d commands committed in %.1f ms", size, elapsed_ms)

    def _run_one(self, call: Call, now: str, now_ts: float, published: _Published) -> Reply:
        conn = self._conn
        snapshot = self._seqs.copy()
        ctx = Context(conn=conn, now=now, now_ts=now_ts, actor=call.actor, seqs=self._seqs)
        conn.execute("SAVEPOINT command")
        try:
            outcome = self._idempotent(ctx, call)
            conn.execute("RELEASE command")
        except CommandError as exc:
            self._undo(snapshot)
            self.stats.failed_commands_total[exc.code] += 1
            return Fail(id=call.id, code=exc.code, message=exc.message, transient=exc.transient, field=exc.field)
        except sqlite3.Error as exc:
            if _is_busy(exc) or getattr(exc, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL:
                raise _abort_for(exc) from exc
            # A bug or a corrupt row: this command alone fails, the batch goes on.
            self._undo(snapshot)
            log.exception("command %s failed", type(call.command).__name__)
            self.stats.failed_commands_total["internal_error"] += 1
            return Fail(id=call.id, code="internal_error", message="Erro interno ao gravar.", transient=False)
        except ValueError as exc:
            # Domain validation the API could not see (e.g. a patch that breaks a rule).
            self._undo(snapshot)
            self.stats.failed_commands_total["validation_error"] += 1
            return Fail(id=call.id, code="validation_error", message=str(exc), transient=False)
        except Exception:
            self._undo(snapshot)
            log.exception("command %s crashed", type(call.command).__name__)
            self.stats.failed_commands_total["internal_error"] += 1
            return Fail(id=call.id, code="internal_error", message="Erro interno ao gravar.", transient=False)
        published.events.extend(ctx.events)
        published.auth.users.extend(ctx.auth_users)
        published.auth.revoked.extend(ctx.auth_revoked)
        return Ok(id=call.id, status=outcome.status, body=outcome.body, seq=outcome.seq)

    def _undo(self, snapshot: Sequences) -> None:
        self._conn.execute("ROLLBACK TO command")
        self._conn.execute("RELEASE command")
        self._seqs.restore(snapshot)

    def _idempotent(self, ctx: Context, call: Call) -> Outcome:
        """Replay the stored answer for a known key; store the answer for a new one."""
        key = call.idempotency_key
        if key is None:
            return execute(ctx, call.command)
        row = ctx.conn.execute(
            "SELECT request_hash, status, body, seq, created_at FROM idempotency WHERE key = ?", (key,)
        ).fetchone()
        if row is not None and row[4] > ctx.now_ts - self._idem_ttl:
            if row[0] != call.request_hash:
                raise CommandError(
                    "idempotency_key_reused",
                    "Esta Idempotency-Key já foi usada com outra requisição.",
                    field="Idempotency-Key",
                )
            return Outcome(row[1], row[2], row[3])
        outcome = execute(ctx, call.command)
        ctx.conn.execute(
            "INSERT OR REPLACE INTO idempotency (key, request_hash, status, body, seq, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (key, call.request_hash or "", outcome.status, outcome.body, outcome.seq, ctx.now_ts),
        )
        return outcome

    def _begin(self, deadline: float) -> None:
        self._retry_busy(lambda: self._conn.execute("BEGIN IMMEDIATE"), deadline, "BEGIN")

    def _commit(self, deadline: float) -> None:
        # A busy COMMIT leaves the transaction open, so retrying COMMIT alone is safe.
        self._retry_busy(lambda: self._conn.execute("COMMIT"), deadline, "COMMIT")

    def _rollback(self) -> None:
        if self._conn.in_transaction:
            try:
                self._conn.execute("ROLLBACK")
            except sqlite3.Error:
                log.exception("rollback failed")

    def _retry_busy(self, step: Callable[[], Any], deadline: float, what: str) -> None:
        """Bounded exponential backoff with jitter while another process holds the lock."""
        delay = _BACKOFF_FIRST_S
        started = time.monotonic()
        retries = 0
        while True:
            try:
                step()
            except sqlite3.Error as exc:
                if not _is_busy(exc):
                    raise _abort_for(exc) from exc
                if time.time() + delay > deadline:
                    log.warning("%s still busy after %d retries; giving up at the deadline", what, retries)
                    raise _abort_for(exc) from exc
                retries += 1
                self.stats.busy_retries_total += 1
                time.sleep(delay * random.uniform(0.5, 1.0))
                delay = min(delay * 2, _BACKOFF_MAX_S)
                continue
            if retries:
                log.info("%s was busy for %.0f ms (%d retries)", what, (time.monotonic() - started) * 1000, retries)
            return
