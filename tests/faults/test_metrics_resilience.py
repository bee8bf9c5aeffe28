"""/metrics counters never go down when a worker is replaced, and the page is served while the writer is stuck."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.support import ServerProcess, pedido, wait_until

pytestmark = [
    pytest.mark.timeout(120),
    pytest.mark.skipif(os.name != "posix", reason="SIGSTOP/SIGKILL of a chosen process"),
]


def counters(text: str) -> dict[tuple, float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        if family.type in ("counter", "histogram")
        for s in family.samples
    }


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    server = ServerProcess(tmp_path / "data", workers=2).start()
    yield server
    server.stop()


def workers(server: ServerProcess) -> set[int]:
    """The pids of the workers answering now (a fresh connection may land on any of them)."""
    seen: set[int] = set()
    for _ in range(40):
        with server.client(timeout=10) as client:
            seen.add(client.get("/health").json()["worker"])
        if len(seen) == server.workers:
            break
    return seen


def test_counters_survive_a_replaced_worker_and_the_page_needs_no_writer(server: ServerProcess) -> None:
    with server.client() as client:
        for i in range(6):
            assert client.post("/pedidos", json=pedido(f"m{i}")).status_code == 200
    created = ("sgp_http_requests_total", (("method", "POST"), ("route", "/pedidos"), ("status", "2xx")))
    with server.client() as client:
        # The workers push their figures about once a second; wait for all six.
        before = wait_until(
            lambda: (page := counters(client.get("/metrics").text)).get(created, 0) >= 6 and page,
            what="six POSTs counted",
        )
    assert before[created] == 6
    old = workers(server)
    victim = next(iter(old))
    os.kill(victim, signal.SIGKILL)
    wait_until(lambda: workers(server) - old, timeout=30, interval=0.2, what="the worker was replaced")
    time.sleep(1.0)
    with server.client() as client:
        for _ in range(10):  # whichever worker answers
            after = counters(client.get("/metrics").text)
            lower = {k: (v, after.get(k)) for k, v in before.items() if after.get(k, 0) < v}
            assert not lower, f"counters went down after a worker was replaced: {lower}"
        writer = psutil.Process(server.writer_pid())
        writer.suspend()  # a writer that answers nothing
        try:
            for _ in range(4):
                r = client.get("/metrics", timeout=10)
                assert r.status_code == 200 and counters(r.text)[created] >= 6
        finally:
            writer.resume()
