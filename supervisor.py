"""The supervisor: starts the writer and the API workers, restarts what dies, stops everything.

One process, no event loop: it waits on process sentinels. Workers share the
listening sockets (created here, passed through spawn as hypercorn does), so
a dead worker is replaced without dropping the port.
"""

from __future__ import annotations

import logging
import multiprocessing
import secrets
import signal
import time
from multiprocessing.connection import wait
from multiprocessing.context import SpawnContext, SpawnProcess
from typing import Any

from api.worker import hypercorn_config, per_worker_sockets, run_worker
from core.settings import Settings
from writer.server import run_writer

__all__ = ["Supervisor"]

log = logging.getLogger("sgp.supervisor")

_WRITER_READY_TIMEOUT_S = 60.0
_RESTART_BACKOFF_MAX_S = 30.0
_STABLE_AFTER_S = 60.0
_CRASH_LOOP_RESTARTS = 5


class _Backoff:
    """Exponential restart delay that resets once a process has stayed up for a while."""

    def __init__(self) -> None:
        self.delay = 0.5
        self.recent: list[float] = []

    def failed(self, uptime: float) -> float:
        now = time.monotonic()
        if uptime > _STABLE_AFTER_S:
            self.delay = 0.5
        self.recent = [t for t in self.recent if now - t < _STABLE_AFTER_S] + [now]
        delay, self.delay = self.delay, min(self.delay * 2, _RESTART_BACKOFF_MAX_S)
        return delay

    @property
    def crash_loop(self) -> bool:
        return len(self.recent) >= _CRASH_LOOP_RESTARTS


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
        self.workers: list[SpawnProcess] = []
        self.worker_shutdown = self.ctx.Event()
        self.stopping = False
        self._writer_backoff = _Backoff()
        self._writer_due: float | None = None

    # Writer ------------------------------------------------------------------

    def _spawn_writer(self) -> SpawnProcess:
        ready = self.ctx.Event()
        self.writer_stop.clear()
        process = self.ctx.Process(
            target=run_writer,
            args=(self.settings, self.secret, ready, self.writer_stop),
            kwargs={"restarts": self.writer_restarts},
            name="sgp-writer",
        )
        process.start()
        deadline = time.monotonic() + _WRITER_READY_TIMEOUT_S
        while not ready.wait(0.1):
            if not process.is_alive():
                raise RuntimeError(f"the writer exited during start-up (exit code {process.exitcode}); see its log above")
            if time.monotonic() > deadline:
                process.kill()
                raise RuntimeError(f"the writer did not become ready within {_WRITER_READY_TIMEOUT_S:.0f} s")
        self.writer_started = time.monotonic()
        log.info("writer started (pid %d)", process.pid)
        return process

    def _check_writer(self) -> None:
        if self.writer is not None and self.writer.is_alive():
            return
        now = time.monotonic()
        if self.writer is not None:
            code = self.writer.exitcode
            uptime = now - self.writer_started
            self.writer.join()
            self.writer = None
            delay = self._writer_backoff.failed(uptime)
            if self._writer_backoff.crash_loop:
                log.error(
                    "writer is crash-looping (%d restarts in %.0f s); last exit code %s; next try in %.1f s",
                    len(self._writer_backoff.recent), _STABLE_AFTER_S, code, delay,
                )
            else:
                log.error("writer died (exit code %s) after %.1f s; restarting in %.1f s", code, uptime, delay)
            self._writer_due = now + delay
        if self._writer_due is not None and now >= self._writer_due:
            self.writer_restarts += 1
            try:
                self.writer = self._spawn_writer()
                self._writer_due = None
            except RuntimeError as exc:
                delay = self._writer_backoff.failed(0.0)
                log.error("writer restart failed: %s; next try in %.1f s", exc, delay)
                self._writer_due = time.monotonic() + delay

    # Workers -----------------------------------------------------------------

    def _spawn_worker(self, config: Any, sockets: Any) -> SpawnProcess:
        process = self.ctx.Process(
            target=run_worker, args=(self.settings, config, sockets, self.worker_shutdown), name="sgp-worker"
        )
        process.start()
        return process

    def _check_workers(self, config: Any, sockets: Any) -> None:
        for index, process in enumerate(self.workers):
            if process.is_alive():
                continue
            log.error("API worker %d died (exit code %s); replacing it", process.pid, process.exitcode)
            process.join()
            self.workers[index] = self._spawn_worker(config, sockets)

    # Run ---------------------------------------------------------------------

    def _on_signal(self, signum: int, _: Any) -> None:
        log.info("received signal %d; shutting down", signum)
        self.stopping = True

    def run(self) -> int:
        """Serve until SIGINT/SIGTERM (Ctrl-C, Ctrl-Break on Windows); returns the exit code."""
        s = self.settings
        s.data_dir.mkdir(parents=True, exist_ok=True)
        s.writer_address_file.unlink(missing_ok=True)
        # Children ignore Ctrl-C: the supervisor decides the order of shutdown.
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
        try:
            self.writer = self._spawn_writer()
        except RuntimeError as exc:
            log.error("%s", exc)
            return 1
        config = hypercorn_config(s)
        try:
            sockets = config.create_sockets()
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
        self.workers = [self._spawn_worker(config, sockets) for _ in range(s.workers)]
        signal.signal(signal.SIGINT, previous if callable(previous) else signal.default_int_handler)
        for name in ("SIGINT", "SIGTERM", "SIGBREAK"):
            if hasattr(signal, name):
                signal.signal(getattr(signal, name), self._on_signal)
        host, port = s.bind_host_port
        log.info("SGP orders service on http://%s:%d with %d workers (data in %s)", host, port, s.workers, s.data_dir.resolve())
        try:
            while not self.stopping:
                sentinels = [p.sentinel for p in self.workers]
                if self.writer is not None:
                    sentinels.append(self.writer.sentinel)
                wait(sentinels, timeout=0.5)
                if self.stopping:
                    break
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
                log.warning("writer did not stop in time; terminating it")
                self.writer.terminate()
                self.writer.join(5)

    def _shutdown(self) -> None:
        """Workers first (they finish in-flight requests), then the writer (it commits its queue)."""
        self.worker_shutdown.set()
        deadline = time.monotonic() + 15
        for process in self.workers:
            process.join(max(0.1, deadline - time.monotonic()))
        for process in self.workers:
            if process.is_alive():
                log.warning("worker %d did not stop in time; terminating it", process.pid)
                process.terminate()
                process.join(5)
        self._stop_writer()
        for process in (*self.workers, *([self.writer] if self.writer else [])):
            if process.is_alive():
                process.kill()
        log.info("stopped")
