"""The catalog routes: one router factory gives every family of core.catalogs the same calls.

    GET    /<family>              list (all records by default; `ativo`, `busca`, `skip`, `limit`)
    GET    /<family>/ativos       the active ones (families with an active flag)
    POST   /<family>              create: 201 (clientes: 200, as the old server)
    GET    /<family>/{record_id}  one record
    PATCH  /<family>/{record_id}  the fields sent
    DELETE /<family>/{record_id}  204 (clientes: 200 with a message, as the old server)

Bodies are validated here (422 naming the field, nothing written); the
writer validates again, applies unique and delete rules (409) and appends
the `<table>_created|updated|deleted` event in the same transaction.
"""

# No `from __future__ import annotations`: FastAPI resolves string annotations in the module
# globals, and the route functions below use aliases local to the factory.

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from starlette.responses import Response

from core.catalogs import FAMILIES
from core.records import Family
from ipc.protocol import CreateRecord, DeleteRecord, Ok, PatchRecord
from readers.records import RecordFilter, get_record_doc, list_record_docs

from ..body import read_body
from ..commands import Caller
from ..deps import ReaderDep, SettingsDep, WriterDep
from ..errors import ApiError
from ..page import page_limit
from ..responses import Responses, committed, json_content, json_response, ref

__all__ = ["record_router", "routers", "SCHEMAS"]

SCHEMAS = tuple(schema for fam in FAMILIES.values() for schema in fam.schemas)

_ERRORS: Responses = {
    "422": json_content(ref("Error"), "Campo inválido (nada foi gravado)"),
    "503": json_content(ref("Error"), "Gravação indisponível; tente de novo (Retry-After)"),
}
_WRITE_HEADERS = {"X-SGP-Seq": {"description": "Número do evento gravado", "schema": {"type": "integer"}}}
_PAGE_HEADERS = {"X-Total-Count": {"description": "Total de registros do filtro", "schema": {"type": "integer"}}}


def _answer(ok: Ok) -> Response:
    if ok.status == 204:  # no body, not even JSON's empty string
        return Response(status_code=204, headers={"X-SGP-Seq": str(ok.seq)} if ok.seq is not None else None)
    return committed(ok)


def record_router(fam: Family) -> APIRouter:
    """The routes of one family, declared without a trailing slash (both forms answer)."""
    router = APIRouter(prefix=f"/{fam.name}", tags=[fam.name])
    base = fam.record.__name__
    record_id_param = Annotated[int, Path(ge=1, le=2**63 - 1, description=f"Id ({fam.label.lower()})")]
    not_found: Responses = {
        "404": json_content(ref("Error"), f"{fam.label} não encontrad{'a' if fam.feminine else 'o'}")
    }
    conflict: Responses = {"409": json_content(ref("Error"), "Conflito: nome repetido ou registro em uso")}
    page: Responses = {"200": {**json_content({"type": "array", "items": ref(base)}), "headers": _PAGE_HEADERS}}

    def body_spec(schema: str) -> dict[str, Any]:
        return {"requestBody": {"required": True, "content": {"application/json": {"schema": ref(schema)}}}}

    def written(status: int, description: str) -> Responses:
        return {str(status): {**json_content(ref(base), description), "headers": _WRITE_HEADERS}}

    async def page_of(readers: ReaderDep, settings: SettingsDep, filters: dict[str, Any]) -> Response:
        limit = page_limit(filters.pop("limit"), settings.max_catalog_rows, "SGP_MAX_CATALOG_ROWS")
        query = RecordFilter(limit=limit, **filters)
        docs, total = await list_record_docs(readers, fam, query)
        return json_response(b"[" + b",".join(docs) + b"]", headers={"X-Total-Count": str(total)})

    Busca = Annotated[str | None, Query(max_length=200, description="Trecho do nome (sem diferenciar acentos)")]
    Skip = Annotated[int, Query(ge=0, le=10_000_000)]
    Limit = Annotated[int | None, Query(ge=1, description="Padrão e máximo: SGP_MAX_CATALOG_ROWS (lista inteira)")]

    @router.get("", name=f"list_{fam.table}", summary=f"Listar: {fam.description}", response_class=Response,
                responses={**page, **_ERRORS})  # fmt: skip
    async def list_records(
        readers: ReaderDep,
        settings: SettingsDep,
        ativo: Annotated[bool | None, Query(description="Só ativos (true) ou inativos (false)")] = None,
        busca: Busca = None,
        skip: Skip = 0,
        limit: Limit = None,
    ) -> Response:
        """Every record in id order (the client reads the whole list); total in `X-Total-Count`."""
        return await page_of(readers, settings, {"ativo": ativo, "busca": busca, "skip": skip, "limit": limit})

    if fam.active_field is not None:

        @router.get("/ativos", name=f"list_{fam.table}_ativos", summary=f"Ativos: {fam.description}",
                    response_class=Response, responses={**page, **_ERRORS})  # fmt: skip
        async def list_active(
            readers: ReaderDep, settings: SettingsDep, busca: Busca = None, skip: Skip = 0, limit: Limit = None
        ) -> Response:
            """The active records, in id order."""
            return await page_of(readers, settings, {"ativo": True, "busca": busca, "skip": skip, "limit": limit})

    @router.post("", name=f"create_{fam.table}", summary=f"Criar: {fam.description}", response_class=Response,
                 status_code=fam.create_status, openapi_extra=body_spec(fam.create.__name__),
                 responses={**written(fam.create_status, "Criado"), **conflict, **_ERRORS})  # fmt: skip
    async def create_record(request: Request, writer: WriterDep, settings: SettingsDep) -> Response:
        """Create a record from the client's payload."""
        body = await read_body(request, settings.max_body_bytes)
        data = fam.decode_create(body)
        return _answer(await Caller.of(request, body).call(writer, CreateRecord(family=fam.name, data=data)))

    @router.get("/{record_id:int}", name=f"get_{fam.table}", summary=f"Obter: {fam.description}",
                response_class=Response, responses={"200": json_content(ref(base)), **not_found})  # fmt: skip
    async def get_record(record_id: record_id_param, readers: ReaderDep) -> Response:
        """One record."""
        doc = await get_record_doc(readers, fam, record_id)
        if doc is None:
            raise ApiError(404, "not_found", fam.not_found(record_id))
        return json_response(doc)

    @router.patch("/{record_id:int}", name=f"patch_{fam.table}", summary=f"Alterar: {fam.description}",
                  response_class=Response, openapi_extra=body_spec(fam.patch.__name__),
                  responses={**written(200, "Alterado"), **not_found, **conflict, **_ERRORS})  # fmt: skip
    async def patch_record(record_id: record_id_param, request: Request, writer: WriterDep,
                           settings: SettingsDep) -> Response:  # fmt: skip
        """Change the fields sent; the others stay as stored (an `id` in the body is ignored)."""
        body = await read_body(request, settings.max_body_bytes)
        data = fam.decode_patch(body)
        return _answer(
            await Caller.of(request, body).call(writer, PatchRecord(family=fam.name, id=record_id, data=data))
        )

    deleted: Responses = (
        {"204": {"description": "Excluído", "headers": _WRITE_HEADERS}}
        if fam.delete_message is None
        else {"200": json_content({"type": "object", "properties": {"message": {"type": "string"}}}, "Excluído")}
    )

    @router.delete("/{record_id:int}", name=f"delete_{fam.table}", summary=f"Excluir: {fam.description}",
                   response_class=Response, status_code=204 if fam.delete_message is None else 200,
                   responses={**deleted, **not_found, **conflict, "503": _ERRORS["503"]})  # fmt: skip
    async def delete_record(record_id: record_id_param, request: Request, writer: WriterDep) -> Response:
        """Delete a record; 409 when its family's rule finds it in use, a second delete is 404."""
        return _answer(await Caller.of(request).call(writer, DeleteRecord(family=fam.name, id=record_id)))

    return router


def routers() -> list[APIRouter]:
    """One router per family of core.catalogs, in their declared order."""
    return [record_router(fam) for fam in FAMILIES.values()]
