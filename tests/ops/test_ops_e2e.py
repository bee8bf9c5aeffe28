"""Ops surface end to end on the real run_server.py: health figures, /metrics, online backup."""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.support import ROOT, ServerProcess, WriterProcess, pedido, run, wait_until

# Every field the ops contract promises in GET /health/writer.
HEALTH_FIELDS = {
    "status",
    "pid",
    "uptime_s",
    "restarts",
    "crash_loop",
    "queue_depth",
    "queue_capacity",
    "in_flight",
    "batches_total",
    "commands_total",
    "batch_size",
    "commit_ms",
    "busy_retries_total",
    "failed_commands_total",
    "rejected_total",
    "last_commit_age_s",
    "last_seq",
    "epoch",
    "db_bytes",
    "wal_bytes",
    "last_checkpoint_age_s",
    "last_optimize_age_s",
    "indexes",
}
# Requests the scrapes themselves make; they move between two scrapes by design.
SCRAPE_ROUTES = {"/health", "/metrics"}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):
    proc = ServerProcess(tmp_path_factory.mktemp("ops") / "data", workers=2).start()
    yield proc
    assert proc.stop() == 0, proc.log()


def writer_health(server: ServerProcess) -> dict:
    with server.client() as client:
        r = client.get("/health/writer")
    assert r.status_code == 200, r.text
    return r.json()


def test_health_figures_follow_the_work_done(server: ServerProcess) -> None:
    before = writer_health(server)
    assert before.keys() >= HEALTH_FIELDS
    assert before["status"] == "ok" and before["crash_loop"] is False
    assert set(before["indexes"].values()) <= {"ok", "rebuilt"}
    with server.client() as client:
        for i in range(7):
            assert client.post("/api/v1/pedidos/", json=pedido(f"saúde {i}")).status_code == 200
    after = writer_health(server)
    assert after["commands_total"] == before["commands_total"] + 7
    assert after["last_seq"] == before["last_seq"] + 7
    assert before["batches_total"] < after["batches_total"] <= before["batches_total"] + 7
    assert after["pid"] == before["pid"] and after["uptime_s"] > before["uptime_s"]
    assert after["commit_ms"]["count"] >= 7 and after["last_commit_age_s"] is not None


def scrape_each_worker(server: ServerProcess) -> dict[int, str]:
    """/metrics as answered by each worker: /health on the same connection says which one answered."""
    pages: dict[int, str] = {}
    for _ in range(100):
        with server.client() as client:  # a fresh connection may land on either worker
            worker = client.get("/health").json()["worker"]
            r = client.get("/metrics")
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain; version=0.0.4")
        pages.setdefault(worker, r.text)
        if len(pages) == server.workers:
            return pages
    raise AssertionError(f"only workers {sorted(pages)} answered")


def comparable(text: str) -> dict[tuple, float]:
    """Every counter sample, except those of the routes the scraping itself hits."""
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if family.type == "counter" and s.labels.get("route") not in SCRAPE_ROUTES:
                out[s.name, tuple(sorted(s.labels.items()))] = s.value
    return out


def test_metrics_are_the_same_whichever_worker_answers(server: ServerProcess) -> None:
    with server.client() as client:
        for i in range(5):
            assert client.post("/api/v1/pedidos/", json=pedido(f"métrica {i}")).status_code == 200
    created = ("sgp_http_requests_total", (("method", "POST"), ("route", "/pedidos"), ("status", "2xx")))

    def agreeing_pages() -> dict[int, str] | None:
        pages = scrape_each_worker(server)
        first, second = (comparable(page) for page in pages.values())
        writer_figures = first.get(("sgp_writer_commands_total", ())) == writer_health(server)["commands_total"]
        return pages if first == second and first.get(created, 0) >= 5 and writer_figures else None

    # Every process reports about once a second; the pages agree once each has reported since.
    pages = wait_until(agreeing_pages, timeout=15, interval=0.2, what="both workers render the writer's figures")
    first, second = (comparable(page) for page in pages.values())
    assert first == second
    assert first[created] >= 5
    families = {f.name: f for f in text_string_to_metric_families(next(iter(pages.values())))}
    assert families["sgp_writer_batch_size_commands"].type == "histogram"
    assert families["sgp_writer_commit_duration_seconds"].type == "histogram"
    assert families["sgp_http_request_duration_seconds"].type == "histogram"
    assert {"sgp_writer_queue_depth", "sgp_writer_wal_bytes", "sgp_feed_clients"} <= families.keys()
    assert families["sgp_workers_reporting"].samples[0].value == 2


def test_backup_during_writes_restores_every_acknowledged_write(server: ServerProcess, tmp_path: Path) -> None:
    target = tmp_path / "backup"

    async def go() -> tuple[set[int], dict]:
        acked: list[int] = []
        stop = asyncio.Event()
        async with server.async_client() as client:

            async def load(n: int) -> None:
                while not stop.is_set():
                    r = await client.post("/api/v1/pedidos/", json=pedido(f"carga {n}"))
                    assert r.status_code == 200, r.text
                    acked.append(r.json()["id"])

            writers = [asyncio.create_task(load(n)) for n in range(16)]
            for _ in range(200):  # at least 20 acknowledged writes first (bounded: 10 s)
                if len(acked) >= 20:
                    break
                await asyncio.sleep(0.05)
            before = set(acked)  # answered before the backup was asked for
            r = await client.post("/api/v1/admin/backup", json={"path": str(target)})
            await asyncio.sleep(0.3)
            stop.set()
            await asyncio.gather(*writers)
        assert r.status_code == 200, r.text
        return before, r.json()

    before, result = run(go())
    assert len(before) >= 20 and result["integrity"]["ok"] and result["path"] == str(target)
    # Restore as the README says: stop, replace the database file, start.
    restored = tmp_path / "restored"
    restored.mkdir()
    shutil.copy2(target / "sgp.sqlite3", restored / "sgp.sqlite3")
    WriterProcess(restored).start().stop()
    conn = sqlite3.connect(restored / "sgp.sqlite3")
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        ids = {row[0] for row in conn.execute("SELECT id FROM pedidos")}
    finally:
        conn.close()
    assert before <= ids


def test_backup_refuses_a_used_target(server: ServerProcess, tmp_path: Path) -> None:
    (tmp_path / "used").mkdir()
    (tmp_path / "used" / "outro.txt").write_text("não apague")
    with server.client() as client:
        r = client.post("/api/v1/admin/backup", json={"path": str(tmp_path / "used")})
        assert r.status_code == 409 and r.json()["code"] == "backup_target_exists"
        assert client.post("/api/v1/admin/backup", json={"path": 3}).status_code == 422
        default = client.post("/api/v1/admin/backup")
    assert default.status_code == 200, default.text
    assert Path(default.json()["path"]).parent == (server.data_dir / "backups").resolve()
    assert (tmp_path / "used" / "outro.txt").read_text() == "não apague"


def test_cli_backup_goes_through_the_live_writer(server: ServerProcess, tmp_path: Path) -> None:
    target = tmp_path / "pela-linha-de-comando"
    done = subprocess.run(
        [sys.executable, str(ROOT / "run_server.py"), "backup", str(target), "--data-dir", str(server.data_dir)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert (target / "sgp.sqlite3").exists() and (target / "backup.json").exists()
    assert f"backup to {target}" in server.log()  # the writer made it, not the command line


def test_integrity_check_on_demand(server: ServerProcess) -> None:
    with server.client() as client:
        r = client.get("/health/writer", params={"integrity": "1"})
    assert r.status_code == 200 and r.json()["integrity"]["ok"] is True and r.json()["status"] == "ok"
