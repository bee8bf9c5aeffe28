"""Shell commands that write (create or reset a user), with or without a running server.

When a writer answers at the address file, the command goes to it like any
write. Otherwise (server stopped) this process becomes the writer for one
transaction, through the same handlers.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from typing import Any

import msgspec

from core.settings import Settings

from . import schema
from ipc.client import WriterClient
from ipc.errors import CommandError, WriterClientError
from .handlers import Context, Sequences, execute
from ipc.protocol import Command, CreateUser, UpdateUser
from ipc.framing import read_address_file

__all__ = ["run_command", "upsert_user"]


async def _live(settings: Settings, command: Command) -> bytes | None:
    if read_address_file(settings.writer_address_file) is None:
        return None
    client = WriterClient(settings.writer_address_file, connections=1, deadline_s=settings.write_deadline_s, name="cli")
    await client.start()
    try:
        if not await client.wait_connected(2.0):
            return None
        return (await client.call(command)).body
    except WriterClientError:
        return None
    finally:
        await client.close()


def _offline(settings: Settings, command: Command) -> bytes:
    conn = schema.open_write_connection(
        settings.db_path, synchronous=settings.synchronous, journal_size_limit=settings.journal_size_limit_bytes
    )
    try:
        schema.migrate(conn)
        schema.ensure_indexes(conn)
        conn.execute("PRAGMA busy_timeout=5000")  # a server starting meanwhile holds the lock briefly
        conn.execute("BEGIN IMMEDIATE")
        try:
            last_seq = conn.execute("SELECT coalesce(max(seq), 0) FROM events").fetchone()[0]
            now_ts = time.time()
            now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now_ts))
            ctx = Context(conn=conn, now=now, now_ts=now_ts, actor=None, seqs=Sequences(last_seq, 0))
            outcome = execute(ctx, command)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return outcome.body
    finally:
        conn.close()


def run_command(settings: Settings, command: Command) -> bytes:
    """Run one write through the live writer, or directly when no server is running."""
    body = asyncio.run(_live(settings, command))
    return body if body is not None else _offline(settings, command)


def _user_id(settings: Settings, username: str) -> int | None:
    if not settings.db_path.exists():
        return None
    conn = sqlite3.connect(f"{settings.db_path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        row = conn.execute("SELECT id FROM users WHERE username_key = ?", (username.casefold(),)).fetchone()
    except sqlite3.OperationalError:  # no users table yet: a database never started
        return None
    finally:
        conn.close()
    return None if row is None else row[0]


def upsert_user(
    settings: Settings, username: str, password_hash: str, *, is_admin: bool, setor: str | None
) -> dict[str, Any]:
    """Create `username`, or reset its password (and reactivate it) when it exists."""
    user_id = _user_id(settings, username)
    command: Command
    if user_id is None:
        command = CreateUser(username=username, password_hash=password_hash, is_admin=is_admin, setor=setor)
    else:
        command = UpdateUser(
            id=user_id,
            password_hash=password_hash,
            active=True,
            is_admin=True if is_admin else msgspec.UNSET,
            setor=setor if setor is not None else msgspec.UNSET,
        )
    try:
        answer: dict[str, Any] = msgspec.json.decode(run_command(settings, command))
        return answer
    except CommandError as exc:
        raise SystemExit(f"error: {exc.message}") from None
