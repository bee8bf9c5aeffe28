"""The schema's history: every migration in order, and the indexes every start checks.

A schema change is a new migration appended to `MIGRATIONS` (never an edit of one that shipped),
with its indexes in `REQUIRED_INDEXES`.
"""

from __future__ import annotations

from .report_index import REPORT_INDEX_DDL, REPORT_INDEX_UPDATE_DDL, REPORT_INDEXES, REPORT_ROWS_BY_WRITER_DDL

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "REQUIRED_INDEXES"]

# Each migration runs once, in order; PRAGMA user_version records how many ran.
MIGRATIONS: tuple[str, ...] = (
    # 1: pedidos, events, idempotency, meta
    """
    CREATE TABLE meta (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
    ) WITHOUT ROWID;

    CREATE TABLE pedidos (
        id                 INTEGER PRIMARY KEY AUTOINCREMENT,
        numero             TEXT NOT NULL,
        status             TEXT NOT NULL,
        cliente            TEXT NOT NULL,
        cliente_busca      TEXT NOT NULL,   -- folded: lowercase, no accents
        data_entrada       TEXT NOT NULL,
        data_entrega       TEXT,
        prioridade_rank    INTEGER NOT NULL, -- 1 for ALTA, 0 for NORMAL: ALTA first within a day
        pronto             INTEGER NOT NULL,
        financeiro         INTEGER NOT NULL,
        conferencia        INTEGER NOT NULL,
        sublimacao         INTEGER NOT NULL,
        costura            INTEGER NOT NULL,
        expedicao          INTEGER NOT NULL,
        data_criacao       TEXT NOT NULL,
        ultima_atualizacao TEXT NOT NULL,
        version            INTEGER NOT NULL,
        doc                BLOB NOT NULL     -- the pedido's JSON exactly as the API serves it
    );

    CREATE TABLE events (
        seq      INTEGER PRIMARY KEY,
        type     TEXT NOT NULL,
        order_id INTEGER,
        at       REAL NOT NULL,             -- unix time, for retention
        payload  BLOB NOT NULL              -- the JSON message sent to feed clients
    );

    CREATE TABLE idempotency (
        key          TEXT PRIMARY KEY,
        request_hash TEXT NOT NULL,
        status       INTEGER NOT NULL,
        body         BLOB NOT NULL,
        seq          INTEGER,
        created_at   REAL NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX idx_idempotency_created ON idempotency (created_at);
    """,
    # 2: accounts
    """
    CREATE TABLE users (
        id                 INTEGER PRIMARY KEY AUTOINCREMENT,
        username           TEXT NOT NULL,
        username_key       TEXT NOT NULL,   -- casefolded: usernames are unique case-insensitively
        password_hash      TEXT NOT NULL,
        is_admin           INTEGER NOT NULL DEFAULT 0,
        active             INTEGER NOT NULL DEFAULT 1,
        setor              TEXT,
        created_at         TEXT NOT NULL,
        updated_at         TEXT NOT NULL,
        tokens_valid_after REAL NOT NULL DEFAULT 0  -- tokens issued before this are refused
    );

    CREATE TABLE revoked_tokens (
        jti        TEXT PRIMARY KEY,
        user_id    INTEGER NOT NULL,
        expires_at REAL NOT NULL
    ) WITHOUT ROWID;
    """,
    # 3: media references (the files live in the media store) and fichas
    """
    CREATE TABLE pedido_imagens (
        pedido_id  INTEGER NOT NULL REFERENCES pedidos (id) ON DELETE CASCADE,
        item_index INTEGER NOT NULL,        -- position in the pedido's items
        sha256     TEXT NOT NULL,           -- the file's name in the content-addressed store
        mime       TEXT NOT NULL,
        size       INTEGER NOT NULL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (pedido_id, item_index)
    ) WITHOUT ROWID;

    CREATE TABLE fichas (
        id                 INTEGER PRIMARY KEY AUTOINCREMENT,
        client_id          INTEGER,
        nome               TEXT NOT NULL,
        descricao          TEXT,
        imagem_sha256      TEXT,            -- NULL when the ficha has no image
        imagem_mime        TEXT,
        imagem_size        INTEGER,
        data_criacao       TEXT NOT NULL,
        ultima_atualizacao TEXT NOT NULL,
        version            INTEGER NOT NULL
    );
    """,
    # 4: drafts (rascunhos) and their images. Drafts live apart from pedidos, so every
    # list, count, summary and report over `pedidos` leaves them out without knowing of them;
    # they share the pedido id sequence (the client edits a draft at /pedidos/{id}).
    # pedidos.forma_envio: the dashboard counts shipping methods without reading each doc.
    """
    ALTER TABLE pedidos ADD COLUMN forma_envio TEXT;
    UPDATE pedidos SET forma_envio = json_extract(CAST(doc AS TEXT), '$.forma_envio');

    CREATE TABLE pedido_rascunhos (
        id                 INTEGER PRIMARY KEY,
        ultima_atualizacao TEXT NOT NULL,
        version            INTEGER NOT NULL,
        doc                BLOB NOT NULL     -- the draft's JSON exactly as the API serves it
    );

    CREATE TABLE rascunho_imagens (
        rascunho_id INTEGER NOT NULL REFERENCES pedido_rascunhos (id) ON DELETE CASCADE,
        item_index  INTEGER NOT NULL,
        sha256      TEXT NOT NULL,
        mime        TEXT NOT NULL,
        size        INTEGER NOT NULL,
        created_at  TEXT NOT NULL,
        PRIMARY KEY (rascunho_id, item_index)
    ) WITHOUT ROWID;
    """,
    # 5: catalogs (core/catalogs.py), one table per family, all of one shape (core/records.py):
    # nome = the display name, busca = folded searchable text, ativo = the active flag (1 when the
    # family has none), chave = folded unique key (NULL without a unique rule; checked by the writer,
    # not a UNIQUE index, because imported old tables hold duplicates), doc = the record's JSON as served.
    """
    CREATE TABLE clientes (
        id         INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused: clients cache ids
        nome       TEXT NOT NULL,
        busca      TEXT NOT NULL,
        ativo      INTEGER NOT NULL,
        chave      TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        doc        BLOB NOT NULL
    );

    CREATE TABLE vendedores (
        id         INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused: clients cache ids
        nome       TEXT NOT NULL,
        busca      TEXT NOT NULL,
        ativo      INTEGER NOT NULL,
        chave      TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        doc        BLOB NOT NULL
    );

    CREATE TABLE designers (
        id         INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused: clients cache ids
        nome       TEXT NOT NULL,
        busca      TEXT NOT NULL,
        ativo      INTEGER NOT NULL,
        chave      TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        doc        BLOB NOT NULL
    );

    CREATE TABLE materiais (
        id         INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused: clients cache ids
        nome       TEXT NOT NULL,
        busca      TEXT NOT NULL,
        ativo      INTEGER NOT NULL,
        chave      TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        doc        BLOB NOT NULL
    );

    CREATE TABLE maquinas (
        id         INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused: clients cache ids
        nome       TEXT NOT NULL,
        busca      TEXT NOT NULL,
        ativo      INTEGER NOT NULL,
        chave      TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        doc        BLOB NOT NULL
    );

    CREATE TABLE producoes (
        id         INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused: clients cache ids
        nome       TEXT NOT NULL,
        busca      TEXT NOT NULL,
        ativo      INTEGER NOT NULL,
        chave      TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        doc        BLOB NOT NULL
    );

    CREATE TABLE tipos_envios (
        id         INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused: clients cache ids
        nome       TEXT NOT NULL,
        busca      TEXT NOT NULL,
        ativo      INTEGER NOT NULL,
        chave      TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        doc        BLOB NOT NULL
    );

    CREATE TABLE tipos_pagamentos (
        id         INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused: clients cache ids
        nome       TEXT NOT NULL,
        busca      TEXT NOT NULL,
        ativo      INTEGER NOT NULL,
        chave      TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        doc        BLOB NOT NULL
    );
    """,
    # 6: print logs, designer notifications, stored templates, reposições (reports branch)
    """
    CREATE TABLE print_logs (
        id            INTEGER PRIMARY KEY AUTOINCREMENT,
        printer_id    INTEGER NOT NULL,     -- machines.id; 0 = printed from an order without a machine
        pedido_id     INTEGER NOT NULL,     -- no FK: logs outlive their pedido, as they did before
        item_id       INTEGER,              -- stored or synthetic (pedido.id*1000+index) item id; NULL = whole order
        status        TEXT NOT NULL,        -- success | error | reprint
        error_message TEXT,
        created_at    TEXT NOT NULL         -- UTC, YYYY-MM-DDTHH:MM:SS
    );

    CREATE TABLE notificacoes (
        id              INTEGER PRIMARY KEY AUTOINCREMENT,
        notification_id TEXT NOT NULL,      -- uuid the client de-duplicates by
        user_id         INTEGER NOT NULL,   -- recipient
        order_id        INTEGER NOT NULL,
        art_id          INTEGER,            -- item index in the pedido
        tipo            TEXT NOT NULL,
        titulo          TEXT NOT NULL,
        mensagem        TEXT NOT NULL,
        visualizada     INTEGER NOT NULL DEFAULT 0,
        created_at      TEXT NOT NULL,
        read_at         TEXT
    );

    CREATE TABLE templates (
        kind          TEXT NOT NULL,        -- ficha | ficha_html | relatorio
        template_type TEXT NOT NULL,        -- geral | resumo | envios | fechamentos
        doc           BLOB NOT NULL,        -- the template JSON as served, or the HTML text
        updated_at    TEXT NOT NULL,
        PRIMARY KEY (kind, template_type)
    ) WITHOUT ROWID;

    CREATE TABLE reposicoes (
        id                    INTEGER PRIMARY KEY AUTOINCREMENT,
        numero                TEXT NOT NULL, -- REP-<id>
        order_id              INTEGER NOT NULL,
        status                TEXT NOT NULL,
        data_solicitacao      TEXT NOT NULL,
        created_at            TEXT NOT NULL,
        updated_at            TEXT NOT NULL,
        doc                   BLOB NOT NULL  -- every field as served
    );
    """
    + REPORT_INDEX_DDL,
    # 7: report index updates that change no document value rewrite the row columns only (#16)
    REPORT_INDEX_UPDATE_DDL,
    # 8: the writer writes the report rows itself (writer/report_rows.py); only the delete trigger stays (#16)
    REPORT_ROWS_BY_WRITER_DDL,
)
SCHEMA_VERSION = len(MIGRATIONS)

# name -> definition. Checked at every start and rebuilt when missing.
REQUIRED_INDEXES: dict[str, str] = {
    "idx_pedidos_numero": "CREATE UNIQUE INDEX idx_pedidos_numero ON pedidos (numero)",
    "idx_pedidos_status_data": "CREATE INDEX idx_pedidos_status_data ON pedidos (status, data_entrada)",
    "idx_pedidos_status_criacao": "CREATE INDEX idx_pedidos_status_criacao ON pedidos (status, data_criacao)",
    # Default list order: newest data_entrada first, ALTA first within a day.
    "idx_pedidos_entrada_ordem": (
        "CREATE INDEX idx_pedidos_entrada_ordem ON pedidos (data_entrada, prioridade_rank, id)"
    ),
    "idx_pedidos_entrega": "CREATE INDEX idx_pedidos_entrega ON pedidos (data_entrega)",
    # status + date_mode entrega (and the entrega side of qualquer) without reading every row of a status.
    "idx_pedidos_status_entrega": "CREATE INDEX idx_pedidos_status_entrega ON pedidos (status, data_entrega)",
    "idx_pedidos_pronto": "CREATE INDEX idx_pedidos_pronto ON pedidos (pronto, data_entrada)",
    # The desktop app's default tab (is_pronto=false, limit up to 10001) in list order, without a sort.
    "idx_pedidos_pronto_ordem": (
        "CREATE INDEX idx_pedidos_pronto_ordem ON pedidos (pronto, data_entrada, prioridade_rank, id)"
    ),
    # GET /pedidos/summary (the dashboard, every 30 s per client) reads only this covering index.
    "idx_pedidos_painel": (
        "CREATE INDEX idx_pedidos_painel ON pedidos (status, prioridade_rank, data_entrega, data_entrada, "
        "financeiro, conferencia, sublimacao, costura, expedicao, forma_envio, data_criacao, ultima_atualizacao)"
    ),
    "idx_pedidos_criacao": "CREATE INDEX idx_pedidos_criacao ON pedidos (data_criacao)",
    "idx_rascunhos_atualizacao": "CREATE INDEX idx_rascunhos_atualizacao ON pedido_rascunhos (ultima_atualizacao)",
    # GET /summary reads only this covering index: counts per status and pending production steps.
    "idx_pedidos_status_flags": (
        "CREATE INDEX idx_pedidos_status_flags ON pedidos "
        "(status, financeiro, conferencia, sublimacao, costura, expedicao)"
    ),
    "idx_events_order": "CREATE INDEX idx_events_order ON events (order_id)",
    "idx_users_username": "CREATE UNIQUE INDEX idx_users_username ON users (username_key)",
    "idx_revoked_expires": "CREATE INDEX idx_revoked_expires ON revoked_tokens (expires_at)",
    "idx_fichas_client": "CREATE INDEX idx_fichas_client ON fichas (client_id, id)",
    # Print logs: newest first (the list), per printer, and per pedido/item (the re-log on item prints).
    "idx_print_logs_created": "CREATE INDEX idx_print_logs_created ON print_logs (created_at, id)",
    "idx_print_logs_printer": "CREATE INDEX idx_print_logs_printer ON print_logs (printer_id, created_at, id)",
    "idx_print_logs_pedido": "CREATE INDEX idx_print_logs_pedido ON print_logs (pedido_id, item_id)",
    "idx_notificacoes_uuid": "CREATE UNIQUE INDEX idx_notificacoes_uuid ON notificacoes (notification_id)",
    "idx_notificacoes_user": "CREATE INDEX idx_notificacoes_user ON notificacoes (user_id, visualizada, id)",
    "idx_reposicoes_numero": "CREATE UNIQUE INDEX idx_reposicoes_numero ON reposicoes (numero)",
    "idx_reposicoes_order": "CREATE INDEX idx_reposicoes_order ON reposicoes (order_id)",
}
# Catalogs: the /ativos lists (ativo, then id order) and the writer's unique-key lookups.
_CATALOG_TABLES = (
    "clientes", "vendedores", "designers", "materiais", "maquinas", "producoes", "tipos_envios", "tipos_pagamentos",
)  # fmt: skip
REQUIRED_INDEXES.update(REPORT_INDEXES)
for _table in _CATALOG_TABLES:
    REQUIRED_INDEXES[f"idx_{_table}_ativo"] = f"CREATE INDEX idx_{_table}_ativo ON {_table} (ativo, id)"
    REQUIRED_INDEXES[f"idx_{_table}_chave"] = f"CREATE INDEX idx_{_table}_chave ON {_table} (chave)"
