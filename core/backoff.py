"""Restart delays for processes that die: exponential, reset once a process stayed up, with crash-loop detection."""

from __future__ import annotations

import time

__all__ = ["RestartBackoff"]


class RestartBackoff:
    """Exponential restart delay (0.5 s doubling to `max_delay_s`) that resets after `stable_after_s` of uptime."""

    def __init__(self, *, stable_after_s: float, max_delay_s: float, crash_loop_restarts: int) -> None:
        self.stable_after_s = stable_after_s
        self.max_delay_s = max_delay_s
        self.crash_loop_restarts = crash_loop_restarts
        self.delay = 0.5
        self.recent: list[float] = []

    def failed(self, uptime: float) -> float:
        """A process died after `uptime` seconds: the delay before starting it again."""
        now = time.monotonic()
        if uptime > self.stable_after_s:
            self.delay = 0.5
        self.recent = [t for t in self.recent if now - t < self.stable_after_s] + [now]
        delay, self.delay = self.delay, min(self.delay * 2, self.max_delay_s)
        return delay

    @property
    def crash_loop(self) -> bool:
        """Restarted `crash_loop_restarts` times within `stable_after_s`."""
        return len(self.recent) >= self.crash_loop_restarts
