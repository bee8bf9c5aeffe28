"""The trivial ceiling of issue #16: a one-route FastAPI app under the same hypercorn, worker count and keep-alive.

    python -m hypercorn bench.trivial:app      (what TrivialServer runs)

`GET /trivial` answers `{"worker": <pid>}` (about the size of `/health`'s answer)
with no middleware, no auth, no database: what any FastAPI service costs per
request on this machine. bench/mixed.py measures it next to the mixed load.
"""

from __future__ import annotations

import http.client
import json
import os
import sys
from pathlib import Path

from fastapi import FastAPI

from bench.server import BenchServer

__all__ = ["app", "TrivialServer"]

app = FastAPI()


@app.get("/trivial")
async def trivial() -> dict[str, int]:
    """The smallest useful answer: which worker served it."""
    return {"worker": os.getpid()}


class TrivialServer(BenchServer):
    """`bench.trivial:app` under hypercorn with our worker count, backlog and keep-alive (api/worker.py)."""

    def __init__(self, *, workers: int) -> None:
        super().__init__(workers=workers)
        self._args = [
            sys.executable, "-m", "hypercorn", "bench.trivial:app",
            "--bind", f"{self.host}:{self.port}", "--workers", str(workers),
            "--keep-alive", "75", "--backlog", "2048",
        ]  # fmt: skip
        self.data_dir = Path(self.root)

    def _health_worker(self) -> int | None:
        conn = http.client.HTTPConnection(self.host, self.port, timeout=2.0)
        try:
            conn.request("GET", "/trivial")
            response = conn.getresponse()
            body = response.read()
            return int(json.loads(body)["worker"]) if response.status == 200 else None
        except (OSError, http.client.HTTPException, ValueError, KeyError, TypeError):
            return None
        finally:
            conn.close()
