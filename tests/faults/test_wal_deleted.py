"""Deleting the WAL file under the running writer loses nothing acknowledged, and the service heals itself."""

from __future__ import annotations

import os
import signal
import sqlite3
import time
from contextlib import closing
from pathlib import Path

import pytest

from tests.support import ServerProcess, pedido

pytestmark = [
    pytest.mark.timeout(120),
    pytest.mark.skipif(os.name != "posix", reason="Windows refuses to delete a file SQLite holds open"),
]


def wait_for_new_writer(server: ServerProcess, old: int, within: float = 30) -> int:
    deadline = time.monotonic() + within
    while True:
        try:
            pid = server.writer_pid()
        except (FileNotFoundError, ValueError):
            pid = old
        if pid != old:
            return pid
        assert time.monotonic() < deadline, f"the writer was not restarted:\n{server.log()[-3000:]}"
        time.sleep(0.1)


def test_a_deleted_wal_is_checkpointed_and_replaced(tmp_path: Path) -> None:
    data = tmp_path / "data"
    server = ServerProcess(data, workers=1).start()
    try:
        with server.client() as client:
            ids = [client.post("/pedidos", json=pedido(f"antes {i}")).json()["id"] for i in range(20)]
            wal = data / "sgp.sqlite3-wal"
            assert wal.stat().st_size > 0  # the acknowledged writes are (also) in the WAL
            old = server.writer_pid()
            wal.unlink()
            new = wait_for_new_writer(server, old)  # it noticed, checkpointed and restarted
            # A crash now (or a power cut) must not take the writes acknowledged before the deletion.
            os.kill(new, signal.SIGKILL)
            wait_for_new_writer(server, new)
            deadline = time.monotonic() + 20
            while (r := client.post("/pedidos", json=pedido("depois"))).status_code != 200:
                assert time.monotonic() < deadline, r.text
                time.sleep(0.2)
            assert wal.exists()  # a fresh WAL at its path again
            for pedido_id in ids:  # on the worker's reader connections, renewed for the new WAL
                got = client.get(f"/pedidos/{pedido_id}")
                assert got.status_code == 200, got.text
            listed = client.get("/pedidos", params={"limit": 100})
            assert listed.status_code == 200 and int(listed.headers["x-total-count"]) == 21
    finally:
        assert server.stop() == 0, server.log()
    with closing(sqlite3.connect(data / "sgp.sqlite3")) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        clientes = [row[0] for row in conn.execute("SELECT cliente FROM pedidos ORDER BY id")]
    assert clientes == [f"antes {i}" for i in range(20)] + ["depois"]
