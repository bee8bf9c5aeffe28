"""prometheus_client in multiprocess mode: every process writes its metrics to files, any worker renders them.

The supervisor points `PROMETHEUS_MULTIPROC_DIR` (prometheus_client's own
switch, read by the library at import) at a directory of its own
(`metrics_dir`) before it spawns anything, so the writer and every API worker keep their values in
memory-mapped files there. `GET /metrics` on any worker reads all of them:

- counters and histograms of processes that died or were replaced stay in
  the sums, so a counter never goes down while the service runs;
- gauges are "live" ones: the supervisor removes a dead process's gauge
  files (`mark_dead`), so a gauge shows only processes that run;
- nothing needs the writer: the page is there while the writer restarts.

Without the variable (a process not started by the supervisor, tests) each
registry renders its own values.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from pathlib import Path

from prometheus_client import CollectorRegistry, generate_latest, multiprocess
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4

__all__ = [
    "CONTENT_TYPE",
    "MULTIPROC_ENV",
    "metrics_dir",
    "multiprocess_dir",
    "prepare_multiprocess_dir",
    "mark_dead",
    "render",
]

log = logging.getLogger("sgp.metrics")

# The text format generate_latest() writes (as the page always said; 1.0.0 would be the same text).
CONTENT_TYPE = CONTENT_TYPE_PLAIN_0_0_4
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


def metrics_dir(data_dir: Path) -> Path:
    """Where this service's metrics files go: off the data disk, one directory per data dir.

    prometheus_client memory-maps sparse files and grows them as series appear;
    on a full file system a write to such a page kills the process with SIGBUS
    (Linux). So not in the data dir, whose disk filling up is a fault we must
    survive: in /dev/shm (memory) where it exists, else the system temp dir.
    """
    shm = Path("/dev/shm")
    base = shm if shm.is_dir() and os.access(shm, os.W_OK | os.X_OK) else Path(tempfile.gettempdir())
    tag = hashlib.sha256(str(data_dir.resolve()).encode()).hexdigest()[:16]
    return base / f"sgp-metrics-{tag}"


def multiprocess_dir() -> Path | None:
    """The directory prometheus_client writes to in this process, or None (single-process mode).

    Read from the environment because the library itself decides from it, at import.
    """
    value = os.environ.get(MULTIPROC_ENV)
    return Path(value) if value else None


def prepare_multiprocess_dir(path: Path) -> None:
    """Empty (or create) `path` and make every process spawned from now on write its metrics there."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    for stale in path.glob("*.db"):  # a previous run's values: counters restart with the service
        try:
            stale.unlink()
        except OSError as exc:  # Windows: still mapped by a process of that run
            log.warning("could not remove stale metrics file %s: %s", stale, exc)
    os.environ[MULTIPROC_ENV] = str(path)


def mark_dead(pid: int | None) -> None:
    """Drop the live gauges of a process that ended (its counters stay in the sums)."""
    directory = multiprocess_dir()
    if directory is not None and pid is not None:
        multiprocess.mark_process_dead(pid, str(directory))


def render(registry: CollectorRegistry) -> bytes:
    """The Prometheus text page: every process's files in multiprocess mode, else `registry` alone."""
    directory = multiprocess_dir()
    if directory is None:
        return generate_latest(registry)
    merged = CollectorRegistry()
    multiprocess.MultiProcessCollector(merged, path=str(directory))
    return generate_latest(merged)
