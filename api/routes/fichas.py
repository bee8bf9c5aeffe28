"""/api/v1/fichas: production sheets with one image each; reads from the pool, writes through the writer.

Access as for pedidos (router-wide `fichas_access`): reads need a token unless
SGP_OPEN_READS, writes a user, DELETE an admin. `imagem_base64` is stored by
this worker like an item image and reaches the writer as a reference.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from msgspec import UNSET, UnsetType
from starlette.responses import Response

from core.fichas import Ficha, FichaCreate, FichaDeleted, FichaPatch, decode_ficha_create, decode_ficha_patch
from ipc.protocol import CreateFicha, DeleteFicha, ImageRef, PatchFicha
from readers.fichas import ficha_image, get_ficha_doc, list_ficha_docs
from readers.pedidos import json_array

from ..body import read_body
from ..commands import Caller, send
from ..deps import MediaDep, ReaderDep, SettingsDep, WriterDep
from ..errors import ApiError
from ..images import as_ref, serve_image, take_image
from ..page import page_limit
from ..responses import Responses, json_content, json_response, ref

__all__ = ["router", "SCHEMAS"]

router = APIRouter(prefix="/fichas", tags=["fichas"])

FichaId = Annotated[int, Path(ge=1, le=2**63 - 1, description="Id da ficha")]
SCHEMAS = (FichaCreate, FichaPatch, Ficha, FichaDeleted)

_IMAGE_FIELD = "imagem_base64"
# The URL of a ficha's image keeps serving its *current* image: clients revalidate
# (cheap, 304 by ETag) instead of caching it for a year like /pedidos/imagens/<sha256>.
_REVALIDATE = "private, no-cache"
_ERRORS: Responses = {
    "404": json_content(ref("Error"), "Ficha não encontrada"),
    "422": json_content(ref("Error"), "Campo inválido (inclusive a imagem)"),
    "503": json_content(ref("Error"), "Gravação indisponível; tente de novo (Retry-After)"),
}
_PAGE_HEADERS = {"X-Total-Count": {"description": "Total de fichas do filtro", "schema": {"type": "integer"}}}


def _body_spec(schema: str) -> dict[str, Any]:
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": ref(schema)}}}}


def _not_found(ficha_id: int) -> ApiError:
    return ApiError(404, "not_found", f"Ficha {ficha_id} não encontrada.")


async def _image(store: MediaDep, value: str | None) -> ImageRef | None:
    """The reference for `imagem_base64`: None when it is null or empty (no image)."""
    if not value:
        return None
    return as_ref(await take_image(store, value, _IMAGE_FIELD))


@router.post(
    "",
    summary="Criar ficha",
    response_class=Response,
    openapi_extra=_body_spec("FichaCreate"),
    responses={"200": json_content(ref("Ficha"), "Ficha criada"), **_ERRORS},
)
async def create_ficha(request: Request, writer: WriterDep, settings: SettingsDep, store: MediaDep) -> Response:
    """Create a ficha; its image (data URL or reference) is stored before the writer sees the command."""
    body = await read_body(request, settings.max_body_bytes)
    data = decode_ficha_create(body)
    caller = Caller.of(request, body)
    image = await _image(store, data.imagem_base64)
    data.imagem_base64 = None
    return await caller.send(writer, CreateFicha(data=data, image=image))


@router.get(
    "",
    summary="Listar fichas",
    response_class=Response,
    responses={"200": {**json_content({"type": "array", "items": ref("Ficha")}), "headers": _PAGE_HEADERS}},
)
async def list_fichas(
    readers: ReaderDep,
    settings: SettingsDep,
    client_id: Annotated[int | None, Query(ge=1, le=2**63 - 1, description="Só as fichas deste cliente")] = None,
    skip: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    limit: Annotated[
        int | None, Query(ge=1, description="Tamanho da página (padrão 100; no máximo SGP_MAX_PAGE_SIZE)")
    ] = None,
) -> Response:
    """Fichas newest first, optionally of one client; total in `X-Total-Count`."""
    limit = page_limit(limit, settings.max_page_size, "SGP_MAX_PAGE_SIZE", default=100)
    docs, total = await list_ficha_docs(readers, client_id=client_id, skip=skip, limit=limit)
    return json_response(json_array(docs), headers={"X-Total-Count": str(total)})


@router.head("/imagens/{ficha_id:int}", include_in_schema=False)
@router.get(
    "/imagens/{ficha_id:int}",
    summary="Imagem atual da ficha",
    response_class=Response,
    responses={
        "200": {"description": "A imagem"},
        "304": {"description": "A cópia do cliente está atual"},
        **_ERRORS,
    },
)
async def get_ficha_image(ficha_id: FichaId, request: Request, readers: ReaderDep, store: MediaDep) -> Response:
    """The ficha's current image (ETag: its sha256; revalidated, since replacing the image changes it)."""
    exists, sha256 = await ficha_image(readers, ficha_id)
    if not exists:
        raise _not_found(ficha_id)
    if sha256 is None:
        raise ApiError(404, "image_not_found", f"A ficha {ficha_id} não tem imagem.")
    response = await serve_image(store, sha256, request)
    response.headers["Cache-Control"] = _REVALIDATE
    return response


@router.get(
    "/{ficha_id:int}",
    summary="Obter ficha",
    response_class=Response,
    responses={"200": json_content(ref("Ficha")), **_ERRORS},
)
async def get_ficha(ficha_id: FichaId, readers: ReaderDep) -> Response:
    """One ficha."""
    doc = await get_ficha_doc(readers, ficha_id)
    if doc is None:
        raise _not_found(ficha_id)
    return json_response(doc)


@router.patch(
    "/{ficha_id:int}",
    summary="Atualizar ficha (parcial)",
    response_class=Response,
    openapi_extra=_body_spec("FichaPatch"),
    responses={"200": json_content(ref("Ficha")), **_ERRORS},
)
async def patch_ficha(
    ficha_id: FichaId, request: Request, writer: WriterDep, settings: SettingsDep, store: MediaDep
) -> Response:
    """Change the fields sent; a new `imagem_base64` replaces the image, `null` removes it."""
    body = await read_body(request, settings.max_body_bytes)
    patch = decode_ficha_patch(body)
    caller = Caller.of(request, body)
    image: ImageRef | None | UnsetType = UNSET
    if patch.imagem_base64 is not UNSET:
        image = await _image(store, patch.imagem_base64)
        patch.imagem_base64 = UNSET
    return await caller.send(writer, PatchFicha(id=ficha_id, patch=patch, image=image))


@router.delete(
    "/{ficha_id:int}",
    summary="Excluir ficha",
    response_class=Response,
    responses={"200": json_content(ref("FichaDeleted"), "Ficha excluída"), **_ERRORS},
)
async def delete_ficha(ficha_id: FichaId, request: Request, writer: WriterDep) -> Response:
    """Delete a ficha (admins); a second delete is 404."""
    return await send(request, writer, DeleteFicha(id=ficha_id))
