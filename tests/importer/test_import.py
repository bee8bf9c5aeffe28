"""import-sgp end to end: an old-format database (rows left in its WAL) and media folder, imported with the
real command line, then read back field by field through the real server's HTTP API."""

from __future__ import annotations

import base64
import copy
import hashlib
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import bcrypt
import httpx
import pytest

from tests.importer.oldschema import create_old_db, insert, jpeg, png
from tests.support import ADMIN_PASSWORD, ROOT, ServerProcess

PLAIN = "SEGREDO-PLAIN-7f3a"  # the old password_plain column: must appear nowhere after the import


def _bcrypt(password: str) -> str:
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=4)).decode()


def run_import(*args: str | Path) -> subprocess.CompletedProcess[str]:
    """`python run_server.py import-sgp ...`, as an operator runs it."""
    return subprocess.run(
        [sys.executable, str(ROOT / "run_server.py"), "import-sgp", *map(str, args)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},
    )


# --- the old shop --------------------------------------------------------------------------------

PAINEL = {
    "tipo_producao": "painel",
    "descricao": "Painel fundo",
    "largura": "3,00",
    "altura": "2,50",
    "metro_quadrado": "7,50",
    "vendedor": "Carla",
    "designer": "Rui",
    "tecido": "Oxford",
    "acabamento": {"overloque": True, "elastico": False, "ilhos": True},
    "emenda": "sem-emenda",
    "valor_unitario": "1035.00",
    "valor_painel": "1000.00",
    "valores_adicionais": "20.00",
    "tipo_acabamento": "ilhos",
    "quantidade_ilhos": "10",
    "valor_ilhos": "1,50",
    "quantidade_paineis": "2",
    "status_arte": "liberado",
    "legenda_imagem": "arte final",
    "comentarios": [{"id": "c1", "autor": "Rui", "texto": "ok", "data": "2026-03-11T10:00:00"}],
    "campo_novo_do_cliente": {"nivel": [1, {"x": "y"}]},
}
SEM_TIPO = {"descricao": "Item antigo sem tipo", "valor_unitario": "10,00", "quantidade_paineis": "1"}


def _old_shop(tmp: Path) -> dict[str, Any]:
    """Write the old database and media; returns what the assertions need (the WAL writer stays open)."""
    media = tmp / "shared" / "media"
    db = tmp / "shared" / "db" / "banco.db"
    conn = create_old_db(db)
    files = {
        "pedidos/1/aa11.jpg": jpeg(1),
        "pedidos/tmp/bb22.png": png(2),
        "fichas/1/cc33.png": png(3),
        "pedidos/4/dd44.jpg": jpeg(4),  # a deleted pedido's image
    }
    for rel, data in files.items():
        (media / rel).parent.mkdir(parents=True, exist_ok=True)
        (media / rel).write_bytes(data)
    inline = png(5)
    data_url = "data:image/png;base64," + base64.b64encode(inline).decode()

    users = [
        dict(
            id=1,
            username="admin",
            password_hash=_bcrypt(ADMIN_PASSWORD),
            is_admin=1,
            is_active=1,
            created_at="2025-10-27T12:00:00+00:00",
            updated_at=None,
            setor="admin",
            password_plain=PLAIN,
        ),
        dict(
            id=2,
            username="maria",
            password_hash=_bcrypt("1234"),
            is_admin=0,
            is_active=1,
            created_at="1761566400",
            updated_at="",
            setor=None,
            password_plain=PLAIN,
        ),
        dict(
            id=3,
            username="joao",
            password_hash="senha",
            is_admin=0,
            is_active=1,  # legacy plain text
            created_at=None,
            updated_at=None,
            setor="impressao",
            password_plain=PLAIN,
        ),
        dict(
            id=5,
            username="Ana",
            password_hash=_bcrypt("ana-1"),
            is_admin=0,
            is_active=1,
            created_at=None,
            updated_at=None,
            setor="costura",
            password_plain=None,
        ),
        dict(
            id=6,
            username="ana",
            password_hash=_bcrypt("ana-2"),
            is_admin=0,
            is_active=1,
            created_at=None,
            updated_at=None,
            setor="costura",
            password_plain=None,
        ),
        dict(
            id=8,
            username="José da Silva",
            password_hash=_bcrypt("abc"),
            is_admin=0,
            is_active=1,  # our rules refuse both
            created_at=None,
            updated_at=None,
            setor="vendas",
            password_plain=PLAIN,
        ),
        dict(
            id=7,
            username="ex funcionário",
            password_hash=_bcrypt("saiu-da-loja"),
            is_admin=0,
            is_active=0,
            created_at=None,
            updated_at=None,
            setor="geral",
            password_plain=PLAIN,
        ),
    ]
    for row in users:
        insert(conn, "user", row)

    base = dict(
        observacao=None,
        prioridade="NORMAL",
        telefone_cliente="27999990000",
        tipo_pagamento="2",
        obs_pagamento=None,
        forma_envio="Correios",
        forma_envio_id=0,
        financeiro=0,
        conferencia=0,
        sublimacao=0,
        costura=0,
        expedicao=0,
        pronto=0,
        sublimacao_maquina=None,
        sublimacao_data_impressao=None,
        financeiro_liberado_em=None,
        data_criacao="2026-01-10 09:00:00.123456",
        ultima_atualizacao="2026-01-11 10:00:00",
    )
    pedidos = [
        dict(
            base,
            id=1,
            numero="0000000001",
            data_entrada="2026-01-10",
            data_entrega="2026-01-20",
            status="Em Produção",
            cliente="Loja Ação",
            cidade_cliente="Vitória||ES",
            valor_total="2085.00",
            valor_frete="15,00",
            valor_itens="2070.00",
            financeiro=1,
            prioridade="ALTA",
            financeiro_liberado_em="2026-01-10 11:30:00.500000",
            valor_total_centavos=208500,
            items=[dict(PAINEL), dict(SEM_TIPO)],
        ),
        dict(
            base,
            id=2,
            numero="0000000002",
            data_entrada="2026-01-12T08:15:00",
            data_entrega=None,
            status="concluido",
            cliente="Bar do Zé",
            cidade_cliente="Serra",
            valor_total="30.00",
            valor_frete="0.00",
            valor_itens="30.00",
            pronto=1,
            items=[{"id": 77, "tipo_producao": "totem", "valor_unitario": "30.00", "imagem": data_url}],
        ),
        dict(
            base,
            id=3,
            numero="0000000002",
            data_entrada="2026-01-13",
            data_entrega="2026-01-14",
            status="pendente",
            cliente="Cópia",
            cidade_cliente="Rio - Centro",
            valor_total="0.00",
            valor_frete="R$ 1.234,50",
            valor_itens="0.00",
            items=[{"tipo_producao": "painel", "imagem": "/pedidos/imagens/1", "descricao": "cópia"}],
        ),
        dict(
            base,
            id=5,
            numero=None,
            data_entrada="2026-01-15",
            data_entrega="2026-01-16",
            status="EM_PRODUCAO",
            cliente="Sem número",
            cidade_cliente=None,
            valor_total=None,
            valor_frete=None,
            valor_itens=None,
            items=None,
            data_criacao=None,
        ),
        dict(
            base,
            id=6,
            numero="0000000010",
            data_entrada="2026-01-16",
            data_entrega="2026-01-17",
            status="entregue",
            cliente="Windows",
            cidade_cliente="Cariacica||es",
            valor_total="5.00",
            valor_frete="5.00",
            valor_itens="0.00",
            items=[
                {"tipo_producao": "adesivo", "imagem": "pedidos\\tmp\\bb22.png"},
                {"tipo_producao": "lona", "imagem": "C:\\Users\\loja\\AppData\\images\\x.jpg"},
            ],
        ),
        dict(
            base,
            id=9,
            numero="0000000009",
            data_entrada="2026-01-18",
            data_entrega="2026-01-18",
            status="esquisito",
            cliente="JSON quebrado",
            cidade_cliente="Vila Velha||ES",
            valor_total="0.00",
            valor_frete="0.00",
            valor_itens="0.00",
            items="{not json",
        ),
    ]
    for row in pedidos:
        insert(conn, "pedidos", row)
    insert(
        conn,
        "pedido_imagens",
        dict(
            id=1,
            pedido_id=1,
            item_index=0,
            item_identificador=None,
            filename="aa11.jpg",
            mime_type="image/jpeg",
            path="pedidos\\1\\aa11.jpg",
            tamanho=1,
            criado_em="2026-01-10 09:00:00",
        ),
    )
    insert(
        conn,
        "pedido_imagens",
        dict(
            id=2,
            pedido_id=4,
            item_index=0,
            item_identificador=None,
            filename="dd44.jpg",
            mime_type="image/jpeg",
            path="pedidos/4/dd44.jpg",
            tamanho=1,
            criado_em="2026-01-10 09:00:00",
        ),
    )
    insert(
        conn,
        "fichas",
        dict(
            id=1,
            client_id=3,
            nome="Ficha A",
            descricao="d",
            imagem_path="fichas\\1\\cc33.png",
            data_criacao="2026-01-02 10:00:00",
            ultima_atualizacao=None,
        ),
    )
    insert(
        conn,
        "fichas",
        dict(
            id=2,
            client_id=None,
            nome=None,
            descricao=None,
            imagem_path=None,
            data_criacao=None,
            ultima_atualizacao=None,
        ),
    )
    insert(conn, "machines", dict(id=1, name="Mimaki", active=1))
    insert(conn, "machines", dict(id=3, name="mimaki ", active=0))  # an old duplicate name, kept
    insert(conn, "payment", dict(id=2, nome="PIX", parcelas_max=1, taxa_percentual=0.0, ativo=1, observacao=None))
    insert(conn, "envio", dict(id=4, nome="Correios", valor=None, prazo_dias=5, ativo=1, observacao="PAC"))
    insert(
        conn,
        "vendedor",
        dict(id=9, nome="Carla", email=None, telefone=None, comissao_percentual=2.5, ativo=1, observacao=None),
    )
    insert(
        conn,
        "cliente",
        dict(id=7, nome="Loja Ação", cep="29000-000", cidade="Vitória", estado="ES", telefone="27999990000"),
    )
    insert(conn, "print_logs", dict(id=1, printer_id=1, pedido_id=4, item_id=4000, status="SUCCESS"))  # deleted pedido
    insert(
        conn,
        "print_logs",
        dict(id=5, printer_id=1, pedido_id=1, item_id=1000, status="REPRINT", created_at="2026-01-11 08:00:00"),
    )
    insert(
        conn,
        "ficha_templates",
        {
            "id": 1,
            "template_type": "geral",
            "title": "Ficha da loja",
            "width": 210.0,
            "height": 297.0,
            "marginTop": 5.0,
            "marginBottom": 5.0,
            "marginLeft": 5.0,
            "marginRight": 5.0,
            "updatedAt": "2026-01-05 10:00:00",
            "fields": [
                {
                    "id": "cli",
                    "type": "text",
                    "label": "Cliente",
                    "key": "cliente",
                    "x": 10,
                    "y": 10,
                    "width": 100,
                    "height": 8,
                    "fontSize": 12,
                    "bold": True,
                    "visible": True,
                    "editable": True,
                }
            ],
        },
    )
    insert(
        conn,
        "relatorio_templates",
        {
            "id": 1,
            "template_type": "envios",
            "title": "Envios da loja",
            "headerFields": {"title": "Envios"},
            "styles": {"fontSize": 10},
            "tableConfig": None,
            "pageConfig": {"marginTop": 10},
            "updatedAt": None,
        },
    )
    (media / "templates").mkdir(parents=True)
    (media / "templates" / "template-geral.html").write_text("<html><body>{{cliente}} ção</body></html>", "utf-8")
    insert(
        conn,
        "reposicoes",
        dict(
            id=1,
            numero="REP-1",
            order_id=1,
            motivo="erro",
            data_solicitacao="2026-01-12",
            status="Em Processamento",
            prioridade="ALTA",
            costura=1,
            created_at="2026-01-12 10:00:00",
        ),
    )
    insert(
        conn,
        "reposicoes",
        dict(
            id=3,
            numero="REP-3",
            order_id=4,
            motivo="pedido apagado depois",
            data_solicitacao="2026-01-13",
            status="Pendente",
            prioridade="NORMAL",
        ),
    )
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    # From here on, rows stay in banco.db-wal: the old server is still running.
    conn.execute("PRAGMA wal_autocheckpoint=0")
    insert(
        conn,
        "pedidos",
        dict(
            base,
            id=8,
            numero="0000000011",
            data_entrada="2026-01-17",
            data_entrega="2026-01-19",
            status="cancelado",
            cliente="Só no WAL",
            cidade_cliente="Linhares||ES",
            valor_total="1.00",
            valor_frete="1.00",
            valor_itens="0.00",
            items=[],
        ),
    )
    return {"conn": conn, "db": db, "media": media, "files": files, "inline": inline, "pedidos": pedidos}


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    tmp = tmp_path_factory.mktemp("import")
    old = _old_shop(tmp)
    assert (old["db"].with_name("banco.db-wal")).stat().st_size > 0
    before = hashlib.sha256(old["db"].read_bytes()).hexdigest()
    target = tmp / "data"
    done = run_import(old["db"], "--media", old["media"], "--data-dir", target)
    old.update(target=target, result=done, db_hash_before=before)
    yield old
    old["conn"].close()


@pytest.fixture(scope="module")
def server(shop: dict[str, Any]) -> Iterator[ServerProcess]:
    assert shop["result"].returncode == 0, shop["result"].stderr
    proc = ServerProcess(shop["target"], workers=1).start()  # logs in as the imported admin (bcrypt)
    yield proc
    assert proc.stop() == 0, proc.log()


@pytest.fixture(scope="module")
def http(server: ServerProcess) -> Iterator[httpx.Client]:
    with server.client() as client:
        yield client


def test_the_import_reports_every_table(shop: dict[str, Any]) -> None:
    out = shop["result"].stdout
    assert shop["result"].returncode == 0, shop["result"].stderr
    assert "pedidos" in out and "user" in out and "fichas" in out
    assert "reposições point at a deleted pedido" in out
    assert "print logs point at a deleted pedido" in out
    assert "machines               maquinas                2             2        0" in out
    assert "pedido 3: numero '0000000002' -> '0000000012' (duplicate numero)" in out
    assert "pedido 5: numero None -> '0000000013' (empty numero)" in out
    assert "pedido_imagens 2" in out and "deleted" in out
    assert "x.jpg" in out  # the workstation path that no file answers to
    assert list(shop["target"].glob("import-report-*.json"))


def test_the_shops_file_is_untouched_and_its_wal_was_read(shop: dict[str, Any], http: httpx.Client) -> None:
    assert hashlib.sha256(shop["db"].read_bytes()).hexdigest() == shop["db_hash_before"]
    assert shop["db"].with_name("banco.db-wal").stat().st_size > 0
    assert http.get("/pedidos/8").json()["cliente"] == "Só no WAL"


def _expected_items(pedido_id: int, items: Any) -> list[dict[str, Any]]:
    if not isinstance(items, list):
        return []
    out = copy.deepcopy(items)
    for index, item in enumerate(out):
        item.setdefault("id", pedido_id * 1000 + index)
        if item.get("id") is None:
            item["id"] = pedido_id * 1000 + index
    return out


def _sha(http: httpx.Client, url: str) -> str:
    r = http.get(url)
    assert r.status_code == 200, (url, r.text)
    return hashlib.sha256(r.content).hexdigest()


def test_every_pedido_compares_field_by_field(shop: dict[str, Any], http: httpx.Client) -> None:
    r = http.get("/pedidos", params={"limit": 100})
    assert r.status_code == 200
    assert sorted(p["id"] for p in r.json()) == [1, 2, 3, 5, 6, 8, 9]
    expected_city = {
        1: ("Vitória", "ES"),
        2: ("Serra", None),
        3: ("Rio - Centro", None),
        5: (None, None),
        6: ("Cariacica", "ES"),
        8: ("Linhares", "ES"),
        9: ("Vila Velha", "ES"),
    }
    expected_status = {
        1: "em_producao",
        2: "entregue",
        3: "pendente",
        5: "em_producao",
        6: "entregue",
        8: "cancelado",
        9: "pendente",
    }
    expected_numero = {
        1: "0000000001",
        2: "0000000002",
        3: "0000000012",
        5: "0000000013",
        6: "0000000010",
        8: "0000000011",
        9: "0000000009",
    }
    rows = {p["id"]: p for p in shop["pedidos"]}
    rows[8] = {"id": 8, "items": [], "cliente": "Só no WAL", "telefone_cliente": "27999990000"}
    for pedido_id, old in rows.items():
        got = http.get(f"/pedidos/{pedido_id}").json()
        assert got["id"] == pedido_id
        assert got["numero"] == expected_numero[pedido_id]
        assert got["status"] == expected_status[pedido_id]
        assert (got["cidade_cliente"], got["estado_cliente"]) == expected_city[pedido_id]
        assert got["cliente"] == old["cliente"]
        assert got["telefone_cliente"] == old["telefone_cliente"]
        if pedido_id == 8:
            continue
        for name in ("financeiro", "conferencia", "sublimacao", "costura", "expedicao", "pronto"):
            assert got[name] is bool(old[name]), (pedido_id, name)
        for name in ("observacao", "obs_pagamento", "forma_envio", "tipo_pagamento", "sublimacao_maquina"):
            assert got[name] == old[name], (pedido_id, name)
        assert got["prioridade"] == old["prioridade"]
        # The date; or, where the pedido keeps dates as text, the date-and-time exactly as stored.
        assert got["data_entrada"] in (old["data_entrada"][:10], old["data_entrada"])
        assert got["data_entrega"] == old["data_entrega"]
        items = got["items"]
        expected = _expected_items(pedido_id, old["items"])
        assert len(items) == len(expected)
        for item, want in zip(items, expected, strict=True):
            for key, value in want.items():
                if key not in ("imagem", "imagem_path"):
                    assert item[key] == value, (pedido_id, key)
    one = http.get("/pedidos/1").json()
    assert one["valor_frete"] == "15.00" and one["valor_total"] == "2085.00" and one["valor_itens"] == "2070.00"
    assert one["financeiro_liberado_em"].startswith("2026-01-10T11:30:00.5")
    assert one["data_criacao"].startswith("2026-01-10T09:00:00.123456")
    assert http.get("/pedidos/3").json()["valor_frete"] == "1234.50"
    five = http.get("/pedidos/5").json()
    assert five["items"] == [] and five["data_criacao"].startswith("2026-01-15")
    assert http.get("/pedidos/9").json()["items"] == []


def test_images_arrive_byte_for_byte(shop: dict[str, Any], http: httpx.Client) -> None:
    files, sha = shop["files"], lambda b: hashlib.sha256(b).hexdigest()
    one = http.get("/pedidos/1").json()["items"]
    assert _sha(http, one[0]["imagem"]) == sha(files["pedidos/1/aa11.jpg"])  # pedido_imagens row, backslashes
    assert one[1]["imagem"] is None
    two = http.get("/pedidos/2").json()["items"][0]
    assert two["id"] == 77 and _sha(http, two["imagem"]) == sha(shop["inline"])  # inline data URL
    three = http.get("/pedidos/3").json()["items"][0]
    assert three["imagem"] == one[0]["imagem"]  # a copied /pedidos/imagens/1 reference
    six = http.get("/pedidos/6").json()["items"]
    assert _sha(http, six[0]["imagem"]) == sha(files["pedidos/tmp/bb22.png"])  # a tmp upload, Windows path
    assert six[1]["imagem"] is None
    assert six[1]["imagem_legado"] == "C:\\Users\\loja\\AppData\\images\\x.jpg"
    ficha = http.get("/fichas/1").json()
    assert ficha["nome"] == "Ficha A" and _sha(http, ficha["imagem_path"]) == sha(files["fichas/1/cc33.png"])
    assert http.get("/fichas/2").json()["imagem_id"] is None


def test_catalogs_keep_their_ids_and_old_duplicates(http: httpx.Client) -> None:
    assert http.get("/maquinas/1").json()["name"] == "Mimaki"
    assert http.get("/maquinas/3").json()["active"] is False
    assert http.get("/tipos-pagamentos/2").json()["nome"] == "PIX"
    envio = http.get("/tipos-envios/4").json()
    assert envio["nome"] == "Correios" and envio["prazo_dias"] == 5 and envio["observacao"] == "PAC"
    assert http.get("/vendedores/9").json()["comissao_percentual"] == 2.5
    cliente = http.get("/clientes/7").json()
    assert (cliente["nome"], cliente["cidade"], cliente["cep"]) == ("Loja Ação", "Vitória", "29000-000")


def test_print_logs_and_templates(http: httpx.Client) -> None:
    logs = {log["id"]: log for log in http.get("/print-logs", params={"limit": 100}).json()}
    assert logs[5]["status"] == "reprint" and logs[5]["pedido_id"] == 1 and logs[5]["item_id"] == 1000
    assert logs[1]["pedido_id"] == 4  # kept although its pedido was deleted, as the old server kept it
    geral = http.get("/fichas/templates").json()["geral"]
    assert geral["title"] == "Ficha da loja" and geral["fields"][0]["key"] == "cliente"
    html = http.get("/fichas/templates/html/geral/content").json()
    assert html == {"html": "<html><body>{{cliente}} ção</body></html>", "exists": True}


def test_reposicoes_keep_ids_and_numbers(http: httpx.Client) -> None:
    one = http.get("/reposicoes/1").json()
    assert (one["numero"], one["order_id"], one["status"], one["prioridade"]) == (
        "REP-1",
        1,
        "Em Processamento",
        "ALTA",
    )
    assert one["costura"] is True and one["data_solicitacao"] == "2026-01-12"
    assert http.get("/reposicoes/3").json()["order_id"] == 4  # its pedido was deleted; kept as it was


def test_an_imported_pedido_can_be_edited(http: httpx.Client) -> None:
    current = http.get("/pedidos/1").json()
    r = http.patch("/pedidos/1", json={"items": current["items"], "observacao": "editado depois"})
    assert r.status_code == 200, r.text
    assert r.json()["items"][0]["imagem"] == current["items"][0]["imagem"]


def test_numbering_continues_after_the_highest(http: httpx.Client) -> None:
    r = http.post("/pedidos", json={"cliente": "Novo", "data_entrada": "2026-02-01", "items": []})
    assert r.status_code == 200, r.text
    assert r.json()["numero"] == "0000000014"
    assert r.json()["id"] == 10


def test_old_users_log_in_with_their_old_passwords_and_are_rehashed(
    shop: dict[str, Any], server: ServerProcess
) -> None:
    db = sqlite3.connect(f"{(shop['target'] / 'sgp.sqlite3').resolve().as_uri()}?mode=ro", uri=True)
    try:
        assert db.execute("SELECT password_hash FROM users WHERE id = 2").fetchone()[0].startswith("$2b$")
        for username, password in [
            ("maria", "1234"),
            ("joao", "senha"),
            ("Ana", "ana-1"),
            ("ana#6", "ana-2"),
            ("josé da silva", "abc"),
        ]:
            r = httpx.post(server.base_url + "/auth/login", json={"username": username, "password": password})
            assert r.status_code == 200, (username, r.text)
        r = httpx.post(server.base_url + "/auth/login", json={"username": "maria", "password": "12345"})
        assert r.status_code == 401
        r = httpx.post(server.base_url + "/auth/login", json={"username": "ex funcionário", "password": "saiu-da-loja"})
        assert r.status_code in (401, 403)  # inactive
        hashes = dict(db.execute("SELECT id, password_hash FROM users").fetchall())
        setores = dict(db.execute("SELECT id, setor FROM users").fetchall())
    finally:
        db.close()
    assert hashes[2].startswith("$argon2id$") and hashes[3].startswith("$argon2id$")
    assert setores[2] == "geral" and setores[3] == "impressao"


def test_password_plain_appears_nowhere(shop: dict[str, Any], server: ServerProcess) -> None:
    server.stop()  # checkpointed and closed: the database file holds everything
    needle = PLAIN.encode()
    for path in shop["target"].rglob("*"):
        if path.is_file():
            assert needle not in path.read_bytes(), path
    assert PLAIN not in shop["result"].stdout + shop["result"].stderr
