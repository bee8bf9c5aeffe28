"""The writer's IPC channel runs nothing for a peer without the secret; the secrets on disk are owner-only."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import stat
import time
from contextlib import closing
from pathlib import Path

import msgspec
import pytest

from core.domain import decode_create
from ipc.framing import frame, read_address_file
from ipc.protocol import Call, CreatePedido, Hello, Ping
from tests.support import ServerProcess, WriterProcess, run

posix_only = pytest.mark.skipif(os.name != "posix", reason="mode bits are POSIX; on Windows the data dir's ACL applies")


def call(n: int) -> Call:
    body = msgspec.json.encode({"cliente": f"Intruso {n}", "data_entrada": "2026-11-29"})
    return Call(id=n, command=CreatePedido(data=decode_create(body)), deadline=time.time() + 30)


def test_calls_without_a_valid_hello_are_dropped_and_write_nothing(tmp_path: Path) -> None:
    writer = WriterProcess(tmp_path / "data").start()
    try:
        address = read_address_file(writer.settings.writer_address_file)
        assert address is not None and address.host == "127.0.0.1"
        good_hello = frame(Hello(secret="test-secret", version=1, client="intruso"))
        attempts = [
            frame(call(1)),  # a well-formed command, no hello at all
            frame(call(2)) + good_hello + frame(call(3)),  # a command first, the right hello after it
            frame(Hello(secret="wrong", version=1, client="x")) + frame(call(4)),  # the wrong secret
            frame(Hello(secret="", version=1, client="x")) + frame(call(5)),  # an empty secret
            frame(Hello(secret="test-secret"[:-1], version=1, client="x")) + frame(call(6)),  # a prefix of it
        ]

        async def attempt(payload: bytes) -> bytes:
            reader, w = await asyncio.open_connection(address.host, address.port)
            w.write(payload)
            await w.drain()
            try:
                return await asyncio.wait_for(reader.read(), 10)
            finally:
                w.close()

        async def go() -> tuple[list[bytes], int]:
            answers = await asyncio.gather(*(attempt(p) for p in attempts))
            client = writer.client()
            await client.start()
            await client.wait_connected(5)
            pong = await client.request(Ping())  # after the attempts: anything they queued ran by now
            legit = await client.call(call(7).command)
            await client.close()
            return answers, pong.status + legit.status

        answers, statuses = run(go())
        assert answers == [b""] * len(attempts)  # closed without a word
        assert statuses == 400
    finally:
        writer.stop()
    with closing(sqlite3.connect(writer.settings.db_path)) as conn:
        assert conn.execute("SELECT cliente FROM pedidos").fetchall() == [("Intruso 7",)]
        assert conn.execute("SELECT count(*) FROM events").fetchone()[0] == 1


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@posix_only
def test_ipc_address_token_secret_and_admin_password_are_owner_only(tmp_path: Path) -> None:
    data = tmp_path / "data"
    # No admin password and no token secret given: both are generated on first start and written to files.
    server = ServerProcess(data, workers=1, env={"SGP_ADMIN_PASSWORD": "", "SGP_TOKEN_SECRET": "", "SGP_IPC": "unix"})
    server.login = lambda username, _: ServerProcess.login(  # type: ignore[method-assign]
        server, username, (data / "admin-password.txt").read_text().strip()
    )
    server.start()
    try:
        secrets = [data / "writer.json", data / "token.key", data / "admin-password.txt", data / "writer.sock"]
        assert {p.name: mode(p) for p in secrets} == {p.name: 0o600 for p in secrets}
        # A restarted writer publishes a new address (and the same run secret) just as privately.
        old = server.writer_pid()
        os.kill(old, getattr(signal, "SIGKILL", signal.SIGTERM))
        deadline = time.monotonic() + 20
        while server.writer_pid() == old:
            assert time.monotonic() < deadline, "the writer was not restarted"
            time.sleep(0.05)
        assert mode(data / "writer.json") == 0o600 and mode(data / "writer.sock") == 0o600
        assert not list(data.glob("writer.json.*.tmp"))  # no readable leftovers of the atomic write
    finally:
        assert server.stop() == 0, server.log()
