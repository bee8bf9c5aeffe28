"""Private data dir and database files, safe serving of uploads, the integrity check's gate, no stale writer.json."""

from __future__ import annotations

import os
import signal
import sqlite3
import stat
import threading
import time
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import httpx
import psutil
import pytest

from tests.support import ServerProcess

pytestmark = pytest.mark.timeout(120)

posix_only = pytest.mark.skipif(os.name != "posix", reason="mode bits are POSIX; on Windows the data dir's ACL applies")

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 600
PDF_WITH_JS = (
    b"%PDF-1.7\n1 0 obj << /Type /Catalog /OpenAction << /S /JavaScript /JS (app.alert(1)) >> >>\nendobj\n" + b" " * 600
)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    data = tmp_path_factory.mktemp("files") / "data"
    data.mkdir(mode=0o755)
    os.chmod(data, 0o755)  # as an operator's mkdir would leave it
    # A database large enough that an integrity check takes a while.
    with closing(sqlite3.connect(data / "sgp.sqlite3")) as conn:
        conn.execute("CREATE TABLE filler (k TEXT, v BLOB)")
        conn.execute("CREATE INDEX filler_k ON filler (k)")
        conn.executemany("INSERT INTO filler VALUES (?, randomblob(300))", ((f"{i:09d}x" * 4,) for i in range(150_000)))
        conn.commit()
    server = ServerProcess(data, workers=1).start()
    yield server
    server.stop()


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@posix_only
def test_data_dir_and_database_files_are_owner_only(server: ServerProcess) -> None:
    with server.client() as client:
        assert client.post("/pedidos", json={"cliente": "Modo", "data_entrada": "2026-11-29"}).status_code == 200
    data = server.data_dir
    assert mode(data) == 0o700
    files = [data / "sgp.sqlite3", data / "sgp.sqlite3-wal", data / "sgp.sqlite3-shm"]
    assert {p.name: mode(p) for p in files} == {p.name: 0o600 for p in files}


def test_uploads_are_sandboxed_and_non_images_download(server: ServerProcess) -> None:
    with server.client() as client:
        for body, mime, disposition in ((PNG, "image/png", "inline"), (PDF_WITH_JS, "application/pdf", "attachment")):
            up = client.post("/pedidos/order-items/upload-image", content=body, headers={"Content-Type": mime})
            assert up.status_code == 200, up.text
            r = client.get(up.json()["url"])
            assert r.status_code == 200 and r.content == body
            assert r.headers["content-disposition"].split(";")[0] == disposition
            assert r.headers["content-security-policy"].startswith("sandbox")
            assert r.headers["x-content-type-options"] == "nosniff"


def test_integrity_check_needs_an_admin_and_runs_one_at_a_time(server: ServerProcess) -> None:
    with server.client() as admin:
        assert admin.post("/users", json={"username": "operador", "password": "senha-forte-1"}).status_code in (
            200,
            201,
        )
    user = server.login("operador", "senha-forte-1")
    with server.client(token=user) as client:
        assert client.get("/health/writer").status_code == 200
        refused = client.get("/health/writer", params={"integrity": "1"})
        assert refused.status_code == 403 and refused.json()["code"] == "forbidden"
    results: list[httpx.Response] = []

    def check() -> None:
        with server.client(timeout=60) as admin:
            results.append(admin.get("/health/writer", params={"integrity": "1"}))

    first = threading.Thread(target=check)
    first.start()
    with server.client(timeout=60) as admin:
        for _ in range(50):  # until one finds another check running
            time.sleep(0.05)
            results.append(admin.get("/health/writer", params={"integrity": "1"}))
            if results[-1].status_code == 409:
                break
    first.join(60)
    busy = [r for r in results if r.status_code == 409]
    done = [r for r in results if r.status_code == 200]
    assert busy and busy[0].json()["code"] == "integrity_in_progress"
    assert done and all(r.json()["integrity"]["ok"] is True for r in done)
    assert len(busy) + len(done) == len(results)


def test_no_writer_json_is_left_after_a_fault_and_a_stop(server: ServerProcess) -> None:
    pid = server.writer_pid()
    os.kill(pid, getattr(signal, "SIGKILL", signal.SIGTERM))
    try:
        psutil.Process(pid).wait(10)
    except psutil.NoSuchProcess:
        pass
    assert server.stop() == 0, server.log()
    assert not (server.data_dir / "writer.json").exists()
