"""Image references: migration 3, the writer's consistency check, and the sweep reading them from a read-only snapshot."""

from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path

import pytest

from core.images import image_url
from ipc.errors import CommandError
from ipc.protocol import ImageRef, ItemImage
from media.sweep import SweepThread
from readers.media_refs import read_referenced_shas
from writer import schema
from writer.commands.media_refs import check_item_images, record_pedido_images

A, B, C = "a" * 64, "b" * 64, "c" * 64


def image(index: int, sha256: str) -> ItemImage:
    return ItemImage(index=index, image=ImageRef(sha256=sha256, mime="image/png", size=10))


def test_upgrading_a_version_2_database_creates_the_new_tables_and_indexes(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "v2.sqlite3", isolation_level=None)
    for script in schema.MIGRATIONS[:2]:
        for statement in schema._statements(script):
            conn.execute(statement)
    conn.execute("PRAGMA user_version=2")
    assert schema.migrate(conn) == schema.SCHEMA_VERSION == len(schema.MIGRATIONS)
    assert all(status == "ok" for status in schema.ensure_indexes(conn).values())
    tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"pedido_imagens", "fichas", "pedido_rascunhos", "rascunho_imagens"} <= tables


def test_check_item_images_requires_rows_to_mirror_the_items() -> None:
    items = [{"imagem": image_url(A)}, {"imagem": None}, {"imagem": image_url(B)}]
    check_item_images(items, [image(0, A), image(2, B)])
    for wrong in ([image(0, A)], [image(0, A), image(2, C)], [image(0, A), image(2, B), image(3, C)],
                  [image(0, A), image(0, A), image(2, B)]):  # fmt: skip
        with pytest.raises(CommandError):
            check_item_images(items, wrong)


def test_the_sweep_reads_references_from_a_read_only_snapshot_and_deletes_only_old_orphans(tmp_path: Path) -> None:
    db = tmp_path / "db.sqlite3"
    conn = schema.open_write_connection(db, synchronous="normal", journal_size_limit=1 << 20)
    schema.migrate(conn)
    conn.execute(
        "INSERT INTO pedidos (id, numero, status, cliente, cliente_busca, data_entrada, prioridade_rank, pronto, "
        "financeiro, conferencia, sublimacao, costura, expedicao, data_criacao, ultima_atualizacao, version, doc) "
        "VALUES (1, '1', 'pendente', 'c', 'c', '2026-11-29', 0, 0, 0, 0, 0, 0, 0, 'x', 'x', 1, '{}')"
    )
    record_pedido_images(conn, 1, [image(0, A)], "now")
    conn.execute(
        "INSERT INTO fichas (nome, imagem_sha256, data_criacao, ultima_atualizacao, version) VALUES ('f', ?, 'x', 'x', 1)",
        (B,),
    )
    # The writer holds an open write transaction meanwhile: the snapshot sees only what committed.
    conn.execute("BEGIN IMMEDIATE")
    record_pedido_images(conn, 1, [image(0, A), image(1, C)], "now")
    assert read_referenced_shas(db) == {A, B}

    media = tmp_path / "media"
    old = time.time() - 120
    for sha256, mtime in ((A, old), (B, old), (C, old), ("d" * 64, time.time())):
        path = media / sha256[:2] / sha256[2:4] / sha256
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x")
        os.utime(path, (mtime, mtime))
    sweeper = SweepThread(media, lambda: read_referenced_shas(db), grace_s=60)
    # C is referenced only by the uncommitted change, and old: the grace period is what must protect such a
    # file (media/sweep.py); committed, it stays for good.
    conn.execute("COMMIT")
    assert sweeper.run_once() == []
    conn.execute("BEGIN IMMEDIATE")
    record_pedido_images(conn, 1, [image(0, A)], "now")
    conn.execute("COMMIT")
    assert sweeper.run_once() == [C]  # referenced (A by a pedido, B by a ficha) and young files stay
    assert sweeper.deleted_total == 1 and sweeper.interval_s == 30
    assert sorted(p.name for p in media.glob("??/??/*")) == [A, B, "d" * 64]
