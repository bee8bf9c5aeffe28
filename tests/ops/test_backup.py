"""writer/backup.py (a consistent copy while another connection keeps committing, target rules, media, integrity) and the CLI around it (cli/backup.py)."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from ipc.errors import CommandError
from tests.support import ROOT, WriterProcess
from writer import backup
from writer.backup import check_target, copy_media, integrity_check, make_backup


def wal_db(path: Path, rows: int) -> sqlite3.Connection:
    """A WAL database with an `events` log, as the writer keeps it."""
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE events (seq INTEGER PRIMARY KEY, payload BLOB NOT NULL)")
    conn.execute("BEGIN")
    conn.executemany("INSERT INTO events (payload) VALUES (randomblob(400))", [()] * rows)
    conn.execute("COMMIT")
    return conn


def test_backup_under_constant_commits_is_one_snapshot(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Tiny steps: without the pinned snapshot every commit would restart the copy, forever.
    monkeypatch.setattr(backup, "_PAGES_PER_STEP", 8)
    db = tmp_path / "sgp.sqlite3"
    writer = wal_db(db, 5000)
    committed = [5000]
    stop = threading.Event()

    def keep_writing() -> None:
        while not stop.is_set():
            writer.execute("INSERT INTO events (payload) VALUES (randomblob(400))")
            committed[0] += 1

    thread = threading.Thread(target=keep_writing)
    thread.start()
    try:
        acknowledged = committed[0]
        result = make_backup(db, tmp_path / "media", tmp_path / "backup")
    finally:
        stop.set()
        thread.join()
    assert committed[0] > acknowledged  # commits went on while the copy was made
    copy = sqlite3.connect(tmp_path / "backup" / "sgp.sqlite3")
    count, last = copy.execute("SELECT count(*), max(seq) FROM events").fetchone()
    assert copy.execute("PRAGMA journal_mode").fetchone()[0] == "delete"  # one self-contained file
    copy.close()
    assert count == last == result.last_seq >= acknowledged  # contiguous: one instant, nothing torn
    assert result.integrity.ok and (tmp_path / "backup" / "backup.json").exists()
    assert not (tmp_path / "backup" / "sgp.sqlite3.partial").exists()


def test_target_must_be_new_or_an_empty_dir(tmp_path: Path) -> None:
    check_target(tmp_path / "new")
    (tmp_path / "empty").mkdir()
    check_target(tmp_path / "empty")
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("x")
    (tmp_path / "file").write_text("x")
    for name in ("full", "file"):
        with pytest.raises(CommandError) as info:
            check_target(tmp_path / name)
        assert info.value.code == "backup_target_exists" and info.value.field == "path"


def test_default_targets_never_collide(tmp_path: Path) -> None:
    first = backup.default_target(tmp_path)
    first.mkdir(parents=True)
    second = backup.default_target(tmp_path)
    assert second != first and second.parent == tmp_path.resolve() / "backups"
    assert backup.resolve_target(tmp_path, "nightly") == tmp_path.resolve() / "backups" / "nightly"
    assert backup.resolve_target(tmp_path, str(tmp_path / "abs")) == tmp_path / "abs"


def test_media_are_hard_linked_and_unfinished_uploads_skipped(tmp_path: Path) -> None:
    media = tmp_path / "media"
    (media / "ab" / "cd").mkdir(parents=True)
    (media / "tmp").mkdir()
    stored = media / "ab" / "cd" / ("abcd" + "0" * 60)
    stored.write_bytes(b"imagem")
    (media / "tmp" / "upload.part").write_bytes(b"metade")
    files, linked, copied = copy_media(media, tmp_path / "out")
    assert (files, linked, copied) == (1, 1, 0)
    out = tmp_path / "out" / "ab" / "cd" / stored.name
    assert out.read_bytes() == b"imagem" and os.stat(out).st_ino == os.stat(stored).st_ino
    assert not (tmp_path / "out" / "tmp").exists()


def test_integrity_check_reports_damage(tmp_path: Path) -> None:
    db = tmp_path / "damaged.sqlite3"
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
    conn.execute("CREATE INDEX t_v ON t (v)")
    conn.executemany("INSERT INTO t (v) VALUES (?)", [(f"valor {i:06d}",) for i in range(5000)])
    conn.commit()
    conn.close()
    assert integrity_check(db).ok
    with open(db, "r+b") as f:  # scribble over a page in the middle of the file
        f.seek(db.stat().st_size // 2)
        f.write(os.urandom(4096))
    result = integrity_check(db)
    assert not result.ok and result.errors


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "run_server.py"), *args], cwd=ROOT, capture_output=True, text=True, timeout=60
    )


def test_cli_backup_without_a_server(tmp_path: Path) -> None:
    data = tmp_path / "data"
    WriterProcess(data).start().stop()  # a real database, then no server
    target = tmp_path / "copia"
    done = run_cli("backup", str(target), "--data-dir", str(data))
    assert done.returncode == 0, done.stderr
    assert "copying the database directly" in done.stderr
    assert integrity_check(target / "sgp.sqlite3").ok
    again = run_cli("backup", str(target), "--data-dir", str(data))
    assert again.returncode == 1 and "backup_target_exists" in again.stderr
