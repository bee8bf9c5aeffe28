"""One write from the command line, with or without a running server.

When a writer answers at the address file, the command goes to it like any
write. Otherwise (server stopped) this process becomes the writer for one
transaction, through the writer's own handlers: the same validation and the
same feed event as a live write.
"""

from __future__ import annotations

import asyncio
import time

from core.settings import Settings
from ipc.client import WriterClient
from ipc.errors import WriterClientError
from ipc.framing import read_address_file
from ipc.protocol import Command
from writer import schema
from writer.commands import Context, Sequences, execute

__all__ = ["run_command"]


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
            now_ts = time.time()
            now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now_ts))
            ctx = Context(conn=conn, now=now, now_ts=now_ts, actor=None, seqs=Sequences.load(conn))
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
