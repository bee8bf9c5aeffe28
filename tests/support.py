"""Test helpers: a real writer process and the real run_server.py on a free loopback port."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any, TypeVar

import httpx

from core.settings import Settings
from ipc.client import WriterClient
from writer.process import run_writer

ROOT = Path(__file__).resolve().parent.parent
T = TypeVar("T")
ADMIN_PASSWORD = "test-admin-password"


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(predicate: Callable[[], T], timeout: float = 15.0, interval: float = 0.05, what: str = "") -> T:
    """Poll `predicate` until it returns something truthy (returned) or fail after `timeout` seconds.

    Use it instead of a fixed sleep: the test goes on as soon as the condition holds, and a slow
    machine gets the whole timeout instead of a guess.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"not true after {timeout} s: {what or predicate}")
        time.sleep(interval)


def run(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to completion (no pytest-asyncio: one loop per test)."""
    return asyncio.run(coro)


class WriterProcess:
    """The writer process on its own, spawned as run_server.py spawns it."""

    def __init__(self, data_dir: Path, **overrides: Any) -> None:
        self.settings = Settings.load({"data_dir": data_dir, **overrides}, environ={})
        self.ctx = multiprocessing.get_context("spawn")
        self.process: Any = None
        self.stop_event = self.ctx.Event()

    def start(self) -> WriterProcess:
        ready = self.ctx.Event()
        self.stop_event.clear()
        self.process = self.ctx.Process(
            target=run_writer, args=(self.settings, "test-secret", ready, self.stop_event), daemon=True
        )
        self.process.start()
        if not ready.wait(30):
            self.process.kill()
            raise RuntimeError("writer did not start")
        return self

    def stop(self) -> None:
        if self.process is not None and self.process.is_alive():
            self.stop_event.set()
            self.process.join(30)
            if self.process.is_alive():
                self.process.kill()

    def kill(self) -> None:
        self.process.kill()
        self.process.join(10)

    def client(self, **kwargs: Any) -> WriterClient:
        return WriterClient(self.settings.writer_address_file, deadline_s=self.settings.write_deadline_s, **kwargs)


class ServerProcess:
    """`python run_server.py` as a subprocess on a free loopback port."""

    def __init__(self, data_dir: Path, *, workers: int = 2, env: dict[str, str] | None = None) -> None:
        self.port = free_port()
        self.data_dir = data_dir
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.workers = workers
        self.env = {**os.environ, "SGP_ADMIN_PASSWORD": ADMIN_PASSWORD, **(env or {})}
        self.token = ""
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path = data_dir.parent / f"server-{self.port}.log"

    def start(self, timeout: float = 60.0) -> ServerProcess:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._log = open(self.log_path, "wb")  # noqa: SIM115 - stays open for the process's life; stop() closes it
        flags = subprocess.CREATE_NEW_PROCESS_GROUP if os.name == "nt" else 0
        self.process = subprocess.Popen(
            [
                sys.executable,
                str(ROOT / "run_server.py"),
                "--bind",
                f"127.0.0.1:{self.port}",
                "--data-dir",
                str(self.data_dir),
                "--workers",
                str(self.workers),
            ],
            cwd=ROOT,
            env=self.env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            creationflags=flags,
        )
        deadline = time.monotonic() + timeout
        seen: set[int] = set()
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"run_server.py exited early:\n{self.log()}")
            try:
                # Fresh connections until every worker has answered once: all are listening.
                r = httpx.get(self.base_url + "/health", timeout=1)
                if r.status_code == 200:
                    seen.add(r.json()["worker"])
                    if len(seen) >= self.workers:
                        self.token = self.login("admin", ADMIN_PASSWORD)
                        return self
                    continue
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"run_server.py did not answer within {timeout} s:\n{self.log()}")

    def login(self, username: str, password: str) -> str:
        """A bearer token for `username`."""
        r = httpx.post(self.base_url + "/auth/login", json={"username": username, "password": password}, timeout=10)
        r.raise_for_status()
        return r.json()["access_token"]

    @property
    def headers(self) -> dict[str, str]:
        """The admin's Authorization header."""
        return {"Authorization": f"Bearer {self.token}"}

    def client(self, token: str | None = None, **kwargs: Any) -> httpx.Client:
        """An httpx client on this server, logged in as admin (or with `token`)."""
        headers = {"Authorization": f"Bearer {token or self.token}"}
        return httpx.Client(base_url=self.base_url, headers=headers, timeout=kwargs.pop("timeout", 30), **kwargs)

    def async_client(self, token: str | None = None, **kwargs: Any) -> httpx.AsyncClient:
        """An httpx async client on this server, logged in as admin (or with `token`)."""
        headers = {"Authorization": f"Bearer {token or self.token}"}
        return httpx.AsyncClient(base_url=self.base_url, headers=headers, timeout=kwargs.pop("timeout", 30), **kwargs)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self, timeout: float = 40.0) -> int | None:
        if self.process is None:
            return None
        if self.process.poll() is None:
            if os.name == "nt":
                self.process.send_signal(signal.CTRL_BREAK_EVENT)  # type: ignore[attr-defined]
            else:
                self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        self._log.close()
        return self.process.returncode

    def writer_pid(self) -> int:
        import msgspec

        return msgspec.json.decode((self.data_dir / "writer.json").read_bytes())["pid"]


def app_routes(*, aliases: bool = False) -> list[tuple[str, str]]:
    """(method, path) of every HTTP route of the app, enumerated from the app itself.

    Every router is mounted at the root and again under `/api/v1` (api/paths.py);
    the aliases are left out unless asked for, since they are the same routes.
    """
    from api.app import create_app

    app = create_app(Settings.load(environ={}))
    found: list[tuple[str, str]] = []

    def add(path: str, methods: Any) -> None:
        for method in methods or ():
            if method != "HEAD":
                found.append((method, path))

    for route in app.routes:
        contexts = getattr(route, "effective_route_contexts", None)
        if contexts is not None:  # FastAPI >= 0.16x wraps included routers
            for ctx in contexts():
                add(ctx.path, ctx.methods)
        else:
            add(getattr(route, "path", ""), getattr(route, "methods", None))
    if not aliases:
        found = [(m, p) for m, p in found if not p.startswith("/api/v1/")]
    return sorted(set(found))


def pedido(cliente: str = "Cliente Teste", **fields: Any) -> dict[str, Any]:
    """A minimal valid pedido body."""
    return {"cliente": cliente, "data_entrada": "2026-11-29", **fields}
