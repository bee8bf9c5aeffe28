"""The supervisor backs off before replacing a crashing worker and watches a starting writer without blocking."""

from __future__ import annotations

import sys
import time
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest

import supervisor as supervisor_module
from core.settings import Settings
from supervisor import Supervisor, _Slot

pytestmark = pytest.mark.timeout(60)


def _slow_writer(settings: Settings, secret: str, ready: Any, stop: Any, **_: Any) -> None:
    """A writer that becomes ready only once the test creates `go` in the data dir."""
    go = settings.data_dir / "go"
    while not go.exists() and not stop.is_set():
        time.sleep(0.05)
    ready.set()
    stop.wait(30)


def test_a_worker_dying_at_start_is_replaced_with_growing_delays() -> None:
    sup = Supervisor(Settings.load(environ={}))
    spawned: list[float] = []

    def spawn() -> Any:
        spawned.append(time.monotonic())
        process = sup.ctx.Process(target=sys.exit, args=(3,))  # as a worker failing at import
        process.start()
        return process

    slot = _Slot(spawn())
    until = time.monotonic() + 5
    while time.monotonic() < until:
        slot.check("API worker", spawn)
        time.sleep(0.05)
    if slot.process is not None:
        slot.process.join(5)
    gaps = [b - a for a, b in pairwise(spawned)]
    # Back-off 0.5, 1, 2 s...: at most 4 spawns in 5 s (every loop turn would be ~25).
    assert 2 <= len(spawned) <= 4, gaps
    assert all(later > earlier for earlier, later in pairwise(gaps)), gaps
    assert slot.backoff.delay >= 2.0


def test_a_starting_writer_does_not_block_the_supervisor(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(supervisor_module, "run_writer", _slow_writer)
    data = tmp_path / "data"
    data.mkdir()
    sup = Supervisor(Settings.load({"data_dir": data}, environ={}))
    sup._writer_due = time.monotonic()
    try:
        sup._check_writer()  # launches it and returns: the writer is not ready yet
        assert sup.writer is not None and sup.writer.is_alive()
        assert sup._writer_ready is not None and not sup._writer_ready.is_set()
        sup._check_heartbeat()  # no heartbeat for a starting writer (it has no address yet)
        assert not sup._writer_hung
        (data / "go").touch()
        deadline = time.monotonic() + 20
        while sup._writer_ready is not None:
            assert time.monotonic() < deadline, "the writer's readiness was never noticed"
            sup._check_writer()
            time.sleep(0.05)
        assert sup.writer.is_alive() and sup.writer_restarts == 1
    finally:
        sup._stop_writer()
