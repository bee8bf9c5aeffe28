"""The writer's metrics, in prometheus_client (multiprocess files under the supervisor, see core/prometheus.py).

Batch histograms are observed as batches commit. The counters and gauges
come from the writer's health figures (one source of truth with
/health/writer): `sync` pushes them about once a second, counters by the
amount they grew. A restarted writer starts its own counters at zero while
the dead one's stay in the files, so the sums over the run only grow.
"""

from __future__ import annotations

import logging
from typing import Literal

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from .stats import WriterHealth

__all__ = ["WriterMetrics"]

log = logging.getLogger("sgp.writer.metrics")

_BATCH_SIZE_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192)
_COMMIT_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
_REJECT_REASONS = ("queue_full", "deadline")
# Only the live writer's gauges are shown (a dead one's files are removed by the supervisor).
_LIVE: Literal["livemax"] = "livemax"


class WriterMetrics:
    """Histograms, counters and gauges of this writer process."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        r = self.registry = registry or CollectorRegistry()
        self._batch_size = Histogram(
            "sgp_writer_batch_size_commands", "Commands committed per batch (one transaction).",
            buckets=_BATCH_SIZE_BUCKETS, registry=r,
        )  # fmt: skip
        self._commit_seconds = Histogram(
            "sgp_writer_commit_duration_seconds",
            "Time to run and commit one batch.",
            buckets=_COMMIT_BUCKETS,
            registry=r,
        )
        self._batches = Counter("sgp_writer_batches_total", "Batches committed.", registry=r)
        self._commands = Counter("sgp_writer_commands_total", "Commands committed.", registry=r)
        self._busy = Counter(
            "sgp_writer_busy_retries_total", "Retries of BEGIN/COMMIT while another process held the lock.", registry=r
        )
        self._failed = Counter(
            "sgp_writer_failed_commands_total", "Commands that did not commit, by reason.", ("reason",), registry=r
        )
        self._rejected = Counter(
            "sgp_writer_rejected_total", "Commands refused before running (queue full, deadline passed).",
            ("reason",), registry=r,
        )  # fmt: skip
        for reason in _REJECT_REASONS:
            self._rejected.labels(reason=reason)
        self._restarts = Counter(
            "sgp_writer_restarts_total", "Times the supervisor restarted the writer in this run.", registry=r
        )
        self._gauges = {
            name: Gauge(name, help, multiprocess_mode=_LIVE, registry=r)
            for name, help in (
                ("sgp_writer_queue_depth", "Commands waiting for a batch."),
                ("sgp_writer_queue_capacity", "Most commands the queue holds."),
                ("sgp_writer_in_flight", "Commands in the batch being committed."),
                ("sgp_writer_last_seq", "Sequence number of the last committed event."),
                ("sgp_writer_db_bytes", "Size of the database file."),
                ("sgp_writer_wal_bytes", "Size of the write-ahead log file."),
                ("sgp_writer_uptime_seconds", "Seconds since the writer process started."),
                ("sgp_writer_crash_loop", "1 while the writer is restarting in a crash loop."),
            )
        }
        self._pushed: dict[tuple[str, str], float] = {}
        self._restart_counted = False

    def observe_batch(self, size: int, seconds: float) -> None:
        """Record one committed batch (called on the event loop, after the batch thread returned)."""
        self._batch_size.observe(size)
        self._commit_seconds.observe(seconds)

    def sync(self, health: WriterHealth) -> None:
        """Bring the counters and gauges up to the writer's current figures."""
        self._grow(self._batches, "", health.batches_total)
        self._grow(self._commands, "", health.commands_total)
        self._grow(self._busy, "", health.busy_retries_total)
        for reason, count in health.failed_commands_total.items():
            self._grow(self._failed, reason, count)
        for reason, count in health.rejected_total.items():
            self._grow(self._rejected, reason, count)
        if health.restarts and not self._restart_counted:
            # Each restarted writer adds one: the sum over the run's writers is the restart count.
            self._restarts.inc()
            self._restart_counted = True
        g = self._gauges
        g["sgp_writer_queue_depth"].set(health.queue_depth)
        g["sgp_writer_queue_capacity"].set(health.queue_capacity)
        g["sgp_writer_in_flight"].set(health.in_flight)
        g["sgp_writer_last_seq"].set(health.last_seq)
        g["sgp_writer_db_bytes"].set(health.db_bytes)
        g["sgp_writer_wal_bytes"].set(health.wal_bytes)
        g["sgp_writer_uptime_seconds"].set(health.uptime_s)
        g["sgp_writer_crash_loop"].set(float(health.crash_loop))

    def _grow(self, counter: Counter, reason: str, value: float) -> None:
        key = (counter._name, reason)
        delta = value - self._pushed.get(key, 0.0)
        if delta > 0:
            (counter.labels(reason=reason) if reason else counter).inc(delta)
            self._pushed[key] = value
