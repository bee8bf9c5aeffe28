"""The FastAPI application of one API worker."""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import msgspec
from fastapi import Depends, FastAPI
from starlette.middleware.cors import CORSMiddleware

from core.domain import openapi_schemas
from core.settings import Settings
from core.tokens import load_or_create_secret
from ipc.client import WriterClient
from ipc.protocol import Welcome
from media import MediaStore
from readers.pool import ReaderPool

from .auth import Authenticator
from .cors import CORS_EXPOSE, CORS_HEADERS, CORS_METHODS, cors_origins
from .deps import fichas_access, pedidos_access, records_access
from .drain import DrainUnreadBody
from .errors import install_error_handlers
from .feed import FeedHub
from .guard import RequestGuard
from .hot import HotRoutes
from .list_cache import ListCache
from .metrics import RequestObserver, WorkerMetrics
from .paths import StripTrailingSlash, mount
from .routes import (
    art,
    fichas,
    fichas_templates,
    health,
    maquinas,
    materiais_stats,
    media,
    notificacoes,
    ops,
    pedidos,
    pedidos_admin,
    pedidos_drafts,
    pedidos_items,
    print_logs,
    records,
    relatorios,
    reposicoes,
    safira,
    users,
    ws,
)
from .routes import auth as auth_routes
from .state import WorkerState

__all__ = ["create_app"]

log = logging.getLogger("sgp.api")

_ERROR_SCHEMA = {
    "type": "object",
    "required": ["detail", "code"],
    "properties": {
        "detail": {"type": "string", "description": "Mensagem para o usuário (português)"},
        "code": {"type": "string", "description": "Código estável (inglês)"},
        "field": {"type": "string", "description": "Campo inválido, quando houver"},
    },
}


def create_app(settings: Settings) -> FastAPI:
    """Build the app; the lifespan opens this worker's reader pool and writer client."""
    metrics = WorkerMetrics()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        readers = ReaderPool(
            settings.db_path, size=settings.reader_pool_size, acquire_timeout=settings.reader_acquire_timeout_s
        )
        secret = settings.token_secret.encode() or load_or_create_secret(settings.token_secret_file)
        auth = Authenticator(settings, secret)

        hub = FeedHub(on_clients=metrics.feed_clients.set, ring_bytes=settings.feed_ring_bytes)
        # Sessions ended by logout, password or role change, deactivation: their feed sockets close at once.
        auth.watchers.add(lambda: hub.revalidate(auth.ended))

        writer_pids: list[int] = []

        def on_welcome(welcome: Welcome) -> int | None:
            # Revocations may have been pushed while this link was down: reload them.
            auth.schedule_reload(readers)
            if writer_pids and writer_pids[-1] != welcome.writer_pid:
                # A new writer (maybe after its WAL was deleted): no connection keeps an old WAL open.
                readers.recycle()
            writer_pids[:] = [welcome.writer_pid]
            return hub.on_welcome(welcome)

        writer = WriterClient(
            settings.writer_address_file,
            connections=settings.writer_connections,
            deadline_s=settings.write_deadline_s,
            name=f"worker-{os.getpid()}",
            on_welcome=on_welcome,
            on_auth=auth.apply,
            on_events=hub.on_events,
            on_reset=hub.on_reset,
            on_broadcast=hub.on_broadcast,
            buffer_bytes=settings.ipc_client_buffer_bytes,
        )
        hub.send_broadcast = writer.send_broadcast
        await auth.reload(readers)
        await writer.start()
        await writer.wait_connected(5.0)
        store = MediaStore(settings.media_dir, max_bytes=settings.max_image_bytes)
        app.state.sgp = WorkerState(
            settings=settings,
            readers=readers,
            writer=writer,
            auth=auth,
            hub=hub,
            media=store,
            lists=ListCache(settings.list_cache_mb * 1024 * 1024),
        )
        log.info("worker %d serving", os.getpid())
        try:
            yield
        finally:
            await writer.close()
            await readers.close()

    app = FastAPI(
        title="SGP orders service",
        version="0.1.0",
        description="Pedidos de produção para gráficas: leituras diretas do SQLite, gravações por um único processo escritor.",
        lifespan=lifespan,
        # FastAPI's built-in OpenTelemetry: unused here, yet with it on, every request
        # asks the global providers whether it is configured (environment lookups):
        # ~3% of a worker's CPU under load. Our metrics are api/metrics.py.
        telemetry={"tracing": False, "metrics": False, "logs": False, "operation_spans": False},
    )
    install_error_handlers(app)
    # Innermost: the hot pedido routes skip routing and dependency solving (api/hot.py).
    app.add_middleware(HotRoutes)
    # Added early, so inner: routing (and HotRoutes) see `/pedidos` for `/pedidos/`.
    app.add_middleware(StripTrailingSlash)
    app.add_middleware(
        CORSMiddleware,
        allow_origins=cors_origins(settings),
        allow_credentials=True,
        allow_methods=list(CORS_METHODS),
        allow_headers=list(CORS_HEADERS),
        expose_headers=list(CORS_EXPOSE),
        max_age=600,
    )
    # Header limits, body size and body time, before anything parses a body (inside
    # DrainUnreadBody, whose own reads are bounded, so its drain never trips the guard).
    app.add_middleware(RequestGuard, settings=settings)
    # Answers given before the body was read must not cost the client its keep-alive connection.
    app.add_middleware(DrainUnreadBody)
    # Added last, so outermost: it times, counts and logs every request, CORS preflights included.
    app.add_middleware(RequestObserver, metrics=metrics)
    app.state.metrics = metrics
    mount(app, health.router)
    mount(app, auth_routes.router)
    mount(app, users.router)
    # Ids are {x:int} in the route paths: no fixed path is taken for an id, so this order does not matter.
    mount(app, media.router, dependencies=[Depends(pedidos_access)])
    mount(app, pedidos_drafts.router, dependencies=[Depends(pedidos_access)])
    mount(app, pedidos_items.router, dependencies=[Depends(pedidos_access)])
    mount(app, pedidos_admin.router, dependencies=[Depends(pedidos_access)])
    mount(app, pedidos.router, dependencies=[Depends(pedidos_access)])
    mount(app, fichas_templates.router)
    mount(app, materiais_stats.router)
    mount(app, fichas.router, dependencies=[Depends(fichas_access)])
    mount(app, art.router)
    mount(app, print_logs.router)
    mount(app, relatorios.router)
    mount(app, notificacoes.router)
    mount(app, safira.router)
    mount(app, reposicoes.router)
    mount(app, ws.router)
    mount(app, ops.router)
    mount(app, maquinas.router, dependencies=[Depends(records_access)])
    # Catalogs last: a fixed path another router declares under a family's prefix
    # (e.g. /materiais/stats) must match before the catalog's /{record_id}.
    for router in records.routers():
        mount(app, router, dependencies=[Depends(records_access)])
    _install_openapi(app)
    return app


def _struct_schemas(*types: type) -> dict[str, Any]:
    """OpenAPI components for msgspec Structs decoded by hand in the routes."""
    _, components = msgspec.json.schema_components(types, ref_template="#/components/schemas/{name}")
    return components


# Answers any route may give through the shared machinery, declared where a route did not declare its own.
_COMMON_ERRORS = {
    "400": ("requestBody", "JSON inválido ou corpo vazio"),
    "413": ("requestBody", "Corpo grande demais"),
    "408": ("requestBody", "Corpo não chegou a tempo (api/guard.py)"),
    "431": (None, "Cabeçalhos grandes ou numerosos demais (api/guard.py)"),
    "422": ("requestBody", "Campo inválido"),
    "401": ("security", "Sem token, ou token inválido, expirado ou revogado"),
    "503": (None, "Indisponível no momento; tente de novo (Retry-After)"),
}


def _document_errors(schema: dict[str, Any]) -> None:
    """Declare the errors every route can answer (body reading, auth, an unreachable writer or busy readers)."""
    error = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            for status, (needs, description) in _COMMON_ERRORS.items():
                if needs is None or needs in operation:
                    responses.setdefault(status, {"description": description, **error})
            if any(parameter.get("in") == "path" for parameter in operation.get("parameters", ())):
                # Integer ids are `{x:int}` in the paths: `/pedidos/abc` or `/pedidos/-1` match no route.
                responses.setdefault("404", {"description": "Não encontrado, ou um id que não é inteiro", **error})


def _install_openapi(app: FastAPI) -> None:
    """Add the msgspec domain schemas as OpenAPI components (bodies are decoded by msgspec, not pydantic)."""
    default_openapi = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = default_openapi()
            components = schema.setdefault("components", {}).setdefault("schemas", {})
            components.update(openapi_schemas())
            components.update(
                _struct_schemas(
                    *auth_routes.SCHEMAS,
                    *users.SCHEMAS,
                    *fichas.SCHEMAS,
                    *media.SCHEMAS,
                    *records.SCHEMAS,
                    *maquinas.SCHEMAS,
                    *pedidos.SCHEMAS,
                )
            )
            components.update(
                _struct_schemas(
                    *art.SCHEMAS, *print_logs.SCHEMAS, *notificacoes.SCHEMAS, *safira.SCHEMAS,
                    *fichas_templates.SCHEMAS, *relatorios.SCHEMAS, *reposicoes.SCHEMAS,
                )
            )  # fmt: skip
            components["Error"] = _ERROR_SCHEMA
            # FastAPI declares its own 422 shape on every route with parameters; ours is Error.
            components["HTTPValidationError"] = _ERROR_SCHEMA
            _document_errors(schema)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
