"""Disk full on the data dir: writes fail with a clear 507, reads go on, writes resume once space is back.

The data dir is a small tmpfs mounted for the test, filled with a ballast file;
mounting needs Linux and root, elsewhere the test is skipped.
"""

from __future__ import annotations

import errno
import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest

from tests.support import ServerProcess, pedido

pytestmark = pytest.mark.timeout(90)


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """An 8 MiB tmpfs under tmp_path, unmounted afterwards."""
    if sys.platform != "linux":
        pytest.skip("mounting a tmpfs needs Linux")
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=8m,mode=0700", "tmpfs", str(mount_point)], capture_output=True, text=True
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip() or done.returncode}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", str(mount_point)], check=False)


def fill(path: Path) -> int:
    """Write zeros until the file system is full; returns the bytes written."""
    written = 0
    with open(path, "wb", buffering=0) as f:
        try:
            while True:
                written += f.write(b"\0" * 65536)
        except OSError as exc:
            assert exc.errno == errno.ENOSPC, exc
    return written


def test_disk_full_refuses_writes_keeps_reads_and_recovers(small_disk: Path) -> None:
    # The data dir is the mount itself, so the server log (written beside it) stays off the small disk.
    server = ServerProcess(small_disk, workers=2, env={"SGP_WRITE_DEADLINE_S": "2.0"}).start()
    # Big enough that the WAL must grow, whatever room it kept from earlier commits.
    big = pedido("Grande", items=[{"tipo_producao": "painel", "blob": "x" * 15_000} for _ in range(40)])
    try:
        with server.client() as client:
            before = client.post("/api/v1/pedidos/", json=pedido("Antes do disco cheio"))
            assert before.status_code == 200
            assert fill(small_disk / "ballast") > 0
            refused = client.post("/api/v1/pedidos/", json=big)
            # SQLite reports SQLITE_FULL; the writer classifies it (writer/batcher.py _abort_for) as storage_full.
            assert refused.status_code == 507 and refused.json()["code"] == "storage_full", refused.text
            assert refused.headers.get("retry-after") and refused.json()["detail"]
            # Reads keep working while no write fits.
            assert client.get(f"/api/v1/pedidos/{before.json()['id']}").json()["cliente"] == "Antes do disco cheio"
            assert client.get("/api/v1/pedidos/").status_code == 200
            assert client.get("/health").status_code == 200

            (small_disk / "ballast").unlink()
            deadline = time.monotonic() + 20
            while (after := client.post("/api/v1/pedidos/", json=big)).status_code != 200:
                assert after.status_code in (503, 507) and time.monotonic() < deadline, after.text
                time.sleep(0.2)
            assert client.post("/api/v1/pedidos/", json=pedido("Depois")).status_code == 200
            health = client.get("/health/writer", params={"integrity": 1}).json()
            assert health["integrity"]["ok"], health
        with closing(sqlite3.connect(f"{(small_disk / 'sgp.sqlite3').as_uri()}?mode=ro", uri=True)) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
            clientes = [row[0] for row in conn.execute("SELECT cliente FROM pedidos ORDER BY id")]
        # The refused write left nothing behind; everything acknowledged is there.
        assert clientes == ["Antes do disco cheio", "Grande", "Depois"]
    finally:
        assert server.stop() == 0, server.log()
