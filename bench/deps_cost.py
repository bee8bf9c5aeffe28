"""How much one FastAPI dependency costs per request, in-process (no HTTP): a route with four `async def`
dependencies against one reading the same value from app.state.  python -m bench.deps_cost"""
__all__: list[str] = []
import asyncio, time
from typing import Annotated
from fastapi import FastAPI, Depends, Request
from starlette.responses import Response
app = FastAPI()
app.state.x = 1
async def d(request: Request): return request.app.state.x
D = Annotated[int, Depends(d)]
async def d2(request: Request): return request.app.state.x
async def d3(request: Request): return request.app.state.x
async def d4(request: Request): return request.app.state.x
@app.get("/four")
async def four(request: Request, a: D, b: Annotated[int, Depends(d2)], c: Annotated[int, Depends(d3)], e: Annotated[int, Depends(d4)]) -> Response:
    return Response(b"x")
@app.get("/none")
async def none(request: Request) -> Response:
    x = request.app.state.x
    return Response(b"x")
async def call(path):
    scope = {"type": "http", "method": "GET", "path": path, "raw_path": path.encode(), "query_string": b"", "headers": [], "root_path": "", "scheme": "http", "server": ("127.0.0.1", 80), "client": ("127.0.0.1", 1), "app": app, "http_version": "1.1", "asgi": {"version": "3.0"}}
    async def receive(): return {"type": "http.request", "body": b"", "more_body": False}
    async def send(m): pass
    await app(scope, receive, send)
async def main():
    async with app.router.lifespan_context(app):
        pass
    for path in ["/none", "/four"] * 2:
        n = 5000
        t = time.perf_counter()
        for _ in range(n): await call(path)
        print(path, round((time.perf_counter() - t) / n * 1e6, 1), "us/request")
if __name__ == "__main__":
    asyncio.run(main())
