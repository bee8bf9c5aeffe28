"""Where routes live: at the root (the desktop client cannot add a prefix) and again under `/api/v1`.

The SGP desktop app builds URLs with `new URL(path, base)`, which drops any
path in the configured base, so every route must answer at the root, as the
old server's did. Clients configured with an `/api/v1` base keep working
through the same routers mounted a second time.

The client calls some families with a trailing slash (`/pedidos/`) and others
without (`/vendedores`). Routes are declared without one and the slash is
stripped before routing, so both forms answer directly: a redirect built from
the `Host` header breaks behind a TLS proxy and costs a round trip.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, FastAPI
from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = ["API_PREFIX", "StripTrailingSlash", "mount"]

API_PREFIX = "/api/v1"


class StripTrailingSlash:
    """Pure ASGI middleware: `/pedidos/` is routed as `/pedidos` (HTTP and WebSocket)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        if scope["type"] in ("http", "websocket") and len(path) > 1 and path.endswith("/"):
            # In place, as Starlette's router does: the outer observer reads the matched
            # `route` back from this same scope for its metrics and access log.
            scope["path"] = path.rstrip("/") or "/"
        await self.app(scope, receive, send)


def mount(app: FastAPI, router: APIRouter, **options: Any) -> None:
    """Include `router` at the root and under `API_PREFIX`; both appear in the OpenAPI."""
    app.include_router(router, **options)
    app.include_router(router, prefix=API_PREFIX, **options)
