"""A dead or wedged batcher and a failing IPC link callback end their process; the IPC client buffer is bounded."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import time
from pathlib import Path
from typing import Any

import msgspec
import pytest

from core.domain import decode_create
from core.metrics import Family, Snapshot
from core.settings import Settings
from ipc import probe
from ipc.client import WriterClient
from ipc.errors import WriterClientError, WriterOverloaded
from ipc.framing import Address, read_message, write_address_file, write_message
from ipc.protocol import CreatePedido, Hello, ReportMetrics, Welcome
from tests.support import WriterProcess, run, wait_until
from writer import server as writer_server
from writer.batcher import Batcher
from writer.process import run_writer

pytestmark = pytest.mark.timeout(90)


def _create(n: int = 1) -> CreatePedido:
    return CreatePedido(data=decode_create(msgspec.json.encode({"cliente": f"C{n}", "data_entrada": "2026-11-29"})))


def _raising_batch(self: Batcher, calls: list[Any]) -> Any:
    raise RuntimeError("injected batcher failure")


def _wedged_batch(self: Batcher, calls: list[Any]) -> Any:
    time.sleep(60)
    raise RuntimeError("unreachable in the test")


def _faulty_writer(kind: str, settings: Settings, ready: Any, stop: Any) -> None:
    """The real writer with its batch step replaced by a fault (runs in a spawned process)."""
    Batcher._run_batch = _raising_batch if kind == "raise" else _wedged_batch  # type: ignore[method-assign]
    run_writer(settings, "test-secret", ready, stop)


def _start(tmp_path: Path, kind: str) -> tuple[Any, Settings]:
    settings = Settings.load({"data_dir": tmp_path / "data", "write_deadline_s": 1.0}, environ={})
    ctx = multiprocessing.get_context("spawn")
    ready, stop = ctx.Event(), ctx.Event()
    process = ctx.Process(target=_faulty_writer, args=(kind, settings, ready, stop), daemon=True)
    process.start()
    assert ready.wait(30)
    return process, settings


async def _one_call(settings: Settings) -> BaseException | None:
    client = WriterClient(settings.writer_address_file, deadline_s=1.0)
    await client.start()
    try:
        assert await client.wait_connected(10)
        await client.call(_create())
    except WriterClientError as exc:
        return exc
    finally:
        await client.close()
    return None


def test_an_exception_in_the_batcher_ends_the_writer(tmp_path: Path) -> None:
    process, settings = _start(tmp_path, "raise")
    try:
        assert isinstance(run(_one_call(settings)), WriterClientError)
        process.join(15)
        assert process.exitcode is not None, "the writer went on without its batcher"
        assert process.exitcode == writer_server.FATAL_EXIT_CODE  # the supervisor restarts it like any dead writer
    finally:
        process.kill()


def test_a_wedged_batcher_stops_answering_the_heartbeat(tmp_path: Path) -> None:
    process, settings = _start(tmp_path, "wedge")
    try:
        assert probe.ping(settings.writer_address_file, timeout=2) is not None
        run(_one_call(settings))  # its batch never finishes
        wait_until(
            lambda: probe.ping(settings.writer_address_file, timeout=2) is None,
            timeout=20,
            interval=0.5,
            what="the heartbeat kept answering for a wedged batcher",
        )
    finally:
        process.kill()
        process.join(10)


def test_an_exception_in_a_link_callback_is_fatal(tmp_path: Path) -> None:
    writer = WriterProcess(tmp_path / "data").start()
    failures: list[BaseException] = []

    def broken_feed(_: Any) -> None:
        raise ValueError("bug in the feed hub")

    async def go() -> None:
        listener = writer.client(on_welcome=lambda w: w.last_seq, on_events=broken_feed, on_fatal=failures.append)
        other = writer.client()
        await listener.start()
        await other.start()
        try:
            assert await listener.wait_connected(10) and await other.wait_connected(10)
            await asyncio.sleep(0.2)  # the subscription is in place
            await other.call(_create())
            for _ in range(100):
                if failures:
                    break
                await asyncio.sleep(0.05)
        finally:
            await listener.close()
            await other.close()

    try:
        run(go())
    finally:
        writer.stop()
    assert len(failures) == 1 and isinstance(failures[0], ValueError)


def test_the_ipc_client_buffer_stays_bounded_when_the_writer_stops_reading(tmp_path: Path) -> None:
    limit = 256 * 1024
    big = ReportMetrics(worker="w", snapshot=Snapshot(families=(Family(name="x", kind="counter", help="h" * 100_000),)))
    frame_bytes = len(msgspec.msgpack.encode(big)) + 64

    async def go() -> tuple[int, list[BaseException | None]]:
        async def deaf_writer(reader: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
            hello = await read_message(reader)
            assert isinstance(hello, Hello)
            write_message(w, Welcome(version=1, epoch="e", last_seq=0, writer_pid=os.getpid()))
            await w.drain()
            await asyncio.sleep(3600)  # never reads again

        server = await asyncio.start_server(deaf_writer, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        address_file = tmp_path / "writer.json"
        write_address_file(address_file, Address("tcp", "127.0.0.1", port, "", "s", os.getpid()))
        client = WriterClient(address_file, connections=1, deadline_s=1.0, buffer_bytes=limit)
        await client.start()
        assert await client.wait_connected(5)
        link = client._links[0]
        high = 0

        async def one() -> BaseException | None:
            nonlocal high
            try:
                await client.call(big)
            except WriterClientError as exc:
                return exc
            finally:
                assert link.writer is not None
                high = max(high, link.writer.transport.get_write_buffer_size())
            return None

        outcomes = list(await asyncio.gather(*(one() for _ in range(300))))  # 30 MB offered at once
        await client.close()
        server.close()
        return high, outcomes

    high, outcomes = run(go())
    assert high <= limit + frame_bytes, f"{high} bytes buffered"
    assert all(isinstance(o, WriterOverloaded) for o in outcomes)
