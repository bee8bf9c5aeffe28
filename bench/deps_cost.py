"""What one FastAPI dependency costs per request, in-process (no HTTP).

A route with four `async def` dependencies against one reading the same value
from `app.state`, called straight through the ASGI app:

    python -m bench.deps_cost
"""

from __future__ import annotations

import asyncio
import time
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request
from starlette.responses import Response

__all__: list[str] = []

app = FastAPI()
app.state.x = 1


async def _dep(request: Request) -> int:
    return int(request.app.state.x)


async def _dep2(request: Request) -> int:
    return int(request.app.state.x)


async def _dep3(request: Request) -> int:
    return int(request.app.state.x)


async def _dep4(request: Request) -> int:
    return int(request.app.state.x)


@app.get("/four")
async def four(
    a: Annotated[int, Depends(_dep)],
    b: Annotated[int, Depends(_dep2)],
    c: Annotated[int, Depends(_dep3)],
    d: Annotated[int, Depends(_dep4)],
) -> Response:
    return Response(b"x")


@app.get("/none")
async def none(request: Request) -> Response:
    return Response(b"x" if request.app.state.x else b"")


async def _call(path: str) -> None:
    scope: dict[str, Any] = {
        "type": "http", "method": "GET", "path": path, "raw_path": path.encode(), "query_string": b"",
        "headers": [], "root_path": "", "scheme": "http", "server": ("127.0.0.1", 80),
        "client": ("127.0.0.1", 1), "app": app, "http_version": "1.1", "asgi": {"version": "3.0"},
    }  # fmt: skip

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        return None

    await app(scope, receive, send)


async def main() -> None:
    """Time both routes twice (the first pass warms up)."""
    async with app.router.lifespan_context(app):
        pass
    for path in ["/none", "/four"] * 2:
        count = 5000
        started = time.perf_counter()
        for _ in range(count):
            await _call(path)
        print(path, round((time.perf_counter() - started) / count * 1e6, 1), "us/request")


if __name__ == "__main__":
    asyncio.run(main())
