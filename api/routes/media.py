"""Item images: the streaming upload and the image URL every response points at.

Both live under /api/v1/pedidos and follow the pedidos router's access rule
(a token to upload; reads like other pedido reads). The router is included
before the pedidos one, so `/imagens/...` is never taken for a pedido id.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

import msgspec
from fastapi import APIRouter, Path, Request
from starlette.requests import ClientDisconnect
from starlette.responses import Response

from core.images import image_url
from media import MediaError, MediaStore, StoredMedia

from ..deps import MediaDep
from ..drain import discard
from ..errors import ApiError
from ..images import image_error, serve_image
from ..multipart import FilePartReader, MultipartError, multipart_boundary
from ..responses import json_content, json_response, ref

__all__ = ["router", "SCHEMAS", "UploadedImage"]

router = APIRouter(prefix="/pedidos", tags=["imagens"])

ImagemId = Annotated[str, Path(max_length=200, description="sha256 da imagem (64 dígitos hexadecimais)")]

# After a refused upload the rest of the body is read and dropped, so the client
# gets its answer instead of a reset; past this multiple of the limit we hang up.
_DRAIN_FACTOR = 4

_IMAGE_HEADERS = {
    "ETag": {"description": "sha256 da imagem", "schema": {"type": "string"}},
    "Cache-Control": {"description": "Imutável: o conteúdo de uma URL nunca muda", "schema": {"type": "string"}},
}


class UploadedImage(msgspec.Struct):
    """Answer of an upload: put `server_reference` (or `sha256:<imagem_id>`) in an item's `imagem`."""

    imagem_id: str
    sha256: str
    imagem_path: str
    url: str
    server_reference: str
    mime: str
    size: int
    # The old server's names: the desktop app takes the first of server_reference, image_reference, path, url.
    success: bool = True
    image_reference: str = ""
    path: str = ""
    filename: str = ""


SCHEMAS = (UploadedImage,)

_json = msgspec.json.Encoder()


def _uploaded(media: StoredMedia) -> UploadedImage:
    url = image_url(media.sha256)
    return UploadedImage(
        imagem_id=media.sha256, sha256=media.sha256, imagem_path=url, url=url, server_reference=url,
        mime=media.mime, size=media.size, image_reference=url, path=url, filename=media.sha256,
    )  # fmt: skip


async def _discard_rest(body: AsyncIterator[bytes], error: ApiError, limit: int) -> ApiError:
    """Read the rest of a refused upload (bounded), then return `error`, closing when the client sends too much."""
    try:
        if not await discard(body, _DRAIN_FACTOR * limit):
            error.headers["Connection"] = "close"
    except ClientDisconnect:
        pass  # the client gave up; the answer goes nowhere either way
    return error


async def _receive(request: Request, body: AsyncIterator[bytes], store: MediaStore) -> StoredMedia:
    content_type = request.headers.get("content-type")
    boundary = multipart_boundary(content_type)
    if boundary is None:
        # A raw body: Content-Type is the client's claim (octet-stream claims nothing).
        return await store.save_stream(body, content_type)
    part = FilePartReader(body, boundary)
    claimed = await part.open()
    media = await store.save_stream(part.chunks(), claimed)
    await part.finish()
    return media


@router.post(
    "/order-items/upload-image",
    summary="Enviar imagem de item (multipart ou corpo binário)",
    response_class=Response,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "properties": {"image": {"type": "string", "format": "binary"}},
                        "required": ["image"],
                    }
                },
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
            },
        }
    },
    responses={
        "200": json_content(ref("UploadedImage"), "Imagem guardada"),
        "400": json_content(ref("Error"), "Corpo multipart malformado"),
        "413": json_content(ref("Error"), "Imagem maior que SGP_MAX_IMAGE_BYTES"),
        "422": json_content(ref("Error"), "Tipo não aceito ou diferente do declarado"),
    },
)
async def upload_image(request: Request, store: MediaDep) -> Response:
    """Store one image while it streams in (never held whole in memory); answers its reference."""
    body = request.stream()
    try:
        media = await _receive(request, body, store)
    except MediaError as exc:
        # Here the body is the image: too large is 413 (Content Too Large), as for any body.
        error = image_error(exc, "image", too_large_status=413)
        raise await _discard_rest(body, error, store.max_bytes) from None
    except MultipartError as exc:
        error = ApiError(400, "invalid_multipart", str(exc), field="image")
        raise await _discard_rest(body, error, store.max_bytes) from None
    except ClientDisconnect:
        # Nobody is left to answer; this only keeps a gone client out of the error log.
        raise ApiError(400, "client_disconnected", "Upload interrompido pelo cliente.") from None
    return json_response(_json.encode(_uploaded(media)))


@router.head("/imagens/{imagem_id}", include_in_schema=False)
@router.get(
    "/imagens/{imagem_id}",
    summary="Obter imagem",
    response_class=Response,
    responses={
        "200": {"description": "A imagem", "headers": _IMAGE_HEADERS},
        "206": {"description": "Parte da imagem (Range)"},
        "304": {"description": "A cópia do cliente está atual (If-None-Match)"},
        "404": json_content(ref("Error"), "Imagem não encontrada"),
    },
)
async def get_image(imagem_id: ImagemId, request: Request, store: MediaDep) -> Response:
    """The image whose sha256 is `imagem_id`, immutable (cached for a year, revalidated by ETag)."""
    return await serve_image(store, imagem_id, request)


@router.head("/media/{file_path:path}", include_in_schema=False)
@router.get(
    "/media/{file_path:path}",
    summary="Obter imagem por caminho de mídia",
    response_class=Response,
    responses={
        "200": {"description": "A imagem", "headers": _IMAGE_HEADERS},
        "404": json_content(ref("Error"), "Arquivo não encontrado"),
    },
)
async def get_media(file_path: Annotated[str, Path(max_length=1000)], request: Request, store: MediaDep) -> Response:
    """A stored image named by a media path whose file name is its sha256 (`pedidos/<id>/<sha256>.jpg`).

    The desktop app asks here for references starting with `pedidos/tmp/` or `pedidos/<id>/`.
    The store is content-addressed, so only the file name matters; anything else is 404
    (no path under the media root is ever opened from the request).
    """
    stem = file_path.replace("\\", "/").rsplit("/", 1)[-1].split(".", 1)[0].lower()
    if len(stem) != 64:
        raise ApiError(404, "not_found", "Arquivo não encontrado")
    return await serve_image(store, stem, request)
