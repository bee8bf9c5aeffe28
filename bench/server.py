"""Run the real service (`run_server.py`) as a subprocess: start, wait until healthy, measure its CPU, stop."""

from __future__ import annotations

import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType

import psutil

__all__ = ["REPO_ROOT", "BenchServer", "ServerError", "free_port"]

REPO_ROOT = Path(__file__).resolve().parent.parent
_WINDOWS = os.name == "nt"


class ServerError(RuntimeError):
    """The service did not start, or died; the message ends with the tail of its log."""


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that was free on `host` a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


class BenchServer:
    """One `run_server.py` on a free loopback port with a fresh data directory."""

    def __init__(
        self,
        *,
        workers: int,
        env: Mapping[str, str] | None = None,
        extra_args: Sequence[str] = (),
        host: str = "127.0.0.1",
        keep_data: bool = False,
    ) -> None:
        self.host = host
        self.port = free_port(host)
        self.workers = workers
        self.keep_data = keep_data
        self.root = Path(tempfile.mkdtemp(prefix="sgp-bench-"))
        self.data_dir = self.root / "data"
        self.log_path = self.root / "server.log"
        self._env = {**os.environ, **(env or {})}
        self._args = [
            sys.executable, str(REPO_ROOT / "run_server.py"),
            "--bind", f"{host}:{self.port}", "--data-dir", str(self.data_dir), "--workers", str(workers),
            *extra_args,
        ]  # fmt: skip
        self._proc: subprocess.Popen[bytes] | None = None
        self._tree: dict[int, psutil.Process] = {}

    @property
    def pid(self) -> int:
        """Process id of the supervisor."""
        if self._proc is None:
            raise ServerError("server not started")
        return self._proc.pid

    def start(self, timeout: float = 60.0) -> None:
        """Start the supervisor and return once `GET /health` answers 200."""
        # Own process group / session: a Ctrl-C meant for the benchmark must not stop the
        # server behind its back, and CTRL_BREAK_EVENT needs a group of its own on Windows.
        if _WINDOWS:
            options = {"creationflags": subprocess.CREATE_NEW_PROCESS_GROUP}  # type: ignore[attr-defined]
        else:
            options = {"start_new_session": True}
        with open(self.log_path, "wb") as log:
            self._proc = subprocess.Popen(
                self._args, cwd=REPO_ROOT, env=self._env, stdin=subprocess.DEVNULL,
                stdout=log, stderr=subprocess.STDOUT, **options,
            )  # fmt: skip
        deadline = time.monotonic() + timeout
        seen: set[int] = set()
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                message = f"run_server.py exited with code {self._proc.returncode}\n{self.log_tail()}"
                self.stop()
                raise ServerError(message)
            # A fresh connection per poll until every worker has answered: a worker still
            # starting when the clients connect would leave all their keep-alive
            # connections to the others for the whole phase (and halve the ceiling).
            worker = self._health_worker()
            if worker is not None:
                seen.add(worker)
                if len(seen) >= self.workers:
                    return
                continue
            time.sleep(0.2)
        message = (
            f"GET /health did not answer 200 from {self.workers} workers within {timeout:.0f} s\n{self.log_tail()}"
        )
        self.stop()
        raise ServerError(message)

    def _health_worker(self) -> int | None:
        """The pid of the worker that answered GET /health with 200, or None."""
        # http.client rather than urllib: no proxy settings get in the way of loopback.
        conn = http.client.HTTPConnection(self.host, self.port, timeout=2.0)
        try:
            conn.request("GET", "/health")
            response = conn.getresponse()
            body = response.read()
            if response.status != 200:
                return None
            return int(json.loads(body)["worker"])
        except (OSError, http.client.HTTPException, ValueError, KeyError, TypeError):
            return None
        finally:
            conn.close()

    def processes(self) -> list[psutil.Process]:
        """The supervisor and all its live descendants (writer, API workers, helpers)."""
        root = psutil.Process(self.pid)
        found = [root, *root.children(recursive=True)]
        # Keep the Process objects: psutil checks them against pid reuse.
        for proc in found:
            self._tree.setdefault(proc.pid, proc)
        return [self._tree[proc.pid] for proc in found]

    def cpu_seconds(self) -> float:
        """User + system CPU seconds used so far by the whole process tree."""
        total = 0.0
        for proc in self.processes():
            try:
                times = proc.cpu_times()
            except psutil.NoSuchProcess:
                continue  # exited between listing and reading; its time is lost
            # children_* hold reaped children (absent on Windows); live ones are counted directly.
            total += times.user + times.system
            total += getattr(times, "children_user", 0.0) + getattr(times, "children_system", 0.0)
        return total

    def stop(self, timeout: float = 30.0) -> int | None:
        """Ask the supervisor to shut down (SIGTERM / CTRL_BREAK_EVENT); kill the tree after `timeout`."""
        proc = self._proc
        if proc is None:
            return None
        try:
            # Listed before signalling: once the supervisor is gone its orphans cannot be found.
            tree = self.processes() if proc.poll() is None else []
        except psutil.NoSuchProcess:
            tree = []
        if proc.poll() is None:
            proc.send_signal(signal.CTRL_BREAK_EVENT if _WINDOWS else signal.SIGTERM)  # type: ignore[attr-defined]
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                pass
        for child in tree:
            try:
                child.kill()
            except psutil.NoSuchProcess:
                pass
        code = proc.wait(10)
        self._proc = None
        if not self.keep_data:
            shutil.rmtree(self.root, ignore_errors=True)
        return code

    def log_tail(self, lines: int = 30) -> str:
        """The last lines of the server's combined stdout/stderr."""
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def __enter__(self) -> BenchServer:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
