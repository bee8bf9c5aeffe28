"""An old SGP server (api-sgp) database, written from the contract's schema (sqlite-import.md), for import tests.

`HEAD` is the schema at Alembic head `b8e4d3f2a1c5`; `PRE_ALEMBIC` is a
late-2025 file that never ran Alembic (no `financeiro_liberado_em`, `setor`,
`password_plain`, nullable flags, `idx_pedidos_*` names).
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

__all__ = ["HEAD", "PRE_ALEMBIC", "create_old_db", "insert", "png", "jpeg"]

HEAD = """
CREATE TABLE pedidos (
    id INTEGER NOT NULL, numero VARCHAR, data_entrada VARCHAR NOT NULL, data_entrega VARCHAR,
    observacao VARCHAR, prioridade VARCHAR(6) NOT NULL, status VARCHAR(50) NOT NULL, cliente VARCHAR NOT NULL,
    telefone_cliente VARCHAR, cidade_cliente VARCHAR, valor_total VARCHAR, valor_frete VARCHAR, valor_itens VARCHAR,
    tipo_pagamento VARCHAR, obs_pagamento VARCHAR, forma_envio VARCHAR, forma_envio_id INTEGER NOT NULL,
    financeiro BOOLEAN NOT NULL, conferencia BOOLEAN NOT NULL, sublimacao BOOLEAN NOT NULL, costura BOOLEAN NOT NULL,
    expedicao BOOLEAN NOT NULL, pronto BOOLEAN NOT NULL, sublimacao_maquina VARCHAR, sublimacao_data_impressao VARCHAR,
    financeiro_liberado_em DATETIME, items VARCHAR, data_criacao DATETIME, ultima_atualizacao DATETIME,
    valor_total_centavos BIGINT,
    PRIMARY KEY (id)
);
CREATE INDEX ix_pedidos_status ON pedidos (status);
CREATE INDEX ix_pedidos_numero ON pedidos (numero);
CREATE INDEX ix_pedidos_cliente ON pedidos (cliente);
CREATE TABLE pedido_imagens (
    id INTEGER NOT NULL, pedido_id INTEGER NOT NULL, item_index INTEGER, item_identificador VARCHAR,
    filename VARCHAR NOT NULL, mime_type VARCHAR NOT NULL, path VARCHAR NOT NULL, tamanho INTEGER NOT NULL,
    criado_em DATETIME NOT NULL, PRIMARY KEY (id), FOREIGN KEY(pedido_id) REFERENCES pedidos (id)
);
CREATE INDEX ix_pedido_imagens_pedido_id ON pedido_imagens (pedido_id);
CREATE TABLE user (
    id INTEGER NOT NULL, username VARCHAR NOT NULL, password_hash VARCHAR NOT NULL, is_admin BOOLEAN NOT NULL,
    is_active BOOLEAN NOT NULL, created_at DATETIME, updated_at DATETIME, setor VARCHAR(50),
    password_plain VARCHAR(200), PRIMARY KEY (id)
);
CREATE UNIQUE INDEX ix_user_username ON user (username);
CREATE TABLE revoked_tokens (id INTEGER NOT NULL, token VARCHAR NOT NULL, expires_at VARCHAR, revoked_at VARCHAR,
    PRIMARY KEY (id));
CREATE TABLE fichas (
    id INTEGER NOT NULL, client_id INTEGER, nome VARCHAR, descricao VARCHAR, imagem_path VARCHAR,
    data_criacao DATETIME, ultima_atualizacao DATETIME, PRIMARY KEY (id)
);
CREATE TABLE machines (id INTEGER NOT NULL, name VARCHAR NOT NULL, active BOOLEAN NOT NULL,
    created_at DATETIME DEFAULT (CURRENT_TIMESTAMP), PRIMARY KEY (id));
CREATE TABLE print_logs (
    id INTEGER NOT NULL, printer_id INTEGER NOT NULL, pedido_id INTEGER NOT NULL, item_id INTEGER,
    status VARCHAR(7) NOT NULL, error_message VARCHAR, created_at DATETIME DEFAULT (CURRENT_TIMESTAMP),
    PRIMARY KEY (id)
);
CREATE TABLE reposicoes (
    id INTEGER NOT NULL, numero VARCHAR NOT NULL, order_id INTEGER NOT NULL, motivo VARCHAR NOT NULL,
    descricao VARCHAR, data_solicitacao DATE NOT NULL, data_entrega_prevista DATE, status VARCHAR NOT NULL,
    prioridade VARCHAR NOT NULL, observacao VARCHAR, financeiro BOOLEAN NOT NULL DEFAULT 0,
    conferencia BOOLEAN NOT NULL DEFAULT 0, sublimacao BOOLEAN NOT NULL DEFAULT 0, costura BOOLEAN NOT NULL DEFAULT 0,
    expedicao BOOLEAN NOT NULL DEFAULT 0, pronto BOOLEAN NOT NULL DEFAULT 0, created_at DATETIME, updated_at DATETIME,
    PRIMARY KEY (id)
);
CREATE UNIQUE INDEX ix_reposicoes_numero ON reposicoes (numero);
CREATE TABLE cliente (id INTEGER NOT NULL, nome VARCHAR NOT NULL, cep VARCHAR NOT NULL, cidade VARCHAR NOT NULL,
    estado VARCHAR NOT NULL, telefone VARCHAR NOT NULL, PRIMARY KEY (id));
CREATE TABLE vendedor (id INTEGER NOT NULL, nome VARCHAR NOT NULL, email VARCHAR, telefone VARCHAR,
    comissao_percentual FLOAT NOT NULL, ativo BOOLEAN NOT NULL, observacao VARCHAR, PRIMARY KEY (id));
CREATE TABLE payment (id INTEGER NOT NULL, nome VARCHAR NOT NULL, parcelas_max INTEGER NOT NULL,
    taxa_percentual FLOAT NOT NULL, ativo BOOLEAN NOT NULL, observacao VARCHAR, PRIMARY KEY (id));
CREATE TABLE envio (id INTEGER NOT NULL, nome VARCHAR NOT NULL, valor FLOAT, prazo_dias INTEGER NOT NULL,
    ativo BOOLEAN NOT NULL, observacao VARCHAR, PRIMARY KEY (id));
CREATE TABLE ficha_templates (id INTEGER NOT NULL, template_type VARCHAR(6) NOT NULL, title VARCHAR NOT NULL,
    width FLOAT NOT NULL, height FLOAT NOT NULL, "marginTop" FLOAT NOT NULL, "marginBottom" FLOAT NOT NULL,
    "marginLeft" FLOAT NOT NULL, "marginRight" FLOAT NOT NULL, fields JSON, "updatedAt" DATETIME, PRIMARY KEY (id));
CREATE TABLE relatorio_templates (id INTEGER NOT NULL, template_type VARCHAR(11) NOT NULL, title VARCHAR NOT NULL,
    "headerFields" JSON NOT NULL, styles JSON NOT NULL, "tableConfig" JSON, "pageConfig" JSON, "updatedAt" DATETIME,
    PRIMARY KEY (id));
CREATE TABLE sync_outbox (id INTEGER NOT NULL, entity VARCHAR, entity_id INTEGER, event_type VARCHAR,
    payload_json VARCHAR, status VARCHAR, PRIMARY KEY (id));
CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL, PRIMARY KEY (version_num));
INSERT INTO alembic_version VALUES ('b8e4d3f2a1c5');
"""

PRE_ALEMBIC = """
CREATE TABLE pedidos (
    id INTEGER NOT NULL, numero VARCHAR NOT NULL, data_entrada VARCHAR NOT NULL, data_entrega VARCHAR,
    observacao TEXT, prioridade VARCHAR(6) NOT NULL, status VARCHAR(11) NOT NULL, cliente VARCHAR NOT NULL,
    telefone_cliente VARCHAR NOT NULL, cidade_cliente VARCHAR NOT NULL, valor_total VARCHAR NOT NULL,
    valor_frete VARCHAR NOT NULL, valor_itens VARCHAR NOT NULL, tipo_pagamento VARCHAR NOT NULL,
    obs_pagamento VARCHAR, forma_envio VARCHAR NOT NULL, forma_envio_id INTEGER NOT NULL,
    financeiro BOOLEAN NOT NULL, sublimacao BOOLEAN NOT NULL, costura BOOLEAN NOT NULL, expedicao BOOLEAN NOT NULL,
    items VARCHAR, data_criacao DATETIME, ultima_atualizacao DATETIME,
    conferencia BOOLEAN DEFAULT 0, sublimacao_maquina TEXT, sublimacao_data_impressao TEXT, pronto BOOLEAN DEFAULT 0,
    PRIMARY KEY (id)
);
CREATE INDEX idx_pedidos_status ON pedidos (status);
CREATE TABLE user (
    id INTEGER NOT NULL, username VARCHAR NOT NULL, password_hash VARCHAR NOT NULL, is_admin BOOLEAN NOT NULL,
    is_active BOOLEAN NOT NULL, created_at TEXT, updated_at TEXT, PRIMARY KEY (id)
);
"""


def create_old_db(path: Path, schema: str = HEAD) -> sqlite3.Connection:
    """A new old-format database in WAL mode; the returned connection never checkpoints on its own."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.executescript(schema)
    return conn


def insert(conn: sqlite3.Connection, table: str, row: dict[str, Any]) -> None:
    """Insert one row; lists and dicts are stored as JSON text, as SQLModel did."""
    values = [json.dumps(v, ensure_ascii=False) if isinstance(v, (list, dict)) else v for v in row.values()]
    columns = ", ".join(f'"{name}"' for name in row)
    conn.execute(f'INSERT INTO "{table}" ({columns}) VALUES ({", ".join("?" * len(row))})', values)


def png(seed: int, size: int = 300) -> bytes:
    """Bytes our media store accepts as PNG (signature first), distinct per seed."""
    body = bytes((seed * 7 + i * 13) % 256 for i in range(size))
    return b"\x89PNG\r\n\x1a\n" + seed.to_bytes(4, "big") + body


def jpeg(seed: int, size: int = 300) -> bytes:
    """Bytes our media store accepts as JPEG, distinct per seed."""
    body = bytes((seed * 11 + i * 5) % 256 for i in range(size))
    return b"\xff\xd8\xff\xe0" + seed.to_bytes(4, "big") + body
