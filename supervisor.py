"""The supervisor: starts the writer and the API workers, restarts what dies, stops everything.

One process, no event loop: it waits on process sentinels. Workers share the
listening sockets (created here, passed through spawn as hypercorn does), so
a dead worker is replaced without dropping the port.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import secrets
import shutil
import signal
import stat
import time
from multiprocessing.connection import wait
from multiprocessing.context import SpawnContext, SpawnProcess
from typing import Any

from api.worker import hypercorn_config, per_worker_sockets, run_worker
from core.backoff import RestartBackoff
from core.prometheus import mark_dead, metrics_dir, prepare_multiprocess_dir
from core.settings import Settings
from core.tokens import load_or_create_secret
from exporter import run_exporter
from ipc import probe
from media.sweep import SweepThread
from readers.media_refs import read_referenced_shas
from writer.process import run_writer
from writer.stats import STABLE_AFTER_S

__all__ = ["Supervisor"]

log = logging.getLogger("sgp.supervisor")

_WRITER_READY_TIMEOUT_S = 60.0
_RESTART_BACKOFF_MAX_S = 30.0
_STABLE_AFTER_S = STABLE_AFTER_S
_CRASH_LOOP_RESTARTS = 5
# The writer's event loop answers pings even while a batch commits; silence means it is stuck.
_HEARTBEAT_EVERY_S = 2.0
_HEARTBEAT_TIMEOUT_S = 2.0
_HEARTBEAT_DEADLINE_S = 10.0


def _new_backoff() -> RestartBackoff:
    return RestartBackoff(
        stable_after_s=_STABLE_AFTER_S, max_delay_s=_RESTART_BACKOFF_MAX_S, crash_loop_restarts=_CRASH_LOOP_RESTARTS
    )


class _Heartbeat:
    """Pings the writer every few seconds; tells how long it has been silent."""

    def __init__(self, address_file: Any) -> None:
        self._address_file = address_file
        self.reset()

    def reset(self) -> None:
        """A new writer: start counting from now."""
        self._last_answer = self._next_ping = time.monotonic()

    def silent_for(self, pid: int) -> float:
        """Seconds since writer `pid` last answered (pings it when one is due)."""
        now = time.monotonic()
        if now >= self._next_ping:
            self._next_ping = now + _HEARTBEAT_EVERY_S
            if probe.ping(self._address_file, timeout=_HEARTBEAT_TIMEOUT_S, expect_pid=pid) is not None:
                self._last_answer = time.monotonic()
        return time.monotonic() - self._last_answer


class _Slot:
    """One worker (or the exporter) position: its process, and the back-off before replacing it.

    A worker failing at import would otherwise be respawned every loop turn
    (0.5 s) forever; with the writer's back-off it waits 0.5 s doubling to 30 s,
    reset once a process stayed up for a minute.
    """

    def __init__(self, process: SpawnProcess | None = None) -> None:
        self.process = process
        self.started = time.monotonic()
        self.backoff = _new_backoff()
        self.due: float | None = None

    def check(self, what: str, spawn: Any) -> None:
        """Note a death (scheduling the replacement) or spawn the replacement when it is due."""
        now = time.monotonic()
        if self.process is not None:
            if self.process.is_alive():
                return
            self.process.join()
            mark_dead(self.process.pid)
            delay = self.backoff.failed(now - self.started)
            loop_note = " (crash loop)" if self.backoff.crash_loop else ""
            log.error(
                "%s %d died (%s)%s; replacing it in %.1f s",
                what, self.process.pid, _exit_reason(self.process.exitcode), loop_note, delay,
            )  # fmt: skip
            self.process = None
            self.due = now + delay
        if self.due is not None and now >= self.due:
            self.process = spawn()
            self.started = time.monotonic()
            self.due = None


# Exit codes the writer and workers choose (writer/server.py), and what they mean.
_OWN_EXIT_CODES = {
    70: "a task it cannot run without died (see its log)",
    75: "it stopped itself after its WAL file was deleted, with every committed write checkpointed",
}


def _exit_reason(code: int | None) -> str:
    if code in _OWN_EXIT_CODES:
        return f"exit code {code}: {_OWN_EXIT_CODES[code]}"
    if code is not None and code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit code {code}"


def _private_dir(path: Any) -> None:
    """Create the data dir readable by its owner only (POSIX); tighten an existing one.

    It holds the database, the IPC secret and the token key. On Windows mode
    bits do not apply: the directory's ACL must allow the service account only
    (docs/hardening.md).
    """
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    if os.name != "nt" and stat.S_IMODE(path.stat().st_mode) & 0o077:
        log.warning("data dir %s was readable by other users; making it owner-only (0700)", path)
        os.chmod(path, 0o700)


class Supervisor:
    """Owns the child processes of one run of the service."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.ctx: SpawnContext = multiprocessing.get_context("spawn")
        self.secret = secrets.token_urlsafe(32)
        self.writer: SpawnProcess | None = None
        self.writer_started = 0.0
        self.writer_restarts = 0
        self.writer_stop = self.ctx.Event()
        self.worker_shutdown = self.ctx.Event()
        self.stopping = False
        self._writer_backoff = _new_backoff()
        self._writer_due: float | None = None
        self._heartbeat = _Heartbeat(settings.writer_address_file)
        self._writer_hung = False
        self._writer_ready: Any = None  # the starting writer's ready event; None once it is ready
        self._writer_ready_by = 0.0
        self._worker_slots: list[_Slot] = []
        self._exporter_slot = _Slot()
        self.media_sweep = SweepThread(
            settings.media_dir, lambda: read_referenced_shas(settings.db_path), grace_s=settings.media_grace_s
        )

    # Writer ------------------------------------------------------------------

    def _launch_writer(self) -> SpawnProcess:
        """Start a writer process; it is "starting" until it sets its ready event."""
        self._writer_ready = self.ctx.Event()
        self.writer_stop.clear()
        process = self.ctx.Process(
            target=run_writer,
            args=(self.settings, self.secret, self._writer_ready, self.writer_stop),
            kwargs={"restarts": self.writer_restarts, "crash_loop": self._writer_backoff.crash_loop},
            name="sgp-writer",
        )
        process.start()
        self._writer_ready_by = time.monotonic() + _WRITER_READY_TIMEOUT_S
        return process

    def _writer_became_ready(self) -> None:
        assert self.writer is not None
        self._writer_ready = None
        self.writer_started = time.monotonic()
        self._heartbeat.reset()
        self._writer_hung = False
        log.info("writer started (pid %d)", self.writer.pid)

    def _spawn_writer(self) -> SpawnProcess:
        """The first writer, waited for: workers need its schema and address before they start."""
        process = self._launch_writer()
        self.writer = process
        assert self._writer_ready is not None
        while not self._writer_ready.wait(0.1):
            if not process.is_alive():
                raise RuntimeError(
                    f"the writer exited during start-up (exit code {process.exitcode}); see its log above"
                )
            if time.monotonic() > self._writer_ready_by:
                process.kill()
                raise RuntimeError(f"the writer did not become ready within {_WRITER_READY_TIMEOUT_S:.0f} s")
        self._writer_became_ready()
        return process

    def _check_heartbeat(self) -> None:
        if (
            self.writer is None
            or self._writer_ready is not None
            or not self.writer.is_alive()
            or self.writer.pid is None
        ):
            return  # none, starting (its ready deadline applies), or dead
        silent = self._heartbeat.silent_for(self.writer.pid)
        if silent >= _HEARTBEAT_DEADLINE_S:
            log.error("writer (pid %d) has not answered heartbeats for %.0f s; killing it", self.writer.pid, silent)
            self._writer_hung = True
            self.writer.kill()
            self.writer.join(5)

    def _check_writer(self) -> None:
        now = time.monotonic()
        starting = self.writer is not None and self._writer_ready is not None
        if starting:
            # Watched from the loop, not waited for: workers and the exporter stay supervised meanwhile.
            assert self.writer is not None and self._writer_ready is not None
            if self._writer_ready.is_set():
                self._writer_became_ready()
                return
            if self.writer.is_alive():
                if now < self._writer_ready_by:
                    return
                log.error("writer did not become ready within %.0f s; killing it", _WRITER_READY_TIMEOUT_S)
                self.writer.kill()
                self.writer.join(5)
        elif self.writer is not None and self.writer.is_alive():
            return
        if self.writer is not None:
            code = self.writer.exitcode
            reason = "it stopped answering heartbeats" if self._writer_hung else _exit_reason(code)
            if starting:
                reason = f"start-up failed ({reason})"
            uptime = 0.0 if starting else now - self.writer_started
            self._writer_ready = None
            self.writer.join()
            mark_dead(self.writer.pid)
            self.writer = None
            delay = self._writer_backoff.failed(uptime)
            if self._writer_backoff.crash_loop:
                log.error(
                    "writer is crash-looping (%d restarts in %.0f s); last death: %s; next try in %.1f s",
                    len(self._writer_backoff.recent),
                    _STABLE_AFTER_S,
                    reason,
                    delay,
                )
            else:
                log.error("writer died (%s) after %.1f s; restarting in %.1f s", reason, uptime, delay)
            self._writer_due = now + delay
        if self._writer_due is not None and now >= self._writer_due:
            self.writer_restarts += 1
            self.writer = self._launch_writer()
            self._writer_due = None

    # Workers -----------------------------------------------------------------

    def _spawn_worker(self, config: Any, sockets: Any) -> SpawnProcess:
        process = self.ctx.Process(
            target=run_worker, args=(self.settings, config, sockets, self.worker_shutdown), name="sgp-worker"
        )
        process.start()
        return process

    @property
    def workers(self) -> list[SpawnProcess]:
        """The worker processes currently running (a slot waiting out its back-off has none)."""
        return [slot.process for slot in self._worker_slots if slot.process is not None]

    @property
    def exporter(self) -> SpawnProcess | None:
        """The exporter process, when one runs."""
        return self._exporter_slot.process

    def _check_workers(self, config: Any, sockets: Any) -> None:
        for slot in self._worker_slots:
            slot.check("API worker", lambda: self._spawn_worker(config, sockets))
        if self.settings.export_dir:
            self._exporter_slot.check("exporter", self._spawn_exporter)

    def _spawn_exporter(self) -> SpawnProcess:
        """The one consumer keeping SGP_EXPORT_DIR current (it stops with the workers)."""
        process = self.ctx.Process(target=run_exporter, args=(self.settings, self.worker_shutdown), name="sgp-exporter")
        process.start()
        return process

    # Run ---------------------------------------------------------------------

    def _on_signal(self, signum: int, _: Any) -> None:
        log.info("received signal %d; shutting down", signum)
        self.stopping = True

    def run(self) -> int:
        """Serve until SIGINT/SIGTERM (Ctrl-C, Ctrl-Break on Windows); returns the exit code."""
        s = self.settings
        _private_dir(s.data_dir)
        s.writer_address_file.unlink(missing_ok=True)
        # Before any child exists: each reads it at start (prometheus_client multiprocess mode).
        prepare_multiprocess_dir(metrics_dir(s.data_dir))
        if not s.token_secret:
            load_or_create_secret(s.token_secret_file)  # before the workers, who all read it
        # Children ignore Ctrl-C: the supervisor decides the order of shutdown.
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
        try:
            self.writer = self._spawn_writer()
        except RuntimeError as exc:
            log.error("%s", exc)
            return 1
        self.media_sweep.start()  # once per service, from a read-only snapshot, never in the writer (media/sweep.py)
        config = hypercorn_config(s)
        try:
            sockets: Any = config.create_sockets()  # hypercorn Sockets; None below when each worker binds
        except OSError as exc:
            log.error("cannot listen on %s: %s (is another server using the port?)", s.bind, exc)
            self._stop_writer()
            return 1
        if per_worker_sockets():
            # Each worker binds its own SO_REUSEPORT socket, so the kernel spreads connections
            # evenly; one shared socket lets whichever worker wakes first accept a whole burst.
            for sock in sockets.insecure_sockets:
                sock.close()
            sockets = None
        self._worker_slots = [_Slot(self._spawn_worker(config, sockets)) for _ in range(s.workers)]
        if s.export_dir:
            self._exporter_slot = _Slot(self._spawn_exporter())
        signal.signal(signal.SIGINT, previous if callable(previous) else signal.default_int_handler)
        for name in ("SIGINT", "SIGTERM", "SIGBREAK"):
            if hasattr(signal, name):
                signal.signal(getattr(signal, name), self._on_signal)
        log.info(
            "SGP orders service on http://%s:%d with %d workers (data in %s)",
            *s.bind_host_port,
            s.workers,
            s.data_dir.resolve(),
        )
        try:
            while not self.stopping:
                sentinels = [p.sentinel for p in self.workers]
                if self.exporter is not None:
                    sentinels.append(self.exporter.sentinel)
                if self.writer is not None:
                    sentinels.append(self.writer.sentinel)
                # Shorter while a writer starts: its ready event has no sentinel to wait on.
                wait(sentinels, timeout=0.1 if self._writer_ready is not None else 0.5)
                # The signal handler sets it during wait(); mypy narrows it to False from the loop test.
                if self.stopping:
                    break  # type: ignore[unreachable]
                self._check_heartbeat()
                self._check_writer()
                self._check_workers(config, sockets)
        finally:
            self._shutdown()
            if sockets is not None:
                for sock in (*sockets.insecure_sockets, *sockets.secure_sockets):
                    sock.close()
        return 0

    def _stop_writer(self) -> None:
        if self.writer is not None:
            self.writer_stop.set()
            self.writer.join(30)
            if self.writer.is_alive():
                log.warning("writer did not stop in time; killing it")
                self.writer.kill()  # children ignore SIGTERM (core.process)
                self.writer.join(5)

    def _shutdown(self) -> None:
        """Workers first (they finish in-flight requests), then the writer (it commits its queue)."""
        self.worker_shutdown.set()
        deadline = time.monotonic() + 15
        children = [*self.workers, *([self.exporter] if self.exporter else [])]
        for process in children:
            process.join(max(0.1, deadline - time.monotonic()))
        for process in children:
            if process.is_alive():
                log.warning("worker %d did not stop in time; killing it", process.pid)
                process.kill()  # children ignore SIGTERM (core.process)
                process.join(5)
        self._stop_writer()
        self.media_sweep.stop()
        for process in (*children, *([self.writer] if self.writer else [])):
            if process.is_alive():
                process.kill()
        # A writer that was killed (or died) never removed its address: no stale one after we stop.
        self.settings.writer_address_file.unlink(missing_ok=True)
        if self.settings.ipc == "unix":
            (self.settings.data_dir / "writer.sock").unlink(missing_ok=True)
        # Counters restart with the service anyway; leave nothing in /dev/shm or the temp dir.
        shutil.rmtree(metrics_dir(self.settings.data_dir), ignore_errors=True)
        log.info("stopped")
