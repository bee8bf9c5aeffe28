"""Ficha (production sheet) domain: request and response structs, decoding and the row codec (pure, no I/O)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any

import msgspec
from msgspec import UNSET, Meta, Struct, UnsetType

from .decoding import decode_body
from .images import ficha_image_url, image_url
from .validation import normalize_fields

__all__ = [
    "FICHA_COLUMNS",
    "Ficha",
    "FichaCreate",
    "FichaDeleted",
    "FichaPatch",
    "decode_ficha_create",
    "decode_ficha_patch",
    "ficha_from_row",
    "ficha_to_json",
]

Name = Annotated[str, Meta(max_length=200)]
LongText = Annotated[str, Meta(max_length=5000)]
ClientId = Annotated[int, Meta(ge=1, le=2**63 - 1)]


def _normalize_nome(value: str) -> str:
    if not (nome := value.strip()):
        raise ValueError("nome é obrigatório e não pode ficar vazio")
    return nome


_NORMALIZERS = {"nome": _normalize_nome}


class FichaCreate(Struct, kw_only=True):
    """POST body. `imagem_base64` is a data URL (or a stored image's reference); the API stores it
    and clears the field before the command reaches the writer."""

    client_id: ClientId | None = None
    nome: Name
    descricao: LongText | None = None
    imagem_base64: str | None = None

    def __post_init__(self) -> None:
        normalize_fields(self, _NORMALIZERS)


class FichaPatch(Struct, kw_only=True):
    """PATCH body: UNSET fields were not sent and stay; `imagem_base64: null` removes the image."""

    client_id: ClientId | None | UnsetType = UNSET
    nome: Name | UnsetType = UNSET
    descricao: LongText | None | UnsetType = UNSET
    imagem_base64: str | None | UnsetType = UNSET

    def __post_init__(self) -> None:
        normalize_fields(self, _NORMALIZERS)


class Ficha(Struct, kw_only=True):
    """A ficha as served: the image as URLs and its id, never its bytes."""

    id: int
    client_id: int | None = None
    nome: str
    descricao: str | None = None
    imagem_id: str | None = None
    imagem_path: str | None = None  # the image itself (immutable URL, cached by clients)
    imagem_url: str | None = None  # always this ficha's current image
    imagem_mime: str | None = None
    data_criacao: str
    ultima_atualizacao: str
    version: int = 1


class FichaDeleted(Struct):
    """DELETE answer."""

    id: int
    deleted: bool
    seq: int | None = None


# The columns ficha_from_row reads, in order (writer and readers select the same).
FICHA_COLUMNS = "id, client_id, nome, descricao, imagem_sha256, imagem_mime, data_criacao, ultima_atualizacao, version"


def ficha_from_row(row: Sequence[Any]) -> Ficha:
    """Build the served Ficha from a row of FICHA_COLUMNS."""
    ficha_id, client_id, nome, descricao, sha256, mime, criada, atualizada, version = row
    return Ficha(
        id=ficha_id,
        client_id=client_id,
        nome=nome,
        descricao=descricao,
        imagem_id=sha256,
        imagem_path=image_url(sha256) if sha256 else None,
        imagem_url=ficha_image_url(ficha_id) if sha256 else None,
        imagem_mime=mime,
        data_criacao=criada,
        ultima_atualizacao=atualizada,
        version=version,
    )


_encoder = msgspec.json.Encoder()
# Lax mode, as for pedidos: legacy clients send numbers as strings ("12").
_create_decoder = msgspec.json.Decoder(FichaCreate, strict=False)
_patch_decoder = msgspec.json.Decoder(FichaPatch, strict=False)


def ficha_to_json(ficha: Ficha) -> bytes:
    """Encode a Ficha as its wire JSON."""
    return _encoder.encode(ficha)


def decode_ficha_create(body: bytes) -> FichaCreate:
    """Validate a POST body, or raise DomainError naming the field."""
    return decode_body(_create_decoder, body)


def decode_ficha_patch(body: bytes) -> FichaPatch:
    """Validate a PATCH body, or raise DomainError naming the field."""
    return decode_body(_patch_decoder, body)
