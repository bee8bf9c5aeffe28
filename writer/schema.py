"""The database schema, owned by the writer: the write connection, running migrations, checking indexes."""

from __future__ import annotations

import logging
import os
import secrets
import sqlite3
import stat
from pathlib import Path

from .migrations import MIGRATIONS, REQUIRED_INDEXES, SCHEMA_VERSION

# MIGRATIONS, REQUIRED_INDEXES and SCHEMA_VERSION live in writer/migrations.py; re-exported here.
__all__ = [
    "db_files_size",
    "open_write_connection",
    "migrate",
    "ensure_indexes",
    "MIGRATIONS",
    "REQUIRED_INDEXES",
    "SCHEMA_VERSION",
]

log = logging.getLogger("sgp.writer.schema")


def open_write_connection(path: Path, *, synchronous: str, journal_size_limit: int) -> sqlite3.Connection:
    """Open the one read-write connection, in WAL mode, autocommit (we issue BEGIN ourselves)."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    _owner_only(path)
    # timeout=0: busy waits are ours (bounded backoff with jitter), not the driver's.
    conn = sqlite3.connect(path, isolation_level=None, timeout=0, check_same_thread=False)
    mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
    if mode.lower() != "wal":
        raise RuntimeError(f"could not switch {path} to WAL mode (got {mode!r})")
    conn.execute(f"PRAGMA synchronous={'FULL' if synchronous == 'full' else 'NORMAL'}")
    conn.execute(f"PRAGMA journal_size_limit={int(journal_size_limit)}")
    conn.execute("PRAGMA cache_size=-64000")
    conn.execute("PRAGMA temp_store=MEMORY")
    conn.execute("PRAGMA mmap_size=268435456")
    conn.execute("PRAGMA foreign_keys=ON")
    return conn


def _owner_only(path: Path) -> None:
    """Create the database file 0600 and tighten an existing one (and its WAL and SHM) to 0600.

    SQLite creates the -wal and -shm files with the database file's mode, so a
    private database file keeps them private too. On Windows mode bits do not
    apply: the data dir's ACL does (docs/hardening.md).
    """
    if os.name == "nt":
        return
    os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
    for file in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        try:
            if stat.S_IMODE(file.stat().st_mode) & 0o077:
                os.chmod(file, 0o600)
        except FileNotFoundError:
            pass


def migrate(conn: sqlite3.Connection) -> int:
    """Run pending migrations in one transaction; returns the schema version."""
    current = int(conn.execute("PRAGMA user_version").fetchone()[0])
    if current > SCHEMA_VERSION:
        raise RuntimeError(
            f"database schema version {current} is newer than this release ({SCHEMA_VERSION}); "
            "upgrade the service or restore a matching backup"
        )
    if current == SCHEMA_VERSION:
        return current
    conn.execute("BEGIN IMMEDIATE")
    try:
        for number in range(current, SCHEMA_VERSION):
            log.info("applying migration %d", number + 1)
            for statement in _statements(MIGRATIONS[number]):
                conn.execute(statement)
        conn.execute("INSERT OR IGNORE INTO meta (key, value) VALUES ('epoch', ?)", (secrets.token_hex(8),))
        conn.execute("INSERT OR IGNORE INTO meta (key, value) VALUES ('numero_counter', '0')")
        # Indexes of tables a migration just created are part of that migration, so an
        # upgraded database reports them "ok" rather than "rebuilt".
        present = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
        for name, ddl in REQUIRED_INDEXES.items():
            if name not in present:
                conn.execute(ddl)
        conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return SCHEMA_VERSION


def ensure_indexes(conn: sqlite3.Connection) -> dict[str, str]:
    """Create every required index that is missing; returns name -> "ok" | "rebuilt"."""
    present = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    report: dict[str, str] = {}
    for name, ddl in REQUIRED_INDEXES.items():
        if name in present:
            report[name] = "ok"
            continue
        log.warning("required index %s is missing; building it", name)
        conn.execute(ddl)
        report[name] = "rebuilt"
    return report


def _statements(script: str) -> list[str]:
    """Split a migration script on `;` (our scripts hold no string literals with `;`).

    A `CREATE TRIGGER ... BEGIN ...; ...; END` stays one statement.
    """
    lines = [line.split("--", 1)[0] for line in script.splitlines()]
    statements: list[str] = []
    trigger: list[str] = []
    for piece in (s.strip() for s in "\n".join(lines).split(";")):
        if trigger:
            trigger.append(piece)
            if piece.upper() == "END":
                statements.append(";\n".join(trigger))
                trigger = []
        elif piece.upper().startswith("CREATE TRIGGER"):
            trigger = [piece]
        elif piece:
            statements.append(piece)
    return statements


def db_files_size(db_path: Path) -> tuple[int, int]:
    """Size of the database file and of its WAL, in bytes."""

    def size(p: Path) -> int:
        try:
            return p.stat().st_size
        except FileNotFoundError:
            return 0

    return size(db_path), size(db_path.with_name(db_path.name + "-wal"))
