"""import-sgp refuses what it must not do: damaged files, a running server, a non-empty target, writing on a dry run;
an interrupted import resumes; an old (pre-Alembic) file imports."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest

from core.settings import Settings
from importer import ImportOptions, Progress
from importer import run_import as run_in_process
from tests.importer.oldschema import HEAD, PRE_ALEMBIC, create_old_db, insert
from tests.importer.test_import import run_import
from tests.support import WriterProcess

BASE = dict(
    observacao=None,
    prioridade="NORMAL",
    telefone_cliente="",
    tipo_pagamento="",
    obs_pagamento=None,
    forma_envio="",
    forma_envio_id=0,
    financeiro=0,
    conferencia=0,
    sublimacao=0,
    costura=0,
    expedicao=0,
    pronto=0,
    sublimacao_maquina=None,
    sublimacao_data_impressao=None,
    data_criacao="2026-01-10 09:00:00",
    ultima_atualizacao="2026-01-10 09:00:00",
    valor_total="1.00",
    valor_frete="0.00",
    valor_itens="1.00",
    data_entrada="2026-01-10",
    data_entrega="2026-01-11",
    status="pendente",
    cidade_cliente="A||SP",
)


def _old_db(path: Path, count: int = 5, schema: str = HEAD) -> Path:
    conn = create_old_db(path, schema)
    for i in range(1, count + 1):
        insert(
            conn,
            "pedidos",
            dict(
                BASE,
                id=i,
                numero=f"{i:010d}",
                cliente=f"Cliente {i}",
                items=[{"tipo_producao": "painel", "descricao": "x" * 200}],
            ),
        )
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return path


def _tree(path: Path) -> dict[str, str]:
    if not path.exists():
        return {}
    return {
        str(p.relative_to(path)): hashlib.sha256(p.read_bytes()).hexdigest() for p in path.rglob("*") if p.is_file()
    }


def _pedidos(data: Path) -> list[tuple[int, str]]:
    conn = sqlite3.connect(f"{(data / 'sgp.sqlite3').resolve().as_uri()}?mode=ro", uri=True)
    try:
        return conn.execute("SELECT id, numero FROM pedidos ORDER BY id").fetchall()
    finally:
        conn.close()


def test_a_truncated_file_is_a_clear_error_and_the_target_stays_untouched(tmp_path: Path) -> None:
    old = _old_db(tmp_path / "banco.db", count=400)
    data = old.read_bytes()
    old.write_bytes(data[: len(data) // 2])
    target = tmp_path / "data"
    target.mkdir()
    (target / "keep.txt").write_text("untouched")
    result = run_import(old, "--data-dir", target)
    assert result.returncode == 1
    assert "damaged" in result.stderr or "not a readable SQLite database" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    assert _tree(target) == {"keep.txt": hashlib.sha256(b"untouched").hexdigest()}


def test_a_file_that_is_not_sqlite_is_a_clear_error(tmp_path: Path) -> None:
    old = tmp_path / "banco.db"
    old.write_bytes(b"this is not a database" * 100)
    result = run_import(old, "--data-dir", tmp_path / "data")
    assert result.returncode == 1 and "not a readable SQLite database" in result.stderr
    assert not (tmp_path / "data").exists()


def test_another_sqlite_file_is_not_an_sgp_database(tmp_path: Path) -> None:
    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("CREATE TABLE x (a)").connection.close()
    result = run_import(other, "--data-dir", tmp_path / "data")
    assert result.returncode == 1 and "not an SGP" in result.stderr


def test_dry_run_writes_nothing(tmp_path: Path) -> None:
    old = _old_db(tmp_path / "banco.db")
    result = run_import(old, "--data-dir", tmp_path / "data", "--dry-run")
    assert result.returncode == 0, result.stderr
    assert "dry run: nothing written" in result.stdout and "would import" in result.stdout
    assert not (tmp_path / "data").exists()


def test_a_running_server_on_the_target_is_refused(tmp_path: Path) -> None:
    old = _old_db(tmp_path / "banco.db")
    writer = WriterProcess(tmp_path / "data", admin_password="x" * 12).start()
    try:
        before = _tree(tmp_path / "data")
        result = run_import(old, "--data-dir", tmp_path / "data")
    finally:
        writer.stop()
    assert result.returncode == 1 and "a server is running" in result.stderr
    assert _pedidos(tmp_path / "data") == [] and before


def test_a_target_with_data_needs_merge_which_skips_existing_ids(tmp_path: Path) -> None:
    old = _old_db(tmp_path / "banco.db", count=3)
    assert run_import(old, "--data-dir", tmp_path / "data").returncode == 0
    again = run_import(old, "--data-dir", tmp_path / "data")
    assert again.returncode == 1 and "--merge" in again.stderr
    conn = sqlite3.connect(old)
    insert(conn, "pedidos", dict(BASE, id=4, numero="0000000001", cliente="Novo na loja antiga", items=[]))
    conn.commit()
    conn.close()
    merged = run_import(old, "--data-dir", tmp_path / "data", "--merge")
    assert merged.returncode == 0, merged.stderr
    assert "skipped 3: id already exists in the target" in merged.stdout
    assert _pedidos(tmp_path / "data") == [(1, "0000000001"), (2, "0000000002"), (3, "0000000003"), (4, "0000000004")]


class _Crash(Exception):
    pass


class _CrashAfterFirstBatch(Progress):
    def update(self, table: str, done: int, total: int) -> None:
        if table == "pedidos":
            raise _Crash()


def test_an_interrupted_import_resumes(tmp_path: Path) -> None:
    old = _old_db(tmp_path / "banco.db", count=10)
    settings = Settings.load({"data_dir": tmp_path / "data"}, environ={})
    with pytest.raises(_Crash):
        run_in_process(settings, ImportOptions(source=old, batch=4), progress=_CrashAfterFirstBatch())
    assert [row[0] for row in _pedidos(tmp_path / "data")] == [1, 2, 3, 4]  # the first batch was committed
    result = run_import(old, "--data-dir", tmp_path / "data")
    assert result.returncode == 0, result.stderr
    assert "mode: resume" in result.stdout
    assert [row[0] for row in _pedidos(tmp_path / "data")] == list(range(1, 11))
    assert run_import(old, "--data-dir", tmp_path / "data").returncode == 1  # finished: not twice


def test_a_pre_alembic_file_imports(tmp_path: Path) -> None:
    conn = create_old_db(tmp_path / "banco.db", PRE_ALEMBIC)
    row = {k: v for k, v in BASE.items() if k not in ("financeiro_liberado_em",)}
    insert(
        conn,
        "pedidos",
        dict(
            row,
            id=1,
            numero="0000000001",
            cliente="Antigo",
            status="Em Produção",
            conferencia=None,
            pronto=None,
            items='[{"descricao": "sem tipo"}]',
        ),
    )
    insert(
        conn,
        "user",
        dict(id=1, username="admin", password_hash="admin123", is_admin=1, is_active=1, created_at="", updated_at=None),
    )
    conn.close()
    result = run_import(tmp_path / "banco.db", "--data-dir", tmp_path / "data")
    assert result.returncode == 0, result.stderr
    assert _pedidos(tmp_path / "data") == [(1, "0000000001")]
    db = sqlite3.connect(tmp_path / "data" / "sgp.sqlite3")
    doc, setor = db.execute("SELECT p.doc, u.setor FROM pedidos p, users u").fetchone()
    db.close()
    assert b'"status":"em_producao"' in doc and b'"conferencia":false' in doc and setor == "geral"
