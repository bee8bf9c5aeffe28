"""The writer's metrics, merged with the latest snapshot of each API worker for GET /metrics.

Workers report their registry about once a second; a worker silent for
`WORKER_SILENT_S` (stopped or replaced) is dropped, so its counters leave the
page and Prometheus sees an ordinary counter reset. The writer's counters are
read from its health figures at scrape time (one source of truth with
/health/writer); only the histograms need a registry of their own.
"""

from __future__ import annotations

import logging
import time

from core.metrics import Registry, Snapshot, merge

from .stats import WriterHealth

__all__ = ["WriterMetrics", "WORKER_SILENT_S"]

log = logging.getLogger("sgp.writer.metrics")

WORKER_SILENT_S = 30.0
_BATCH_SIZE_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192)
_COMMIT_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
_REJECT_REASONS = ("queue_full", "deadline")


class WriterMetrics:
    """Batch histograms of this writer plus the last snapshot each worker sent."""

    def __init__(self) -> None:
        self._registry = Registry()
        self._batch_size = self._registry.histogram(
            "sgp_writer_batch_size_commands", "Commands committed per batch (one transaction).", _BATCH_SIZE_BUCKETS
        )
        self._commit_seconds = self._registry.histogram(
            "sgp_writer_commit_duration_seconds", "Time to run and commit one batch.", _COMMIT_BUCKETS
        )
        self._workers: dict[str, tuple[float, Snapshot]] = {}

    def observe_batch(self, size: int, seconds: float) -> None:
        """Record one committed batch (called on the event loop, after the batch thread returned)."""
        self._batch_size.observe(size)
        self._commit_seconds.observe(seconds)

    def report(self, worker: str, snapshot: Snapshot) -> None:
        """Keep `snapshot` as the latest figures of `worker`."""
        self._workers[worker] = (time.monotonic(), snapshot)

    def merged(self, health: WriterHealth) -> Snapshot:
        """Every live worker's snapshot plus the writer's own figures, as one snapshot."""
        cutoff = time.monotonic() - WORKER_SILENT_S
        for worker in [w for w, (seen, _) in self._workers.items() if seen < cutoff]:
            log.info("dropping metrics of %s: silent for %.0f s", worker, WORKER_SILENT_S)
            del self._workers[worker]
        workers = [snapshot for _, snapshot in self._workers.values()]
        # The writer's snapshots come last: "last"-aggregated gauges take their value from it.
        own = [self._registry.snapshot(), _figures(health, len(workers))]
        try:
            return merge([*workers, *own])
        except ValueError:
            # A worker of another code version (mid-upgrade): serve what is certain.
            log.warning("worker metrics do not match the writer's definitions; serving the writer's only")
            return merge(own)


def _figures(health: WriterHealth, workers: int) -> Snapshot:
    """The writer's counters and gauges, built fresh from its health figures."""
    reg = Registry()
    reg.counter("sgp_writer_batches_total", "Batches committed.").inc(health.batches_total)
    reg.counter("sgp_writer_commands_total", "Commands committed.").inc(health.commands_total)
    reg.counter("sgp_writer_busy_retries_total", "Retries of BEGIN/COMMIT while another process held the lock.").inc(
        health.busy_retries_total
    )
    failed = reg.counter("sgp_writer_failed_commands_total", "Commands that did not commit, by reason.", ("reason",))
    for reason, count in health.failed_commands_total.items():
        failed.labels(reason=reason).inc(count)
    rejected = reg.counter(
        "sgp_writer_rejected_total", "Commands refused before running (queue full, deadline passed).", ("reason",)
    )
    for reason in _REJECT_REASONS:
        rejected.labels(reason=reason)
    for reason, count in health.rejected_total.items():
        rejected.labels(reason=reason).inc(count)
    reg.counter("sgp_writer_restarts_total", "Times the supervisor restarted the writer in this run.").inc(
        health.restarts
    )

    def gauge(name: str, help: str, value: float) -> None:
        reg.gauge(name, help, aggregate="last").set(value)

    gauge("sgp_writer_queue_depth", "Commands waiting for a batch.", health.queue_depth)
    gauge("sgp_writer_queue_capacity", "Most commands the queue holds.", health.queue_capacity)
    gauge("sgp_writer_in_flight", "Commands in the batch being committed.", health.in_flight)
    gauge("sgp_writer_last_seq", "Sequence number of the last committed event.", health.last_seq)
    gauge("sgp_writer_db_bytes", "Size of the database file.", health.db_bytes)
    gauge("sgp_writer_wal_bytes", "Size of the write-ahead log file.", health.wal_bytes)
    gauge("sgp_writer_uptime_seconds", "Seconds since the writer process started.", health.uptime_s)
    gauge("sgp_writer_crash_loop", "1 while the writer is restarting in a crash loop.", float(health.crash_loop))
    gauge("sgp_workers_reporting", "API workers whose figures are included.", workers)
    return reg.snapshot()
