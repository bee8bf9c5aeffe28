"""The four hot pedido routes (create, get, patch, list) called without Starlette routing or FastAPI dependency solving.

A py-spy profile of a worker under bench/mixed.py showed about a fifth of its
CPU between our innermost middleware and the route function: matching the path
against ~60 included routers, FastAPI's per-request dependency solving (the
bearer scheme, `pedidos_access`, each query parameter) and its exception
layers. `HotRoutes` sits innermost (inside `StripTrailingSlash`), recognises the
hot method + path (root or `/api/v1`), authenticates exactly as `pedidos_access`
does and calls the same route functions of `api.routes.pedidos` with the same
arguments, so the answers are the same bytes. The FastAPI routes stay
registered: they document the API (`/openapi.json`) and answer everything this
module declines:

- the first request of each route (its route object is learned from FastAPI's
  routing, for the metrics label, and only if FastAPI routed it to the same
  function: a path FastAPI sends elsewhere is never taken here),
- any query parameter it does not know, repeated, empty, or not in its plain form
  (FastAPI answers the 422, or ignores the unknown name: same answer either way),
- a missing or rejected token (FastAPI's dependency answers the 401).
"""

from __future__ import annotations

import inspect
import logging
import typing
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qsl

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from core.pedido_ops import PEDIDO_ID_MAX

from .errors import ApiError
from .paths import API_PREFIX
from .routes import pedidos
from .state import WorkerState

__all__ = ["HotRoutes", "match"]

log = logging.getLogger("sgp.api")

_Call = Callable[[Request, int | None, dict[str, Any]], Awaitable[Response]]


def _declared_limits(route: Callable[..., Any]) -> tuple[dict[str, int], int]:
    """The list route's text parameters with their `max_length`, and `skip`'s upper bound, read off its
    `Query(...)` declarations, so this module never holds a second copy of them."""
    text: dict[str, int] = {}
    skip_max = 0
    for name, hint in typing.get_type_hints(route, include_extras=True).items():
        for declared in getattr(hint, "__metadata__", ()):
            for rule in getattr(declared, "metadata", ()):
                if getattr(rule, "max_length", None) is not None:
                    text[name] = rule.max_length
                elif name == "skip" and getattr(rule, "le", None) is not None:
                    skip_max = rule.le
    return text, skip_max


# The list's query parameters: text ones with their max_length, and skip's bound (as declared on the route).
_LIST_TEXT, _SKIP_MAX = _declared_limits(pedidos.list_pedidos)
_BOOLS = {"true": True, "false": False}


def _list_params(query: bytes) -> dict[str, Any] | None:
    """The list's keyword arguments when every parameter is known and plainly valid; None defers to FastAPI."""
    params: dict[str, Any] = {}
    # Starlette's own parsing: latin-1 then parse_qsl, blank values kept.
    for name, value in parse_qsl(query.decode("latin-1"), keep_blank_values=True):
        if name in params or not value:
            return None
        if name in _LIST_TEXT:
            if len(value) > _LIST_TEXT[name]:
                return None
            params[name] = value
        elif name == "is_pronto":
            if value not in _BOOLS:
                return None
            params[name] = _BOOLS[value]
        elif name in ("skip", "limit"):
            if not (value.isascii() and value.isdigit() and len(value) <= 9):
                return None
            number = int(value)
            if (name == "skip" and number > _SKIP_MAX) or (name == "limit" and number < 1):
                return None
            params[name] = number
        else:
            return None
    return params


def match(method: str, path: str, query: bytes) -> tuple[str, int | None, dict[str, Any]] | None:
    """(route kind, pedido id, list parameters) for a hot request, else None (FastAPI answers it)."""
    if path.startswith(API_PREFIX):
        path = path[len(API_PREFIX) :]
    if not path.startswith("/pedidos"):
        return None
    rest = path[8:]
    if not rest:
        if method == "POST":
            return ("create", None, {}) if not query else None
        if method == "GET":
            params = _list_params(query) if query else {}
            return ("list", None, params) if params is not None else None
        return None
    digits = rest[1:]
    if rest[0] != "/" or query or not (digits.isascii() and digits.isdigit() and len(digits) <= 19):
        return None
    pedido_id = int(digits)
    if not 1 <= pedido_id <= PEDIDO_ID_MAX:
        return None
    if method == "GET":
        return ("get", pedido_id, {})
    if method == "PATCH":
        return ("patch", pedido_id, {})
    return None


async def _create(request: Request, _: int | None, __: dict[str, Any]) -> Response:
    return await pedidos.create_pedido(request)


async def _list(request: Request, _: int | None, params: dict[str, Any]) -> Response:
    return await pedidos.list_pedidos(request, **params)


async def _get(request: Request, pedido_id: int | None, _: dict[str, Any]) -> Response:
    assert pedido_id is not None
    return await pedidos.get_pedido(pedido_id, request)


async def _patch(request: Request, pedido_id: int | None, _: dict[str, Any]) -> Response:
    assert pedido_id is not None
    return await pedidos.patch_pedido(pedido_id, request, request.headers.get("if-match"))


# kind -> (the route function FastAPI must have routed it to, our call of it)
_ROUTES: dict[str, tuple[Callable[..., Any], _Call]] = {
    "create": (pedidos.create_pedido, _create),
    "list": (pedidos.list_pedidos, _list),
    "get": (pedidos.get_pedido, _get),
    "patch": (pedidos.patch_pedido, _patch),
}
# The parameters our calls pass, in order: a route whose signature changed is left to FastAPI.
_SIGNATURES = {
    "create": ("request",),
    "list": ("request", *_LIST_TEXT, "is_pronto", "skip", "limit"),
    "get": ("pedido_id", "request"),
    "patch": ("pedido_id", "request", "if_match"),
}


def _callable_here(kind: str) -> bool:
    """True while the route function takes exactly the arguments this module passes."""
    found = tuple(inspect.signature(_ROUTES[kind][0]).parameters)
    if found == _SIGNATURES[kind]:
        return True
    log.warning("api/hot.py: %s route takes %s now; FastAPI keeps answering it", kind, found)
    return False


_USABLE = {kind: _callable_here(kind) for kind in _ROUTES}


def _bearer(scope: Scope) -> str | None:
    """The token as FastAPI's OAuth2PasswordBearer reads it: the first Authorization header, scheme `bearer`."""
    for name, value in scope["headers"]:
        if name == b"authorization":
            scheme, _, param = value.decode("latin-1").partition(" ")
            return param.strip() if scheme.lower() == "bearer" else None
    return None


class HotRoutes:
    """Pure ASGI middleware: the hot pedido routes straight to their functions, everything else to FastAPI."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        # (kind, under /api/v1) -> the route object FastAPI's routing chose (metrics label, access log).
        self._routes: dict[tuple[str, bool], Any] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        found = match(scope["method"], scope["path"], scope["query_string"]) if scope["type"] == "http" else None
        if found is None:
            await self.app(scope, receive, send)
            return
        kind, pedido_id, params = found
        key = (kind, scope["path"].startswith(API_PREFIX))
        route = self._routes.get(key)
        if route is None:
            await self._learn(key, scope, receive, send)
            return
        state: WorkerState = scope["app"].state.sgp
        token = _bearer(scope)
        principal = None
        if token:
            try:
                principal = state.auth.authenticate(token)
            except ApiError:
                pass
        # pedidos_access: reads may go without a token when SGP_OPEN_READS is on; writes need a valid one.
        if principal is None and (token or kind not in ("list", "get") or not state.settings.open_reads):
            await self.app(scope, receive, send)  # FastAPI's pedidos_access answers the 401
            return
        scope["route"] = route
        scope["endpoint"] = _ROUTES[kind][0]
        scope["path_params"] = {"pedido_id": pedido_id} if pedido_id is not None else {}
        request = Request(scope, receive)
        request.state.principal = principal
        try:
            response = await _ROUTES[kind][1](request, pedido_id, params)
        except Exception as exc:
            handler = _handler(scope["app"].exception_handlers, exc)
            if handler is None:
                raise  # as from FastAPI's route: the outer ServerErrorMiddleware answers 500
            if inspect.iscoroutinefunction(handler):
                response = await handler(request, exc)
            else:  # as Starlette runs a plain function handler
                response = await run_in_threadpool(handler, request, exc)
        await response(scope, receive, send)

    async def _learn(self, key: tuple[str, bool], scope: Scope, receive: Receive, send: Send) -> None:
        """Let FastAPI answer, and remember its route if it chose the function this module would call."""
        await self.app(scope, receive, send)
        route = scope.get("route")
        if _USABLE[key[0]] and route is not None and getattr(route, "endpoint", None) is _ROUTES[key[0]][0]:
            self._routes[key] = route


def _handler(handlers: dict[Any, Any], exc: Exception) -> Any:
    """The app's handler for `exc` as Starlette's ExceptionMiddleware finds it (Exception itself is the 500's)."""
    for cls in type(exc).__mro__:
        if cls is Exception:
            return None
        if cls in handlers:
            return handlers[cls]
    return None
