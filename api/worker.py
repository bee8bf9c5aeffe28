"""Entry point of one API worker process (spawned by run_server.py's supervisor)."""

from __future__ import annotations

import asyncio
import gc
import logging
import multiprocessing
import os
import platform
import socket
import sys
from multiprocessing.synchronize import Event as EventType

from hypercorn.asyncio.run import worker_serve
from hypercorn.config import Config, Sockets
from hypercorn.utils import wrap_app

from core.logs import configure_logging
from core.process import ignore_shutdown_signals
from core.settings import Settings

from .h11_send import coalesce_response_head

__all__ = ["run_worker", "hypercorn_config", "per_worker_sockets", "refuse_obsolete_line_folding"]

# A reader thread that finished its SQLite work waits for the GIL while the event
# loop runs, and CPython makes it wait up to the switch interval (5 ms by default)
# before forcing a hand-off; a read that hands over several times waits several
# times. Under load that, not SQLite, set the latency of threaded reads. The
# interval only matters while another thread wants the GIL, so a shorter one costs
# nothing while the reader threads are idle.
_SWITCH_INTERVAL_S = 0.0005
# Net new container objects between young garbage collections (CPython's default is 700).
_GC_GEN0_THRESHOLD = 10_000
# The request line (method, target, version) on top of the header section.
_REQUEST_LINE_SLACK = 8 * 1024


def refuse_obsolete_line_folding() -> None:
    """Make h11 refuse (400) header lines continued by obsolete folding instead of joining them.

    RFC 9112 section 5.2 lets a server reject obs-fold; a proxy in front that does
    not unfold would see different headers than we do (request smuggling). h11
    0.16 has no switch for it, so its folding helper is replaced; pinned in
    requirements/*.lock, and tests/security/test_http_hardening.py fails if h11 moves it.
    """
    import h11._readers as readers
    from h11._util import LocalProtocolError

    if not hasattr(readers, "_obsolete_line_fold"):
        logging.getLogger("sgp.api").warning("this h11 has no _obsolete_line_fold: folded header lines are accepted")
        return

    def no_folding(lines):  # type: ignore[no-untyped-def]
        for line in lines:
            if line[:1] in (b" ", b"\t"):
                raise LocalProtocolError("obsolete header line folding is not accepted")
            yield line

    readers._obsolete_line_fold = no_folding


def _lighten_log_records() -> None:
    """Skip the log-record fields no formatter of ours prints (the logging HOWTO's "Optimization").

    A worker logs one access line per request, and finding the caller's frame,
    thread and multiprocessing names was a third of that line's cost. Neither the
    text nor the JSON format (core/logs.py) shows them; `process` (the pid) stays.
    """
    logging._srcfile = None  # documented switch: no sys._getframe() walk per record
    logging.logThreads = False
    logging.logMultiprocessing = False


def _tune_gc() -> None:
    """Make the cyclic garbage collector cheap for a server that frees nearly everything by refcount.

    Measured under the mixed load (200 clients): with the default threshold of 700,
    the objects of ~100 requests in flight kept tipping the young generation over,
    ~50 young collections a second per worker, each traversing those live objects
    (0.6 ms) and promoting them into more (2.6 ms) middle collections: ~6% of a
    worker's CPU. At 10,000 it collects a few times per 10 s, and what it lets pile
    up between collections is at most that many objects. Frozen, the app's ~60,000
    long-lived objects (routes, pydantic models, modules) are skipped by full collections.
    """
    gc.freeze()
    gc.set_threshold(_GC_GEN0_THRESHOLD, 10, 10)


def per_worker_sockets() -> bool:
    """True where each worker can bind its own SO_REUSEPORT socket (Linux, BSD, macOS)."""
    return os.name != "nt" and hasattr(socket, "SO_REUSEPORT")


def hypercorn_config(settings: Settings) -> Config:
    """The hypercorn config for our workers (picklable: it crosses the spawn boundary)."""
    config = Config()
    config.bind = [settings.bind]
    config.workers = settings.workers
    config.backlog = 2048  # 200 clients connecting at once must not overflow the accept queue
    config.graceful_timeout = 10.0
    config.keep_alive_timeout = 75.0
    config.accesslog = None
    # h11 refuses (400) a header section still incomplete past this size; the exact
    # size and count limits (431) are api/guard.py's. The slack is the request line.
    config.h11_max_incomplete_size = settings.max_header_bytes + _REQUEST_LINE_SLACK
    config.errorlog = "-"
    config.loglevel = settings.log_level.upper()
    return config


async def _shutdown_trigger(event: EventType) -> None:
    """Return when the supervisor asks us to stop, or when it is gone."""
    parent = multiprocessing.parent_process()
    while not event.is_set():
        if parent is not None and not parent.is_alive():
            return
        await asyncio.sleep(0.2)


def run_worker(settings: Settings, config: Config, sockets: Sockets | None, shutdown: EventType) -> None:
    """Serve the FastAPI app until told to stop, on the supervisor's sockets or (None) our own."""
    from api.app import create_app

    ignore_shutdown_signals()
    configure_logging(settings.log_level, settings.log_format, "worker", buffered=True)
    refuse_obsolete_line_folding()
    coalesce_response_head()
    _lighten_log_records()
    sys.setswitchinterval(_SWITCH_INTERVAL_S)
    if platform.system() == "Windows":
        # Sockets shared between processes need the selector loop on Windows (as hypercorn does).
        asyncio.set_event_loop_policy(asyncio.WindowsSelectorEventLoopPolicy())  # type: ignore[attr-defined]
    if sockets is None:
        sockets = config.create_sockets()  # SO_REUSEPORT: hypercorn sets it when workers > 1
    # FastAPI is an ASGI 3 app; hypercorn's stricter ASGIFramework protocol does not see it as one.
    app = wrap_app(create_app(settings), config.wsgi_max_body_size, "asgi")  # type: ignore[arg-type]
    _tune_gc()
    try:
        asyncio.run(worker_serve(app, config, sockets=sockets, shutdown_trigger=lambda: _shutdown_trigger(shutdown)))
    finally:
        for handler in logging.getLogger().handlers:
            handler.flush()  # the buffered access lines of the last 0.1 s
