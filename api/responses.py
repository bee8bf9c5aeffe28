"""Raw JSON responses: bodies come pre-encoded (from SQLite or the writer), so no re-serialisation."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from ipc.protocol import Ok

# FastAPI's `responses=` type; its keys are invariant, so literals bound to names need this annotation.
Responses = dict[int | str, dict[str, Any]]

__all__ = [
    "Responses",
    "json_response",
    "committed",
    "ref",
    "json_content",
    "error_responses",
    "body_spec",
    "object_body_spec",
]


def json_response(body: bytes, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """A JSON response from already-encoded bytes."""
    return Response(body, status_code=status, media_type="application/json", headers=headers)


def committed(ok: Ok) -> Response:
    """The writer's committed answer; `X-SGP-Seq` carries the event sequence number."""
    headers = {"X-SGP-Seq": str(ok.seq)} if ok.seq is not None else None
    return json_response(ok.body, ok.status, headers)


def ref(name: str) -> dict[str, Any]:
    """A JSON-schema reference to a component."""
    return {"$ref": f"#/components/schemas/{name}"}


def json_content(schema: dict[str, Any], description: str = "OK") -> dict[str, Any]:
    """An OpenAPI response/request entry with a JSON body of `schema`."""
    return {"description": description, "content": {"application/json": {"schema": schema}}}


_ERROR_TEXT = {
    400: "Parâmetro ou corpo inválido",
    403: "Apenas administradores",
    404: "Não encontrado",
    422: "Campo inválido",
}


def error_responses(*statuses: int) -> Responses:
    """OpenAPI entries for the error answers (`Error` body) a route gives besides the common ones."""
    return {str(s): json_content(ref("Error"), _ERROR_TEXT.get(s, "Erro")) for s in statuses}


def body_spec(schema: str) -> dict[str, Any]:
    """`openapi_extra` declaring a JSON request body of component `schema` (bodies are decoded by msgspec)."""
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": ref(schema)}}}}


def object_body_spec(description: str) -> dict[str, Any]:
    """`openapi_extra` declaring a required JSON object body whose fields the route checks itself."""
    content = {"application/json": {"schema": {"type": "object"}}}
    return {"requestBody": {"required": True, "description": description, "content": content}}
