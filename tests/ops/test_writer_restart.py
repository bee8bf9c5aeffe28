"""The supervisor: a killed writer is reported down, then restarted; a hung one is killed by the heartbeat."""

from __future__ import annotations

import os
import signal
import time

import httpx
import pytest

from tests.support import ServerProcess


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):
    proc = ServerProcess(tmp_path_factory.mktemp("restart") / "data", workers=2).start()
    yield proc
    assert proc.stop() == 0, proc.log()


def poll_health(server: ServerProcess, want: str, timeout: float) -> dict:
    """GET /health/writer on fresh connections (either worker) until `status` is `want`."""
    deadline = time.monotonic() + timeout
    seen = []
    while time.monotonic() < deadline:
        try:
            with server.client(timeout=5) as client:
                r = client.get("/health/writer")
        except httpx.HTTPError as exc:
            seen.append(repr(exc))
            continue
        body = r.json()
        seen.append(body["status"])
        if body["status"] == want:
            assert r.status_code == (503 if want == "down" else 200)
            return body
        time.sleep(0.02)
    raise AssertionError(f"no {want!r} within {timeout} s; saw {seen[-10:]}")


def test_killed_writer_is_down_then_ok_with_one_more_restart(server: ServerProcess) -> None:
    before = poll_health(server, "ok", 5)
    os.kill(server.writer_pid(), signal.SIGKILL if hasattr(signal, "SIGKILL") else signal.SIGTERM)
    killed = time.monotonic()
    poll_health(server, "down", 3)
    assert time.monotonic() - killed < 3
    after = poll_health(server, "ok", 20)
    assert after["restarts"] == before["restarts"] + 1 and after["pid"] != before["pid"]


@pytest.mark.skipif(not hasattr(signal, "SIGSTOP"), reason="needs SIGSTOP to freeze the writer")
def test_hung_writer_is_killed_by_the_heartbeat_and_restarted(server: ServerProcess) -> None:
    before = poll_health(server, "ok", 5)
    frozen = server.writer_pid()
    os.kill(frozen, signal.SIGSTOP)  # alive to the OS, silent on IPC
    try:
        poll_health(server, "down", 5)
        after = poll_health(server, "ok", 25)
    finally:
        try:
            os.kill(frozen, signal.SIGCONT)
        except ProcessLookupError:
            pass
    assert after["restarts"] == before["restarts"] + 1 and after["pid"] != frozen
    assert "has not answered heartbeats" in server.log()
    assert "it stopped answering heartbeats" in server.log()
