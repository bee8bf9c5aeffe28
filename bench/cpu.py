"""Machine-wide CPU readings shared by the benchmarks: how busy the box was, and how much of that was not us."""

from __future__ import annotations

import time

import psutil

__all__ = ["machine_busy_s", "other_cores", "wait_for_idle"]


def machine_busy_s() -> float:
    """Busy CPU seconds of all cores since boot, counted as bench/mixed.py's Meter counts them."""
    times = psutil.cpu_times()
    # Linux counts guest time inside user time as well; iowait is idle for our purpose.
    total = sum(times) - getattr(times, "guest", 0.0) - getattr(times, "guest_nice", 0.0)
    return total - times.idle - getattr(times, "iowait", 0.0)


def other_cores(busy_s: float, ours_s: float, seconds: float) -> float:
    """Cores used by processes outside the benchmark during a window (tests, builds, other tenants' load)."""
    return round(max(0.0, busy_s - ours_s) / seconds, 2) if seconds > 0 else 0.0


def wait_for_idle(seconds: float, max_busy_cores: float = 0.25, sample_s: float = 0.5) -> float:
    """Wait up to `seconds` for a `sample_s` window with under `max_busy_cores` busy; returns the last reading."""
    deadline = time.monotonic() + seconds
    while True:
        before = machine_busy_s()
        time.sleep(sample_s)
        busy = (machine_busy_s() - before) / sample_s
        if busy < max_busy_cores or time.monotonic() >= deadline:
            return round(busy, 2)
