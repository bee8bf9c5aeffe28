"""The writer process on its own: group commit, savepoints, busy retries, idempotency, IPC hygiene."""

from __future__ import annotations

import asyncio
import sqlite3
import struct
import threading
import time
from pathlib import Path

import msgspec
import pytest

from core.domain import decode_create
from ipc.errors import CommandError, WriterOverloaded
from ipc.framing import frame, read_address_file
from ipc.protocol import CreatePedido, GetStats, Hello, PatchPedido, Ping
from tests.support import WriterProcess, run


def create(cliente: str = "Cliente", **fields) -> CreatePedido:
    body = {"cliente": cliente, "data_entrada": "2026-11-29", **fields}
    return CreatePedido(data=decode_create(msgspec.json.encode(body)))


@pytest.fixture
def writer(tmp_path: Path):
    proc = WriterProcess(tmp_path / "data").start()
    yield proc
    proc.stop()


def hold_write_lock(db: Path, seconds: float) -> threading.Thread:
    """Another process's lock, as a backup tool would hold it."""
    locked = threading.Event()

    def hold() -> None:
        conn = sqlite3.connect(db, isolation_level=None, timeout=10)
        conn.execute("BEGIN IMMEDIATE")
        locked.set()
        time.sleep(seconds)
        conn.execute("COMMIT")
        conn.close()

    thread = threading.Thread(target=hold)
    thread.start()
    locked.wait(5)
    return thread


async def stats(client) -> dict:
    return msgspec.json.decode((await client.request(GetStats())).body)


def test_numero_is_sequential_and_padded(writer: WriterProcess) -> None:
    async def go() -> list[str]:
        client = writer.client()
        await client.start()
        await client.wait_connected(5)
        replies = await asyncio.gather(*(client.call(create(f"C{i}")) for i in range(50)))
        await client.close()
        return [msgspec.json.decode(r.body)["numero"] for r in replies]

    numeros = run(go())
    assert sorted(numeros) == [f"{i:010d}" for i in range(1, 51)]


def test_failing_command_rolls_back_alone_in_its_batch(writer: WriterProcess) -> None:
    db = writer.settings.db_path

    async def go():
        client = writer.client()
        await client.start()
        await client.wait_connected(5)
        await client.call(create("first", numero="777"))
        # Hold the lock so every command below lands in one batch.
        locker = hold_write_lock(db, 0.5)
        # The first call takes the lock wait alone; the six queued behind it share the next batch.
        blocker = asyncio.create_task(client.call(create("ok0")))
        await asyncio.sleep(0.1)
        calls = [create(f"ok{i}") for i in range(1, 5)] + [create("dup", numero="777")] + [create("ok5")]
        results = await asyncio.gather(blocker, *(client.call(c) for c in calls), return_exceptions=True)
        locker.join()
        figures = await stats(client)
        await client.close()
        return results, figures

    results, figures = run(go())
    failures = [r for r in results if isinstance(r, Exception)]
    assert len(failures) == 1 and isinstance(failures[0], CommandError)
    assert failures[0].code == "numero_conflict" and failures[0].field == "numero"
    assert figures["batch_size"]["max"] >= 6
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT count(*) FROM pedidos").fetchone()[0] == 7
    assert conn.execute("SELECT count(*) FROM events").fetchone()[0] == 7
    # Numbers stay consecutive: the rolled-back command consumed none, and the explicit
    # 777 did not move the automatic sequence (a typo must not make every later OS jump).
    numeros = sorted(r[0] for r in conn.execute("SELECT numero FROM pedidos WHERE numero != '0000000777'"))
    assert numeros == [f"{i:010d}" for i in range(1, 7)]


def test_writes_wait_out_an_external_lock(writer: WriterProcess) -> None:
    async def go():
        client = writer.client()
        await client.start()
        await client.wait_connected(5)
        locker = hold_write_lock(writer.settings.db_path, 1.0)
        started = time.monotonic()
        replies = await asyncio.gather(*(client.call(create(f"L{i}")) for i in range(20)))
        elapsed = time.monotonic() - started
        locker.join()
        figures = await stats(client)
        await client.close()
        return replies, elapsed, figures

    replies, elapsed, figures = run(go())
    assert len(replies) == 20 and all(r.status == 200 for r in replies)
    assert elapsed >= 0.8
    assert figures["busy_retries_total"] > 0


def test_deadline_passes_while_locked(tmp_path: Path) -> None:
    proc = WriterProcess(tmp_path / "data", write_deadline_s=0.5).start()
    try:

        async def go():
            client = proc.client()
            await client.start()
            await client.wait_connected(5)
            locker = hold_write_lock(proc.settings.db_path, 2.0)
            results = await asyncio.gather(*(client.call(create("x")) for _ in range(3)), return_exceptions=True)
            locker.join()
            after = await client.call(create("after"))
            await client.close()
            return results, after

        results, after = run(go())
        assert all(isinstance(r, (CommandError, WriterOverloaded)) for r in results)
        assert all(getattr(r, "code", "deadline") in {"busy", "deadline"} for r in results)
        assert after.status == 200
        conn = sqlite3.connect(proc.settings.db_path)
        assert conn.execute("SELECT cliente FROM pedidos").fetchall() == [("after",)]
    finally:
        proc.stop()


def test_idempotency_key_returns_first_answer(writer: WriterProcess) -> None:
    async def go():
        client = writer.client()
        await client.start()
        await client.wait_connected(5)
        cmd = create("idem")
        first = await client.call(cmd, idempotency_key="k1", request_hash="h1")
        again = await client.call(cmd, idempotency_key="k1", request_hash="h1")
        concurrent = await asyncio.gather(
            *(client.call(cmd, idempotency_key="k2", request_hash="h2") for _ in range(10))
        )
        with pytest.raises(CommandError) as reused:
            await client.call(create("other"), idempotency_key="k1", request_hash="h-other")
        await client.close()
        return first, again, concurrent, reused.value

    first, again, concurrent, reused = run(go())
    assert first.body == again.body and first.seq == again.seq
    assert len({r.body for r in concurrent}) == 1
    assert reused.code == "idempotency_key_reused"
    conn = sqlite3.connect(writer.settings.db_path)
    assert conn.execute("SELECT count(*) FROM pedidos").fetchone()[0] == 2


def test_patch_missing_and_stale_version(writer: WriterProcess) -> None:
    from core.domain import decode_patch

    async def go():
        client = writer.client()
        await client.start()
        await client.wait_connected(5)
        created = msgspec.json.decode((await client.call(create("v"))).body)
        patch = decode_patch(b'{"observacao": "x"}')
        errors = []
        for cmd in (PatchPedido(id=999, patch=patch), PatchPedido(id=created["id"], patch=patch, if_version=7)):
            try:
                await client.call(cmd)
            except CommandError as exc:
                errors.append(exc.code)
        ok = await client.call(PatchPedido(id=created["id"], patch=patch, if_version=1))
        await client.close()
        return errors, msgspec.json.decode(ok.body)

    errors, patched = run(go())
    assert errors == ["not_found", "version_conflict"]
    assert patched["version"] == 2 and patched["observacao"] == "x"


def test_queue_full_is_refused_not_queued(tmp_path: Path) -> None:
    proc = WriterProcess(tmp_path / "data", queue_capacity=5, max_batch=1).start()
    try:

        async def go():
            client = proc.client()
            await client.start()
            await client.wait_connected(5)
            locker = hold_write_lock(proc.settings.db_path, 1.0)
            results = await asyncio.gather(*(client.call(create("q")) for _ in range(30)), return_exceptions=True)
            locker.join()
            await client.close()
            return results

        results = run(go())
        overloaded = [r for r in results if isinstance(r, WriterOverloaded)]
        ok = [r for r in results if not isinstance(r, Exception)]
        assert overloaded and ok and len(overloaded) + len(ok) == 30
        conn = sqlite3.connect(proc.settings.db_path)
        assert conn.execute("SELECT count(*) FROM pedidos").fetchone()[0] == len(ok)
    finally:
        proc.stop()


def test_ipc_drops_bad_peers_and_keeps_good_ones(writer: WriterProcess) -> None:
    address = read_address_file(writer.settings.writer_address_file)
    assert address is not None

    async def attempt(payload: bytes) -> bytes:
        reader, w = await asyncio.open_connection(address.host, address.port)
        w.write(payload)
        await w.drain()
        try:
            data = await asyncio.wait_for(reader.read(), 6)
        finally:
            w.close()
        return data

    async def go():
        client = writer.client()
        await client.start()
        await client.wait_connected(5)
        bad = [
            frame(Hello(secret="wrong", version=1, client="x")),
            struct.pack(">I", 100) + b"short",  # truncated
            b"GET / HTTP/1.1\r\n\r\n",  # garbage
            struct.pack(">I", 2**31) + b"x",  # absurd length
            frame(Ping.__new__(Ping)) if False else msgspec.msgpack.encode({"type": "call"}),  # no length prefix
        ]
        answers = await asyncio.gather(*(attempt(p) for p in bad))
        pong = await client.request(Ping())
        await client.close()
        return answers, pong

    answers, pong = run(go())
    assert all(a == b"" for a in answers), answers  # closed without a word
    assert pong.status == 200


def test_schema_indexes_rebuilt_when_missing(tmp_path: Path) -> None:
    proc = WriterProcess(tmp_path / "data").start()
    proc.stop()
    conn = sqlite3.connect(proc.settings.db_path)
    conn.execute("DROP INDEX idx_pedidos_status_data")
    conn.commit()
    conn.close()
    proc.start()
    try:

        async def go():
            client = proc.client()
            await client.start()
            await client.wait_connected(5)
            figures = await stats(client)
            await client.close()
            return figures

        figures = run(go())
        assert figures["indexes"]["idx_pedidos_status_data"] == "rebuilt"
        assert figures["indexes"]["idx_pedidos_status_criacao"] == "ok"
    finally:
        proc.stop()


@pytest.mark.skipif(not hasattr(asyncio, "open_unix_connection") or __import__("os").name == "nt", reason="POSIX only")
def test_unix_socket_transport(tmp_path: Path) -> None:
    import os
    import stat

    proc = WriterProcess(tmp_path / "data", ipc="unix").start()
    try:
        address = read_address_file(proc.settings.writer_address_file)
        assert address is not None and address.transport == "unix"
        assert stat.S_IMODE(os.stat(address.path).st_mode) == 0o600

        async def go():
            client = proc.client()
            await client.start()
            await client.wait_connected(5)
            reply = await client.call(create("via unix"))
            await client.close()
            return reply

        assert run(go()).status == 200
    finally:
        proc.stop()


def test_calls_made_together_leave_in_one_write_and_each_gets_its_own_answer(writer: WriterProcess) -> None:
    async def go() -> tuple[list[str], list[int]]:
        client = writer.client()
        await client.start()
        try:
            assert await client.wait_connected(5.0)
            link = next(link for link in client._links if link.up)
            assert link.writer is not None
            transport = link.writer.transport
            writes: list[int] = []
            original = transport.write

            def counting(data: bytes) -> None:
                writes.append(len(data))
                original(data)

            transport.write = counting  # type: ignore[method-assign]
            # Started in one loop iteration: their frames are coalesced per link.
            oks = await asyncio.gather(*(client.call(create(f"Junto {i}")) for i in range(40)))
            return [msgspec.json.decode(ok.body)["cliente"] for ok in oks], writes
        finally:
            await client.close()

    clientes, writes = run(go())
    assert clientes == [f"Junto {i}" for i in range(40)]
    assert 1 <= len(writes) <= 2  # this link carried about half of the 40 calls
