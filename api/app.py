"""The FastAPI application of one API worker."""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI

from core.domain import openapi_schemas
from core.settings import Settings
from readers.pool import ReaderPool
from writer.client import WriterClient

from .errors import install_error_handlers
from .routes import health, pedidos
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

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        readers = ReaderPool(
            settings.db_path, size=settings.reader_pool_size, acquire_timeout=settings.reader_acquire_timeout_s
        )
        writer = WriterClient(
            settings.writer_address_file,
            connections=settings.writer_connections,
            deadline_s=settings.write_deadline_s,
            name=f"worker-{os.getpid()}",
        )
        await writer.start()
        await writer.wait_connected(5.0)
        app.state.sgp = WorkerState(settings=settings, readers=readers, writer=writer)
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
    )
    install_error_handlers(app)
    app.include_router(health.router)
    app.include_router(pedidos.router)
    _install_openapi(app)
    return app


def _install_openapi(app: FastAPI) -> None:
    """Add the msgspec domain schemas as OpenAPI components (bodies are decoded by msgspec, not pydantic)."""
    default_openapi = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = default_openapi()
            components = schema.setdefault("components", {}).setdefault("schemas", {})
            components.update(openapi_schemas())
            components["Error"] = _ERROR_SCHEMA
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
