"""In-memory throttling of failed logins, per API worker process."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from typing import NamedTuple

__all__ = ["LoginLimiter"]

# Beyond this many doublings the delay is long past any sane cap; stopping
# here keeps base_delay * 2**excess from overflowing a float.
_MAX_DOUBLINGS = 64


class _Failures(NamedTuple):
    failures: int  # not `count`, which would shadow tuple.count
    last: float


class LoginLimiter:
    """Throttle failed logins by username (casefolded) and by client address.

    After ``max_failures`` failures on a key within ``window_seconds`` of each
    other, the next attempt must wait ``base_delay * 2**(failures -
    max_failures)`` seconds after the last failure, capped at ``max_delay``.
    A key is forgotten once ``window_seconds`` pass without a failure; at most
    ``max_keys`` keys are kept, the least recently failed evicted first.
    Thread-safe, so sync endpoints running in a thread pool may share one.
    """

    def __init__(
        self,
        max_failures: int = 5,
        window_seconds: float = 300,
        base_delay: float = 0.5,
        max_delay: float = 10,
        *,
        max_keys: int = 10_000,
    ) -> None:
        if max_failures < 1 or max_keys < 1:
            raise ValueError("max_failures and max_keys must be at least 1")
        if window_seconds <= 0 or base_delay <= 0 or max_delay < base_delay:
            raise ValueError("need window_seconds > 0 and 0 < base_delay <= max_delay")
        self.max_failures = max_failures
        self.window_seconds = window_seconds
        self.base_delay = base_delay
        self.max_delay = max_delay
        self.max_keys = max_keys
        # Ordered by last failure, oldest first, so pruning and eviction pop from the front.
        self._failures: OrderedDict[tuple[str, str], _Failures] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        """Number of keys currently tracked."""
        return len(self._failures)

    def delay_for(self, username: str, address: str | None, now: float | None = None) -> float:
        """Seconds the caller must wait before this login attempt; 0 when it may proceed."""
        now = time.monotonic() if now is None else now
        with self._lock:
            return max(self._remaining(key, now) for key in _keys(username, address))

    def record_failure(self, username: str, address: str | None, now: float | None = None) -> None:
        """Count a failed login against both the username and the address."""
        now = time.monotonic() if now is None else now
        with self._lock:
            self._prune(now)
            for key in _keys(username, address):
                previous = self._failures.pop(key, None)
                count = 1 if previous is None or self._expired(previous, now) else previous.failures + 1
                self._failures[key] = _Failures(count, now)
            while len(self._failures) > self.max_keys:
                self._failures.popitem(last=False)

    def record_success(self, username: str, address: str | None) -> None:
        """Forget the username's failures after a successful login."""
        # The address key stays: logging in to one account an attacker owns
        # must not reset the throttle on the guesses made from that address.
        with self._lock:
            self._failures.pop(_username_key(username), None)

    def forgive(self, username: str, address: str | None) -> None:
        """Take back one counted attempt of the keys (callers that count attempts when they start)."""
        with self._lock:
            for key in _keys(username, address):
                previous = self._failures.get(key)
                if previous is None:
                    continue
                if previous.failures <= 1:
                    del self._failures[key]
                else:
                    self._failures[key] = _Failures(previous.failures - 1, previous.last)

    def _expired(self, failures: _Failures, now: float) -> bool:
        return now - failures.last >= self.window_seconds

    def _remaining(self, key: tuple[str, str], now: float) -> float:
        failures = self._failures.get(key)
        if failures is None or self._expired(failures, now):
            return 0.0
        excess = failures.failures - self.max_failures
        if excess < 0:
            return 0.0
        delay = min(self.max_delay, self.base_delay * 2.0 ** min(excess, _MAX_DOUBLINGS))
        return max(0.0, failures.last + delay - now)

    def _prune(self, now: float) -> None:
        while self._failures:
            oldest = next(iter(self._failures.values()))
            if not self._expired(oldest, now):
                break
            self._failures.popitem(last=False)


def _username_key(username: str) -> tuple[str, str]:
    return ("user", username.casefold())


def _keys(username: str, address: str | None) -> list[tuple[str, str]]:
    keys = [_username_key(username)]
    if address:
        keys.append(("addr", address))
    return keys
