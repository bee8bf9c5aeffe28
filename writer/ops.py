"""Ops commands of the writer: online backup and integrity check, answered outside batches; its metrics.

The writer's metrics go to prometheus_client (writer/metrics.py), which the
workers render from its files; ReportMetrics and GetMetrics from workers of
an older release are answered without effect. A backup or an integrity
check runs in a thread of its own on its own read-only connection, so the
batcher, the maintenance and the IPC connection that asked go on meanwhile.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import msgspec

from core.settings import Settings
from ipc.errors import CommandError
from ipc.protocol import Backup, Call, Fail, GetMetrics, IntegrityCheck, Ok, ReportMetrics

from .backup import integrity_check, make_backup, resolve_target
from .metrics import WriterMetrics
from .stats import WriterHealth

__all__ = ["WriterOps", "OPS_COMMANDS"]

log = logging.getLogger("sgp.writer.ops")

OPS_COMMANDS = (ReportMetrics, GetMetrics, Backup, IntegrityCheck)

Responder = Callable[[Ok | Fail], None]
_METRICS_EVERY_S = 1.0


class WriterOps:
    """Owns the writer's metrics and runs at most one backup at a time."""

    def __init__(self, settings: Settings, stats: Callable[[], Awaitable[WriterHealth]]) -> None:
        self._settings = settings
        self._stats = stats
        self.metrics = WriterMetrics()
        self._backup_running = False
        self._integrity_running = False
        self._tasks: set[asyncio.Task[None]] = set()

    async def handle(self, call: Call, respond: Responder) -> None:
        """Answer one ops call; slow ones answer later from a task of their own."""
        match call.command:
            case ReportMetrics():
                respond(Ok(id=call.id, status=200, body=b"{}"))
            case GetMetrics():
                respond(_fail(call, CommandError("unsupported", "Métricas agora são lidas pelos workers.")))
            case Backup(path=path):
                self._backup(call, path, respond)
            case IntegrityCheck():
                if self._integrity_running:
                    # It reads the whole file: one at a time, however many callers ask.
                    respond(_fail(call, CommandError(
                        "integrity_in_progress", "Já há uma verificação de integridade em andamento; aguarde."
                    )))  # fmt: skip
                    return
                self._integrity_running = True
                self._spawn(self._integrity(call, respond))
            case _:
                raise TypeError(f"not an ops command: {type(call.command).__name__}")

    async def sync_metrics_forever(self) -> None:
        """Push the writer's figures to its metrics every second (a task of the writer; cancelled at stop)."""
        while True:
            try:
                self.metrics.sync(await self._stats())
            except Exception:
                log.exception("metrics sync failed; will retry")
            await asyncio.sleep(_METRICS_EVERY_S)

    def _spawn(self, coro: Any) -> None:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _backup(self, call: Call, path: str | None, respond: Responder) -> None:
        if self._backup_running:
            respond(_fail(call, CommandError("backup_in_progress", "Já há um backup em andamento; aguarde.")))
            return
        settings = self._settings
        target = resolve_target(settings.data_dir, path)
        who = f" by {call.actor.username}" if call.actor is not None else ""
        log.info("backup to %s requested%s", target, who)
        self._backup_running = True

        async def run() -> None:
            try:
                result = await asyncio.to_thread(make_backup, settings.db_path, settings.media_dir, target)
            except CommandError as exc:
                log.warning("backup to %s refused: %s", target, exc.code)
                respond(_fail(call, exc))
            except Exception as exc:  # noqa: BLE001 - the caller must get an answer
                log.exception("backup to %s failed", target)
                respond(
                    Fail(id=call.id, code="backup_failed", message=f"Falha ao gerar o backup: {exc}", transient=True)
                )
            else:
                respond(Ok(id=call.id, status=200, body=msgspec.json.encode(result)))
            finally:
                self._backup_running = False

        self._spawn(run())

    async def _integrity(self, call: Call, respond: Responder) -> None:
        try:
            result = await asyncio.to_thread(integrity_check, self._settings.db_path)
        except Exception as exc:  # noqa: BLE001 - the caller must get an answer
            log.exception("integrity check failed to run")
            respond(
                Fail(id=call.id, code="integrity_check_failed", message=f"Falha na verificação: {exc}", transient=True)
            )
            return
        finally:
            self._integrity_running = False
        if not result.ok:
            log.error("integrity check found %d problems: %s", len(result.errors), result.errors[:5])
        respond(Ok(id=call.id, status=200, body=msgspec.json.encode(result)))


def _fail(call: Call, exc: CommandError) -> Fail:
    return Fail(id=call.id, code=exc.code, message=exc.message, transient=exc.transient, field=exc.field)
