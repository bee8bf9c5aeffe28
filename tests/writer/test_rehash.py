"""RehashPassword: stores the new hash only over the hash the login verified, and keeps sessions."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from ipc.protocol import CreateUser, RehashPassword
from writer import schema
from writer.commands import Context, Sequences, execute


def _ctx(conn: sqlite3.Connection) -> Context:
    return Context(conn=conn, now="2026-01-01T00:00:00Z", now_ts=1.0, actor=None, seqs=Sequences(0, 0))


def test_rehash_applies_only_over_the_verified_hash(tmp_path: Path) -> None:
    conn = schema.open_write_connection(tmp_path / "db.sqlite3", synchronous="normal", journal_size_limit=1 << 20)
    schema.migrate(conn)
    execute(_ctx(conn), CreateUser(username="maria", password_hash="$2b$04$old"))
    stale = execute(_ctx(conn), RehashPassword(id=1, expected_hash="$2b$04$other", password_hash="$argon2id$new"))
    assert stale.body == b'{"rehashed":false}'
    done = execute(_ctx(conn), RehashPassword(id=1, expected_hash="$2b$04$old", password_hash="$argon2id$new"))
    assert done.body == b'{"rehashed":true}'
    row = conn.execute("SELECT password_hash, tokens_valid_after FROM users WHERE id = 1").fetchone()
    assert row == ("$argon2id$new", 0)
    conn.close()
