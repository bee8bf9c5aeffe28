"""The catalog families (the shop's dropdown lists and address book), each described as data.

Field names, defaults and types are the SGP client's and the old server's
tables' (contract `resources.md`, `sqlite-import.md` "Catalogs"), so every
old row and every client payload fits. Numbers the old tables keep as FLOAT
travel as JSON numbers, as the client reads them; nothing is computed with them.
"""

from __future__ import annotations

import sqlite3
from typing import Annotated

from msgspec import Meta, Struct

from .records import Family

__all__ = ["FAMILIES", "family", "ClienteCreate", "VendedorCreate", "DesignerCreate", "MaterialCreate",
           "MaquinaCreate", "ProducaoCreate", "TipoEnvioCreate", "TipoPagamentoCreate"]  # fmt: skip

Name = Annotated[str, Meta(max_length=200)]
Short = Annotated[str, Meta(max_length=200)]
Note = Annotated[str, Meta(max_length=5000)]
Percent = Annotated[float, Meta(ge=0, le=100)]
Amount = Annotated[float, Meta(ge=0, le=1e12)]
Days = Annotated[int, Meta(ge=0, le=3650)]
Installments = Annotated[int, Meta(ge=0, le=360)]


class ClienteCreate(Struct, kw_only=True):
    """POST /clientes: the client's form sends all five (maybe ""); its CSV import omits empty ones."""

    nome: Name
    cep: Short | None = None
    cidade: Short | None = None
    estado: Short | None = None
    telefone: Short | None = None


class VendedorCreate(Struct, kw_only=True):
    """POST /vendedores."""

    nome: Name
    email: Short | None = None
    telefone: Short | None = None
    comissao_percentual: Percent = 0.0
    ativo: bool = True
    observacao: Note | None = None


class DesignerCreate(Struct, kw_only=True):
    """POST /designers."""

    nome: Name
    email: Short | None = None
    telefone: Short | None = None
    ativo: bool = True
    observacao: Note | None = None


class MaterialCreate(Struct, kw_only=True):
    """POST /materiais; `tipo` is tecido, totem, lona, adesivo, filamento or any other the shop uses."""

    nome: Name
    tipo: Short
    valor_metro: Amount = 0.0
    estoque_metros: Annotated[float, Meta(ge=-1e12, le=1e12)] = 0.0  # stock may run negative
    ativo: bool = True
    observacao: Note | None = None


class MaquinaCreate(Struct, kw_only=True):
    """POST /maquinas (English field names, as the old server and client use)."""

    name: Name
    active: bool = True


class ProducaoCreate(Struct, kw_only=True):
    """POST /producoes: a tipo de produção (English field names, as the old server and client use)."""

    name: Name
    description: Note | None = None
    active: bool = True


class TipoEnvioCreate(Struct, kw_only=True):
    """POST /tipos-envios: a forma de envio; pedidos store its `nome` in `forma_envio`."""

    nome: Name
    valor: Amount | None = 0.0
    prazo_dias: Days = 0
    ativo: bool = True
    observacao: Note | None = None


class TipoPagamentoCreate(Struct, kw_only=True):
    """POST /tipos-pagamentos: a forma de pagamento; pedidos store its id (text) in `tipo_pagamento`."""

    nome: Name
    parcelas_max: Installments = 1
    taxa_percentual: Percent = 0.0
    ativo: bool = True
    observacao: Note | None = None


# Delete rules: only records that pedidos point at by id. Vendedores, designers,
# materiais, producoes and envios are copied into pedidos by name, so deleting
# one changes no pedido. The pedido's JSON doc is read as text: SQLite >= 3.45
# would take a BLOB argument for its binary JSONB format.


def _pagamento_in_use(conn: sqlite3.Connection, record_id: int) -> str | None:
    (count,) = conn.execute(
        "SELECT count(*) FROM pedidos WHERE json_extract(CAST(doc AS TEXT), '$.tipo_pagamento') = ?",
        (str(record_id),),
    ).fetchone()
    if not count:
        return None
    return f"A forma de pagamento {record_id} está em {count} pedido(s); desative-a em vez de excluir."


def _maquina_in_use(conn: sqlite3.Connection, record_id: int) -> str | None:
    (count,) = conn.execute(
        "SELECT count(DISTINCT p.id) FROM pedidos AS p, json_each(CAST(p.doc AS TEXT), '$.items') AS item "
        "WHERE CAST(json_extract(item.value, '$.machine_id') AS TEXT) = ?",
        (str(record_id),),
    ).fetchone()
    if not count:
        return None
    return f"A máquina {record_id} está nos itens de {count} pedido(s); desative-a em vez de excluir."


_LIST = (
    Family(
        "clientes", "clientes", "Cliente", ClienteCreate, active_field=None,
        search_fields=("nome", "cidade", "telefone"), create_status=200,
        delete_message="Cliente deletado com sucesso", description="Clientes (cadastro de endereços)",
        legacy_table="cliente",
    ),
    Family(
        "vendedores", "vendedores", "Vendedor", VendedorCreate, unique=("nome",), description="Vendedores",
        legacy_table="vendedor",
    ),
    Family(
        "designers", "designers", "Designer", DesignerCreate, unique=("nome",), description="Designers",
        legacy_table="designer",
    ),
    Family(
        "materiais", "materiais", "Material", MaterialCreate, search_fields=("nome", "tipo"),
        required_text=("tipo",), unique=("tipo", "nome"), description="Materiais (tecidos, lonas, adesivos...)",
        legacy_table="material",
    ),
    Family(
        "maquinas", "maquinas", "Máquina", MaquinaCreate, name_field="name", active_field="active",
        search_fields=("name",), unique=("name",), delete_rule=_maquina_in_use, feminine=True,
        description="Máquinas (impressoras/RIP)", legacy_table="machines",
    ),
    Family(
        "producoes", "producoes", "Tipo de produção", ProducaoCreate, name_field="name", active_field="active",
        search_fields=("name", "description"), unique=("name",), description="Tipos de produção",
        legacy_table="producoes",
    ),
    Family(
        "tipos-envios", "tipos_envios", "Forma de envio", TipoEnvioCreate, unique=("nome",), feminine=True,
        description="Formas de envio", legacy_table="envio",
    ),
    Family(
        "tipos-pagamentos", "tipos_pagamentos", "Forma de pagamento", TipoPagamentoCreate, unique=("nome",),
        delete_rule=_pagamento_in_use, feminine=True, description="Formas de pagamento",
        legacy_table="payment",
    ),
)  # fmt: skip

FAMILIES: dict[str, Family] = {f.name: f for f in _LIST}
_BY_TABLE = {f.table: f for f in _LIST}


def family(name: str) -> Family:
    """The family of a URL segment ("tipos-envios") or table name ("tipos_envios"); KeyError when unknown."""
    return FAMILIES[name] if name in FAMILIES else _BY_TABLE[name]
