"""API errors: one JSON shape, `{"detail": <Portuguese>, "code": <English>, "field"?: ...}`.

    ApiError                   raised by routes and dependencies; rendered as-is
Writer and domain errors are translated here, so a client never sees a 500
for something it sent.
"""

from __future__ import annotations

import logging
from typing import Any

import msgspec
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from core.domain import DomainError
from ipc.errors import CommandError, WriterOverloaded, WriterUnavailable
from readers.pool import PoolTimeout

__all__ = ["ApiError", "install_error_handlers", "error_response", "command_error"]

log = logging.getLogger("sgp.api")

# Writer failure code -> HTTP status.
_COMMAND_STATUS = {
    "not_found": 404,
    "numero_conflict": 409,
    "version_conflict": 412,
    "validation_error": 422,
    "idempotency_key_reused": 422,
    "username_taken": 409,
    "duplicate": 409,
    "in_use": 409,
    "id_taken": 409,
    "last_admin": 409,
    "password_changed": 409,
    "busy": 503,
    "io_error": 503,
    "storage_full": 507,
    "internal_error": 500,
}


class _ErrorBody(msgspec.Struct, omit_defaults=True):
    detail: str
    code: str
    field: str | None = None


_encoder = msgspec.json.Encoder()


class ApiError(Exception):
    """An error answer: HTTP status, Portuguese detail, stable English code."""

    def __init__(
        self, status: int, code: str, detail: str, *, field: str | None = None, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail
        self.field = field
        self.headers = headers or {}


def error_response(exc: ApiError) -> Response:
    """Render an ApiError as JSON."""
    body = _encoder.encode(_ErrorBody(detail=exc.detail, code=exc.code, field=exc.field))
    return Response(body, status_code=exc.status, media_type="application/json", headers=exc.headers)


def command_error(exc: CommandError) -> ApiError:
    """Translate a writer failure into its HTTP answer."""
    status = _COMMAND_STATUS.get(exc.code, 503 if exc.transient else 400)
    headers = {"Retry-After": "1"} if status in (503, 507) else None
    return ApiError(status, exc.code, exc.message, field=exc.field, headers=headers)


def _field_of(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or str(loc[-1] if loc else "")


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers that turn every known failure into the JSON error shape."""

    @app.exception_handler(ApiError)
    async def _api(_: Request, exc: ApiError) -> Response:
        return error_response(exc)

    @app.exception_handler(DomainError)
    async def _domain(_: Request, exc: DomainError) -> Response:
        status = 400 if exc.code == "invalid_json" else 422
        return error_response(ApiError(status, exc.code, exc.detail, field=exc.field))

    @app.exception_handler(CommandError)
    async def _command(_: Request, exc: CommandError) -> Response:
        return error_response(command_error(exc))

    @app.exception_handler(WriterUnavailable)
    async def _unavailable(_: Request, exc: WriterUnavailable) -> Response:
        return error_response(
            ApiError(
                503,
                "writer_unavailable",
                "Gravação indisponível no momento; tente novamente em instantes.",
                headers={"Retry-After": "2"},
            )
        )

    @app.exception_handler(WriterOverloaded)
    async def _overloaded(_: Request, exc: WriterOverloaded) -> Response:
        return error_response(
            ApiError(
                503,
                "writer_overloaded",
                "Servidor sobrecarregado; tente novamente em instantes.",
                headers={"Retry-After": "1"},
            )
        )

    @app.exception_handler(PoolTimeout)
    async def _readers(_: Request, exc: PoolTimeout) -> Response:
        return error_response(
            ApiError(
                503, "readers_busy", "Servidor ocupado; tente novamente em instantes.", headers={"Retry-After": "1"}
            )
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> Response:
        first = exc.errors()[0] if exc.errors() else {}
        field = _field_of(tuple(first.get("loc", ())))
        message = f"Valor inválido em '{field}': {first.get('msg', 'inválido')}"
        return error_response(ApiError(422, "validation_error", message, field=field or None))

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> Response:
        detail = {404: "Recurso não encontrado.", 405: "Método não permitido."}.get(exc.status_code, str(exc.detail))
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return error_response(ApiError(exc.status_code, code, detail, headers=dict(exc.headers or {})))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return error_response(ApiError(500, "internal_error", "Erro interno do servidor."))
