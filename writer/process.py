"""The writer process's entry point: run the server until told to stop, exit with a code the supervisor reads."""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import sys
from multiprocessing.synchronize import Event as EventType

from core.logs import configure_logging
from core.process import ignore_shutdown_signals
from core.settings import Settings

from .server import FATAL_EXIT_CODE, WriterServer

__all__ = ["run_writer"]

log = logging.getLogger("sgp.writer")


class _Fatal(RuntimeError):
    """A part the writer cannot run without died: exit at once, the supervisor restarts us."""


async def _serve(
    settings: Settings, secret: str, ready: EventType | None, stop: EventType, restarts: int, crash_loop: bool
) -> int:
    server = WriterServer(settings, secret, restarts=restarts, crash_loop=crash_loop)
    await server.start()
    if ready is not None:
        ready.set()
    parent = multiprocessing.parent_process()
    while not stop.is_set():
        if server.fatal is not None:
            # No orderly stop: the batcher that would commit the queue is gone. Calls in
            # flight fail with "connection lost" and are retried against the new writer.
            raise _Fatal("the batcher died") from server.fatal
        if server.restart_code is not None:
            break
        if parent is not None and not parent.is_alive():
            log.warning("supervisor is gone; shutting down")
            break
        await asyncio.sleep(0.1)
    await server.stop()
    return server.restart_code or 0


def run_writer(
    settings: Settings,
    secret: str,
    ready: EventType | None,
    stop: EventType,
    *,
    restarts: int = 0,
    crash_loop: bool = False,
) -> None:
    """Entry point of the writer process (spawned by run_server.py)."""
    ignore_shutdown_signals()
    configure_logging(settings.log_level, settings.log_format, "writer")
    try:
        code = asyncio.run(_serve(settings, secret, ready, stop, restarts, crash_loop))
    except _Fatal:
        log.exception("writer crashed")
        logging.shutdown()
        # Not a normal exit: the SQLite thread may be wedged, and joining it at exit would hang.
        os._exit(FATAL_EXIT_CODE)
    except Exception:
        log.exception("writer crashed")
        raise
    if code:
        sys.exit(code)  # the supervisor restarts a writer that ended with a non-zero code
