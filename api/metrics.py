"""This worker's HTTP metrics and request log, and the task that reports them to the writer.

`RequestObserver` is a pure ASGI middleware (BaseHTTPMiddleware would wrap
every response in a task and a memory stream): per request it counts, times
and logs one line, and returns the request id in `X-Request-ID`. Workers send
their registry to the writer about once a second; GET /metrics then renders
the writer's merge of every worker, so each worker answers the same page.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import re
import secrets
import time
from typing import Protocol

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from core.metrics import LATENCY_BUCKETS, Registry, status_class
from writer.client import WriterClient
from writer.errors import WriterClientError
from writer.protocol import ReportMetrics

__all__ = ["WorkerMetrics", "RequestObserver", "REPORT_EVERY_S"]

log = logging.getLogger("sgp.access")

REPORT_EVERY_S = 1.0
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# A client-chosen id goes into logs and a header: keep it short and plain.
_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
# Paths no route matched: one label value, so random URLs cannot grow the page.
_UNMATCHED = "unmatched"
# Generated request ids: 16 random hex digits per process, then a 16-digit counter.
# Unique like uuid4().hex (same length), without a getrandom() call per request.
_ID_PREFIX = secrets.token_hex(8)
_id_counter = itertools.count(1)


class _CounterSeries(Protocol):
    def inc(self, n: float = 1) -> None: ...


class _HistogramSeries(Protocol):
    def observe(self, v: float) -> None: ...


class WorkerMetrics:
    """The registry of one API worker (created once, at app creation)."""

    def __init__(self) -> None:
        self.registry = Registry()
        self.requests = self.registry.counter(
            "sgp_http_requests_total", "HTTP requests, by route template and status class.",
            ("method", "route", "status"),
        )
        self.latency = self.registry.histogram(
            "sgp_http_request_duration_seconds", "Time from request to the end of the response.",
            LATENCY_BUCKETS, ("method", "route"),
        )
        # Set by the feed module (WebSocket clients of this worker); summed across workers.
        self.feed_clients = self.registry.gauge("sgp_feed_clients", "Connected feed (WebSocket) clients.")
        self._reporter: asyncio.Task[None] | None = None

    def start_reporting(self, writer: WriterClient) -> None:
        """Send this registry to the writer every REPORT_EVERY_S, in the background."""
        self._reporter = asyncio.create_task(self._report_forever(writer), name="metrics-reporter")

    async def stop_reporting(self) -> None:
        """Stop the background reports."""
        if self._reporter is not None:
            self._reporter.cancel()
            await asyncio.gather(self._reporter, return_exceptions=True)

    async def _report_forever(self, writer: WriterClient) -> None:
        while True:
            await asyncio.sleep(REPORT_EVERY_S)
            if not writer.connected:
                continue  # the writer is restarting; the next report after it is back counts
            try:
                await writer.request(ReportMetrics(worker=writer.name, snapshot=self.registry.snapshot()), timeout=2.0)
            except WriterClientError as exc:
                log.debug("metrics report not delivered: %s", exc)


class RequestObserver:
    """Pure ASGI middleware: metrics, `X-Request-ID` and one structured log line per HTTP request."""

    def __init__(self, app: ASGIApp, metrics: WorkerMetrics) -> None:
        self.app = app
        self.metrics = metrics
        # (method, route, status class) -> its counter and histogram series: one dict
        # lookup per request instead of building two label tuples. Bounded like the
        # label values themselves (route templates, not raw paths).
        self._series: dict[tuple[str, str, str], tuple[_CounterSeries, _HistogramSeries]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = _request_id(scope)
        header = (b"x-request-id", request_id.encode("ascii"))
        # An exception escaping the app becomes a 500 in the outer error middleware.
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), header]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            self._record(scope, status, time.perf_counter() - started, request_id)

    def _record(self, scope: Scope, status: int, elapsed: float, request_id: str) -> None:
        method = scope["method"] if scope["method"] in _METHODS else "OTHER"
        route = getattr(scope.get("route"), "path", None) or _UNMATCHED
        key = (method, route, status_class(status))
        series = self._series.get(key)
        if series is None:
            series = self._series[key] = (
                self.metrics.requests.labels(method=method, route=route, status=key[2]),
                self.metrics.latency.labels(method=method, route=route),
            )
        series[0].inc()
        series[1].observe(elapsed)
        duration_ms = round(elapsed * 1000, 1)
        # Route template, never the raw path or query: ids and tokens stay out of the log.
        log.info(
            "method=%s route=%s status=%d duration_ms=%.1f request_id=%s", method, route, status, duration_ms, request_id,
            extra={"method": method, "route": route, "status": status, "duration_ms": duration_ms,
                   "request_id": request_id},
        )


def _request_id(scope: Scope) -> str:
    for name, value in scope.get("headers", ()):
        if name == b"x-request-id":
            candidate = bytes(value).decode("latin-1")
            if _REQUEST_ID.fullmatch(candidate):
                return candidate
            break
    return f"{_ID_PREFIX}{next(_id_counter):016x}"
