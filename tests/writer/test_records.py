"""The catalog toolkit in-process: the writer's handlers and storage functions on a real SQLite file."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import msgspec
import pytest

from core.catalogs import FAMILIES, family
from core.records import Family
from ipc.errors import CommandError
from ipc.protocol import CreateRecord, DeleteRecord, PatchRecord
from writer import schema
from writer.commands import Context, Outcome, Sequences, execute
from writer.commands.records import insert_record, update_record

NOW = "2026-11-29T22:00:00.000Z"


@pytest.fixture
def conn(tmp_path: Path) -> Iterator[sqlite3.Connection]:
    conn = schema.open_write_connection(tmp_path / "db.sqlite3", synchronous="normal", journal_size_limit=1 << 20)
    schema.migrate(conn)
    yield conn
    conn.close()


def run(conn: sqlite3.Connection, command: object) -> tuple[Outcome, Context]:
    """One command in its own transaction, as the batcher runs it (rolled back when it fails)."""
    last_seq = conn.execute("SELECT coalesce(max(seq), 0) FROM events").fetchone()[0]
    ctx = Context(conn=conn, now=NOW, now_ts=0.0, actor=None, seqs=Sequences(last_seq, 0))
    conn.execute("BEGIN IMMEDIATE")
    try:
        outcome = execute(ctx, command)
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
    return outcome, ctx


def rows(conn: sqlite3.Connection, fam: Family) -> int:
    return conn.execute(f"SELECT count(*) FROM {fam.table}").fetchone()[0]


def test_every_family_creates_patches_and_deletes_with_its_events(conn: sqlite3.Connection) -> None:
    samples = {
        "clientes": {"nome": "Ana"},
        "vendedores": {"nome": "Bia", "comissao_percentual": 5},
        "designers": {"nome": "Caio"},
        "materiais": {"nome": "Tactel", "tipo": "tecido"},
        "maquinas": {"name": "Epson F9470"},
        "producoes": {"name": "painel", "description": "Painel"},
        "tipos-envios": {"nome": "Correios", "valor": 25.5, "prazo_dias": 5},
        "tipos-pagamentos": {"nome": "Pix"},
    }
    assert set(samples) == set(FAMILIES)
    for name, data in samples.items():
        fam = family(name)
        created, ctx = run(conn, CreateRecord(family=name, data=fam.check_create(data)))
        record = msgspec.json.decode(created.body)
        assert created.status == fam.create_status and record["id"] >= 1
        assert record[fam.name_field] == data.get("nome", data.get("name"))
        assert record["created_at"] == NOW
        assert [e.type for e in ctx.events] == [f"{fam.table}_created"]
        event = msgspec.json.decode(ctx.events[0].payload)
        assert event["resource"] == name and event["record_id"] == record["id"] and event["record"] == record

        patched, ctx = run(conn, PatchRecord(family=name, id=record["id"], data={fam.name_field: "Outro nome"}))
        assert msgspec.json.decode(patched.body)[fam.name_field] == "Outro nome"
        assert ctx.events[0].type == f"{fam.table}_updated"

        deleted, ctx = run(conn, DeleteRecord(family=name, id=record["id"]))
        assert deleted.status == (204 if fam.delete_message is None else 200)
        assert ctx.events[0].type == f"{fam.table}_deleted" and rows(conn, fam) == 0


def test_patch_changes_only_the_fields_sent(conn: sqlite3.Connection) -> None:
    fam = family("vendedores")
    body = {"nome": "Bia", "email": "bia@loja", "telefone": None, "comissao_percentual": 7.5, "ativo": True,
            "observacao": "turno da tarde"}  # fmt: skip
    created, _ = run(conn, CreateRecord(family="vendedores", data=fam.check_create(body)))
    record_id = msgspec.json.decode(created.body)["id"]
    patched, _ = run(conn, PatchRecord(family="vendedores", id=record_id, data={"ativo": False}))
    assert msgspec.json.decode(patched.body) == {**body, "id": record_id, "ativo": False, "created_at": NOW,
                                                 "updated_at": NOW}  # fmt: skip
    assert conn.execute("SELECT ativo FROM vendedores WHERE id = ?", (record_id,)).fetchone() == (0,)


def test_unique_names_fold_case_and_accents_and_fail_alone(conn: sqlite3.Connection) -> None:
    run(conn, CreateRecord(family="designers", data={"nome": "João"}))
    with pytest.raises(CommandError) as exc:
        run(conn, CreateRecord(family="designers", data={"nome": "  JOAO "}))
    assert exc.value.code == "duplicate" and exc.value.field == "nome" and "João" not in exc.value.message
    other, _ = run(conn, CreateRecord(family="designers", data={"nome": "Maria"}))
    with pytest.raises(CommandError) as exc:
        run(conn, PatchRecord(family="designers", id=msgspec.json.decode(other.body)["id"], data={"nome": "joão"}))
    assert exc.value.code == "duplicate"
    # Materiais are unique per (tipo, nome): the same name under another tipo is fine.
    run(conn, CreateRecord(family="materiais", data={"nome": "Lona 440", "tipo": "lona"}))
    run(conn, CreateRecord(family="materiais", data={"nome": "Lona 440", "tipo": "adesivo"}))
    with pytest.raises(CommandError):
        run(conn, CreateRecord(family="materiais", data={"nome": "lona 440", "tipo": "Lona"}))
    assert rows(conn, family("designers")) == 2 and rows(conn, family("materiais")) == 2


def test_writer_validates_again_and_names_the_field(conn: sqlite3.Connection) -> None:
    for name, data, field in (
        ("vendedores", {"nome": "   "}, "nome"),
        ("tipos-pagamentos", {"nome": "Cartão", "taxa_percentual": 101}, "taxa_percentual"),
        ("materiais", {"nome": "X"}, "tipo"),
    ):
        with pytest.raises(CommandError) as exc:
            run(conn, CreateRecord(family=name, data=data))
        assert exc.value.code == "validation_error" and exc.value.field == field, exc.value.message
    with pytest.raises(CommandError) as exc:
        run(conn, CreateRecord(family="nao-existe", data={}))
    assert exc.value.field == "family"
    assert all(rows(conn, fam) == 0 for fam in FAMILIES.values())


def test_delete_rules_refuse_records_pedidos_point_at(conn: sqlite3.Connection) -> None:
    pix, _ = run(conn, CreateRecord(family="tipos-pagamentos", data={"nome": "Pix"}))
    epson, _ = run(conn, CreateRecord(family="maquinas", data={"name": "Epson"}))
    pix_id, epson_id = (msgspec.json.decode(o.body)["id"] for o in (pix, epson))
    doc = msgspec.json.encode({"tipo_pagamento": str(pix_id), "items": [{"machine_id": epson_id}]})
    conn.execute(
        "INSERT INTO pedidos (numero, status, cliente, cliente_busca, data_entrada, prioridade_rank, pronto, "
        "financeiro, conferencia, sublimacao, costura, expedicao, data_criacao, ultima_atualizacao, version, doc) "
        "VALUES ('1', 'pendente', 'c', 'c', '2026-11-29', 0, 0, 0, 0, 0, 0, 0, ?, ?, 1, ?)",
        (NOW, NOW, doc),
    )
    for name, record_id in (("tipos-pagamentos", pix_id), ("maquinas", epson_id)):
        with pytest.raises(CommandError) as exc:
            run(conn, DeleteRecord(family=name, id=record_id))
        assert exc.value.code == "in_use" and "desative" in exc.value.message
    conn.execute("DELETE FROM pedidos")
    run(conn, DeleteRecord(family="maquinas", id=epson_id))
    with pytest.raises(CommandError) as exc:
        run(conn, DeleteRecord(family="maquinas", id=epson_id))
    assert exc.value.code == "not_found" and exc.value.message == f"Máquina {epson_id} não encontrada."


def test_import_path_keeps_old_ids_timestamps_and_duplicates(conn: sqlite3.Connection) -> None:
    """insert_record with record_id: an old `producoes` row (0/1 booleans, its created_at) round-trips."""
    fam = family("producoes")
    conn.execute("BEGIN IMMEDIATE")
    old_rows = [
        {"id": 7, "name": "painel", "description": None, "active": 1, "created_at": "2026-01-04 10:00:00"},
        {"id": 9, "name": "Painel", "description": "duplicado no banco antigo", "active": 0, "created_at": None},
    ]
    for row in old_rows:
        insert_record(conn, fam, row, now=NOW, record_id=row["id"], created_at=row["created_at"], check_unique=False)
    with pytest.raises(CommandError) as exc:
        insert_record(conn, fam, old_rows[0], now=NOW, record_id=7, check_unique=False)
    assert exc.value.code == "id_taken"
    conn.execute("COMMIT")
    docs = [msgspec.json.decode(r[0]) for r in conn.execute("SELECT doc FROM producoes ORDER BY id")]
    assert docs == [
        {"id": 7, "name": "painel", "description": None, "active": True, "created_at": "2026-01-04 10:00:00",
         "updated_at": NOW},
        {"id": 9, "name": "Painel", "description": "duplicado no banco antigo", "active": False, "created_at": NOW,
         "updated_at": NOW},
    ]  # fmt: skip
    # New records continue after the imported ids (AUTOINCREMENT), never reusing one.
    created, _ = run(conn, CreateRecord(family="producoes", data={"name": "totem"}))
    assert msgspec.json.decode(created.body)["id"] == 10
    conn.execute("BEGIN IMMEDIATE")
    assert msgspec.json.decode(update_record(conn, fam, 9, {"active": True}, now=NOW))["active"] is True
    conn.execute("COMMIT")
