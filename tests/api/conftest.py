"""Fixtures of the API contract tests: one real run_server.py (2 workers) shared by the contract modules.

Starting run_server.py (supervisor, writer, two workers) is most of what a contract module
costs, so every module of this directory shares one server per pytest process (per xdist
worker): each test makes its own data (unique names, ids it created) and checks changes as
before/after differences. A module that needs a database nobody else writes to (exact
totals over all pedidos) or settings of its own says so with `pytestmark = pytest.mark.own_server`,
or defines its own `server` fixture.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing

import httpx
import pytest

from tests.support import ServerProcess


@pytest.fixture(scope="session")
def shared_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    proc = ServerProcess(tmp_path_factory.mktemp("api") / "data", workers=2).start()
    yield proc
    assert proc.stop() == 0, proc.log()


@pytest.fixture(scope="module")
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    if request.node.get_closest_marker("own_server") is None:
        yield request.getfixturevalue("shared_server")
        return
    proc = ServerProcess(tmp_path_factory.mktemp("api") / "data", workers=2).start()
    yield proc
    assert proc.stop() == 0, proc.log()


@pytest.fixture(scope="module")
def client(server: ServerProcess) -> Iterator[httpx.Client]:
    with server.client() as http:
        yield http


def read_only(server: ServerProcess) -> sqlite3.Connection:
    """A read-only connection to the server's database, as the readers open it."""
    return sqlite3.connect(f"{(server.data_dir / 'sgp.sqlite3').resolve().as_uri()}?mode=ro", uri=True)


def db_state(server: ServerProcess) -> tuple[int, int, int]:
    """(pedidos, max event seq, idempotency keys): any write changes at least one of them."""
    with closing(read_only(server)) as conn:
        return (
            conn.execute("SELECT count(*) FROM pedidos").fetchone()[0],
            conn.execute("SELECT coalesce(max(seq), 0) FROM events").fetchone()[0],
            conn.execute("SELECT count(*) FROM idempotency").fetchone()[0],
        )
