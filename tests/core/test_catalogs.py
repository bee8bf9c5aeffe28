"""Every column of the old server's catalog tables has a field in its family (sqlite-import.md "Catalogs")."""

from __future__ import annotations

import msgspec
import pytest

from core.catalogs import FAMILIES

# The old tables' columns, as the old server created them (contract sqlite-import.md).
OLD_COLUMNS = {
    "cliente": ("id", "nome", "cep", "cidade", "estado", "telefone"),
    "vendedor": ("id", "nome", "email", "telefone", "comissao_percentual", "ativo", "observacao"),
    "designer": ("id", "nome", "email", "telefone", "ativo", "observacao"),
    "material": ("id", "nome", "tipo", "valor_metro", "estoque_metros", "ativo", "observacao"),
    "payment": ("id", "nome", "parcelas_max", "taxa_percentual", "ativo", "observacao"),
    "envio": ("id", "nome", "valor", "prazo_dias", "ativo", "observacao"),
    "producoes": ("id", "name", "description", "active", "created_at"),
    "machines": ("id", "name", "active", "created_at"),
}


def test_every_old_table_maps_to_one_family() -> None:
    assert sorted(f.legacy_table for f in FAMILIES.values()) == sorted(OLD_COLUMNS)


@pytest.mark.parametrize("name", sorted(FAMILIES))
def test_every_old_column_is_a_field_of_the_answer(name: str) -> None:
    fam = FAMILIES[name]
    fields = {f.name for f in msgspec.structs.fields(fam.record)}
    assert set(OLD_COLUMNS[fam.legacy_table]) <= fields


@pytest.mark.parametrize("name", sorted(FAMILIES))
def test_an_old_row_with_sqlite_values_is_accepted_and_keeps_its_values(name: str) -> None:
    """Old rows hold 0/1 booleans; every column's value comes back unchanged in the record."""
    fam = FAMILIES[name]
    sample = {"id": 5, "nome": "Nome", "name": "Nome", "cep": "1", "cidade": "c", "estado": "ES", "telefone": "t",
              "email": "e", "comissao_percentual": 2.5, "ativo": 0, "active": 0, "observacao": "o", "tipo": "lona",
              "valor_metro": 1.5, "estoque_metros": -2.0, "parcelas_max": 3, "taxa_percentual": 1.25, "valor": None,
              "prazo_dias": 4, "description": "d", "created_at": "2026-01-04 10:00:00"}  # fmt: skip
    row = {column: sample[column] for column in OLD_COLUMNS[fam.legacy_table]}
    values = fam.check_create(row)
    record = msgspec.structs.asdict(fam.build({**values, "id": row["id"], "created_at": row.get("created_at")}))
    for column, value in row.items():
        assert record[column] == value, column
