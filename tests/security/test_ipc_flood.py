"""A flood of IPC connections without the secret costs the writer a bounded number of descriptors and time."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import psutil
import pytest

from ipc.framing import read_address_file
from ipc.protocol import Ping
from tests.support import WriterProcess, run

pytestmark = pytest.mark.timeout(90)


def test_unauthenticated_ipc_connections_are_bounded_and_timed_out(tmp_path: Path) -> None:
    writer = WriterProcess(tmp_path / "data", ipc_max_pending=32, ipc_handshake_timeout_s=1.0).start()
    sockets: list[socket.socket] = []
    try:
        address = read_address_file(writer.settings.writer_address_file)
        assert address is not None
        proc = psutil.Process(writer.process.pid)
        baseline = proc.num_fds()
        for _ in range(1100):  # what once left the writer with "Too many open files"
            sockets.append(socket.create_connection((address.host, address.port), timeout=5))
        time.sleep(0.5)  # let the writer accept them all
        held = proc.num_fds() - baseline
        assert held <= 32 + 16, f"the writer holds {held} descriptors for unauthenticated peers"

        async def legit() -> int:
            client = writer.client()
            await client.start()
            try:
                assert await client.wait_connected(10)
                return (await client.request(Ping())).status
            finally:
                await client.close()

        assert run(legit()) == 200  # a worker with the secret still gets in while the flood is held
        for s in sockets:
            s.close()
        sockets = []
        time.sleep(2.5)  # the flood's pending handshakes time out
        # A silent peer is dropped once the handshake time (1 s here) is up, not before.
        silent = socket.create_connection((address.host, address.port), timeout=10)
        sockets.append(silent)
        started = time.monotonic()
        assert silent.recv(1) == b""
        assert 0.5 < time.monotonic() - started < 5
    finally:
        for s in sockets:
            s.close()
        writer.stop()
