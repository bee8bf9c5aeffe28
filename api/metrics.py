"""This worker's HTTP metrics and request log.

`RequestObserver` is a pure ASGI middleware (BaseHTTPMiddleware would wrap
every response in a task and a memory stream): per request it counts, times
and logs one line, and returns the request id in `X-Request-ID`. The
metrics are prometheus_client's; under the supervisor they live in files
shared by every process (core/prometheus.py), so GET /metrics on any worker
renders the whole service, writer down or not.
"""

from __future__ import annotations

import itertools
import logging
import re
import secrets
import time
from typing import Protocol

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from core.metrics import LATENCY_BUCKETS, status_class
from core.prometheus import render

__all__ = ["WorkerMetrics", "RequestObserver"]

log = logging.getLogger("sgp.access")

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
    def inc(self, amount: float = 1) -> None: ...


class _HistogramSeries(Protocol):
    def observe(self, amount: float) -> None: ...


class WorkerMetrics:
    """The metrics of one API worker (created once, at app creation), in a registry of their own."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "sgp_http_requests_total", "HTTP requests, by route template and status class.",
            ("method", "route", "status"), registry=self.registry,
        )  # fmt: skip
        self.latency = Histogram(
            "sgp_http_request_duration_seconds", "Time from request to the end of the response.",
            ("method", "route"), buckets=LATENCY_BUCKETS, registry=self.registry,
        )  # fmt: skip
        # Set by the feed module (WebSocket clients of this worker); summed over live workers.
        self.feed_clients = Gauge(
            "sgp_feed_clients",
            "Connected feed (WebSocket) clients.",
            multiprocess_mode="livesum",
            registry=self.registry,
        )
        workers = Gauge(
            "sgp_workers_reporting", "API workers whose figures are included (live ones).",
            multiprocess_mode="livesum", registry=self.registry,
        )  # fmt: skip
        workers.set(1)

    def render(self) -> bytes:
        """The Prometheus page: the whole service under the supervisor, else this registry."""
        return render(self.registry)


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
        route = getattr(scope.get("route"), "path_format", None) or _UNMATCHED  # "{pedido_id}", not "{pedido_id:int}"
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
            "method=%s route=%s status=%d duration_ms=%.1f request_id=%s",
            method,
            route,
            status,
            duration_ms,
            request_id,
            extra={
                "method": method,
                "route": route,
                "status": status,
                "duration_ms": duration_ms,
                "request_id": request_id,
            },
        )


def _request_id(scope: Scope) -> str:
    for name, value in scope.get("headers", ()):
        if name == b"x-request-id":
            candidate = bytes(value).decode("latin-1")
            if _REQUEST_ID.fullmatch(candidate):
                return candidate
            break
    return f"{_ID_PREFIX}{next(_id_counter):016x}"
