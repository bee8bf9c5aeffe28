"""The writer's health figures, as answered to GetStats (and served by GET /health/writer)."""

from __future__ import annotations

import os
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, Protocol

import msgspec

from core.settings import Settings

from .schema import db_files_size

if TYPE_CHECKING:
    from .batcher import Batcher
    from .maintenance import Maintenance

__all__ = ["WriterHealth", "Summary", "StatsSource", "writer_stats", "summarize", "STABLE_AFTER_S"]

# A writer up this long is stable: the supervisor resets its restart backoff,
# and a crash loop it was started in is over.
STABLE_AFTER_S = 60.0


class Summary(msgspec.Struct):
    """p50 / p99 / max over the recent window."""

    p50: float
    p99: float
    max: float
    count: int


class WriterHealth(msgspec.Struct):
    """Figures of the writer process; field names are part of the ops contract."""

    pid: int
    uptime_s: float
    restarts: int
    crash_loop: bool
    queue_depth: int
    queue_capacity: int
    in_flight: int
    batches_total: int
    commands_total: int
    batch_size: Summary
    commit_ms: Summary
    busy_retries_total: int
    failed_commands_total: dict[str, int]
    rejected_total: dict[str, int]
    last_commit_age_s: float | None
    last_seq: int
    epoch: str
    db_bytes: int
    wal_bytes: int
    last_checkpoint_age_s: float | None
    last_optimize_age_s: float | None
    indexes: dict[str, str]


class StatsSource(Protocol):
    """What the figures are read from: the writer server satisfies it, and stats needs nothing else of it."""

    settings: Settings
    batcher: Batcher | None
    maintenance: Maintenance | None
    started_at: float
    restarts: int
    crash_loop: bool
    epoch: str
    indexes: dict[str, str]


def summarize(values: Iterable[float]) -> Summary:
    """Nearest-rank p50 and p99 of a window of values."""
    ordered = sorted(values)
    if not ordered:
        return Summary(0.0, 0.0, 0.0, 0)

    def rank(q: float) -> float:
        return float(ordered[min(len(ordered) - 1, max(0, round(q * len(ordered) + 0.5) - 1))])

    return Summary(p50=rank(0.5), p99=rank(0.99), max=float(ordered[-1]), count=len(ordered))


def _age(then: float | None, now: float) -> float | None:
    return None if then is None else round(now - then, 3)


async def writer_stats(server: StatsSource) -> WriterHealth:
    """Collect the writer's figures (cheap: no SQL, two stat calls)."""
    assert server.batcher is not None and server.maintenance is not None
    batcher, stats, maint = server.batcher, server.batcher.stats, server.maintenance
    now = time.time()
    db_bytes, wal_bytes = db_files_size(server.settings.db_path)
    return WriterHealth(
        pid=os.getpid(),
        uptime_s=round(now - server.started_at, 3),
        restarts=server.restarts,
        crash_loop=server.crash_loop and now - server.started_at < STABLE_AFTER_S,
        queue_depth=batcher.depth,
        queue_capacity=batcher.capacity,
        in_flight=batcher.in_flight,
        batches_total=stats.batches_total,
        commands_total=stats.commands_total,
        batch_size=summarize(stats.batch_sizes),
        commit_ms=summarize(stats.commit_ms),
        busy_retries_total=stats.busy_retries_total,
        failed_commands_total=dict(stats.failed_commands_total),
        rejected_total=dict(stats.rejected_total),
        last_commit_age_s=_age(stats.last_commit_at, now),
        last_seq=batcher.last_seq,
        epoch=server.epoch,
        db_bytes=db_bytes,
        wal_bytes=wal_bytes,
        last_checkpoint_age_s=_age(maint.last_checkpoint_at, now),
        last_optimize_age_s=_age(maint.last_optimize_at, now),
        indexes=server.indexes,
    )
