"""/fichas/templates: layouts of the printed service sheet, and its HTML versions.

Mounted before /fichas (whose `/fichas/{ficha_id}` would take `templates`
for an id). Reads need a token (or SGP_OPEN_READS); saving and the raw HTML
admin views need an admin, as on the old server. The HTML is stored in the
database (backed up with it), not as files under the media folder.
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from fastapi import APIRouter, Path, Request
from starlette.responses import Response

from core.templates import FichaTemplatesPut, HtmlTemplatesPut, decode_ficha_templates, decode_html_templates
from ipc.protocol import PutTemplates
from readers.templates import html_template, html_templates, template_pair

from ..body import read_body
from ..commands import send
from ..deps import AdminUser, ReadAccess, ReaderDep, SettingsDep, WriterDep
from ..errors import ApiError
from ..responses import Responses, body_spec, error_responses, json_content, json_response

__all__ = ["router", "SCHEMAS"]

router = APIRouter(prefix="/fichas/templates", tags=["fichas"])
_encoder = msgspec.json.Encoder()
SCHEMAS = (FichaTemplatesPut, HtmlTemplatesPut)
_OBJECT: Responses = {"200": json_content({"type": "object"})}
TemplateType = Annotated[Literal["geral", "resumo"], Path(description="geral ou resumo")]


class _Content(msgspec.Struct):
    html: str | None
    exists: bool


@router.get("", summary="Modelos da ficha (geral e resumo)", response_class=Response, responses=_OBJECT)
async def get_templates(readers: ReaderDep, _: ReadAccess) -> Response:
    """`{geral, resumo}`: stored, or the defaults."""
    return json_response(await template_pair(readers, "ficha"))


@router.put(
    "",
    summary="Salvar modelos da ficha",
    response_class=Response,
    openapi_extra=body_spec("FichaTemplatesPut"),
    responses={**_OBJECT, **error_responses(403)},
)
async def put_templates(request: Request, writer: WriterDep, settings: SettingsDep, _: AdminUser) -> Response:
    """Store the layouts sent; answers the stored pair."""
    body = await read_body(request, settings.max_body_bytes)
    data = decode_ficha_templates(body)
    docs = {t: _encoder.encode(v) for t, v in (("geral", data.geral), ("resumo", data.resumo)) if v}
    return await send(request, writer, PutTemplates(kind="ficha", docs=docs), body)


@router.put(
    "/html",
    summary="Salvar modelos HTML da ficha",
    response_class=Response,
    openapi_extra=body_spec("HtmlTemplatesPut"),
    responses={**_OBJECT, **error_responses(403)},
)
async def put_html(request: Request, writer: WriterDep, settings: SettingsDep, _: AdminUser) -> Response:
    """Store the non-empty HTML strings sent: `{message, files}`."""
    body = await read_body(request, settings.max_body_bytes)
    data = decode_html_templates(body)
    docs = {t: v.encode() for t, v in (("geral", data.geral), ("resumo", data.resumo)) if v and v.strip()}
    if not docs:
        raise ApiError(422, "validation_error", "Envie ao menos um template HTML não vazio.", field="geral")
    return await send(request, writer, PutTemplates(kind="ficha_html", docs=docs), body)


@router.get(
    "/html",
    summary="Modelos HTML guardados (admin)",
    response_class=Response,
    responses={**_OBJECT, **error_responses(403)},
)
async def list_html(readers: ReaderDep, _: AdminUser) -> Response:
    """`{templates: [{type, size, updated_at}]}` of the stored HTML sheets."""
    rows = await html_templates(readers)
    listed = [{"type": t, "size": n, "updated_at": u} for t, n, u in rows]
    return json_response(_encoder.encode({"templates": listed}))


@router.get(
    "/html/{template_type}",
    summary="HTML bruto do modelo (admin)",
    response_class=Response,
    responses={
        "200": {"description": "O HTML", "content": {"text/html": {"schema": {"type": "string"}}}},
        **error_responses(403, 404),
    },
)
async def raw_html(template_type: TemplateType, readers: ReaderDep, _: AdminUser) -> Response:
    """The stored HTML as `text/html`; 404 when none is stored."""
    html = await html_template(readers, template_type)
    if html is None:
        raise ApiError(404, "not_found", f"Template HTML {template_type} não encontrado.")
    return Response(html, media_type="text/html; charset=utf-8")


@router.get(
    "/html/{template_type}/content", summary="Conteúdo do modelo HTML", response_class=Response, responses=_OBJECT
)
async def html_content(template_type: TemplateType, readers: ReaderDep, _: ReadAccess) -> Response:
    """`{html, exists}`; `{html: null, exists: false}` when none is stored (the client then uses its own)."""
    html = await html_template(readers, template_type)
    body = _encoder.encode(_Content(html=html, exists=html is not None))
    return json_response(body, headers={"Cache-Control": "no-store"})
