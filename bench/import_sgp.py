"""Import benchmark: an old SGP database of N pedidos with images, imported with `run_server.py import-sgp`.

    python bench/import_sgp.py --pedidos 50000 --data-url-every 10

Builds, in a temp folder, an old-format database (the contract's schema, in
WAL mode) with N pedidos of two items each: every pedido has one image file
in the media folder (a `pedido_imagens` row, a distinct 8 KB JPEG each), and
every `--data-url-every`-th pedido also an inline data-URL image (distinct).
Then it runs the real command line as a child process and reports wall time
and the child's peak RSS, plus the import's own report. Not part of the test
suite; nothing leaves 127.0.0.1 (nothing is networked at all).
"""

from __future__ import annotations

import argparse
import base64
import json
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):  # run as `python bench/import_sgp.py`
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

ROOT = Path(__file__).resolve().parent.parent

_SCHEMA = """
CREATE TABLE pedidos (id INTEGER NOT NULL PRIMARY KEY, numero VARCHAR, data_entrada VARCHAR NOT NULL,
    data_entrega VARCHAR, observacao VARCHAR, prioridade VARCHAR(6) NOT NULL, status VARCHAR(50) NOT NULL,
    cliente VARCHAR NOT NULL, telefone_cliente VARCHAR, cidade_cliente VARCHAR, valor_total VARCHAR,
    valor_frete VARCHAR, valor_itens VARCHAR, tipo_pagamento VARCHAR, obs_pagamento VARCHAR, forma_envio VARCHAR,
    forma_envio_id INTEGER NOT NULL, financeiro BOOLEAN NOT NULL, conferencia BOOLEAN NOT NULL,
    sublimacao BOOLEAN NOT NULL, costura BOOLEAN NOT NULL, expedicao BOOLEAN NOT NULL, pronto BOOLEAN NOT NULL,
    sublimacao_maquina VARCHAR, sublimacao_data_impressao VARCHAR, financeiro_liberado_em DATETIME, items VARCHAR,
    data_criacao DATETIME, ultima_atualizacao DATETIME);
CREATE INDEX ix_pedidos_numero ON pedidos (numero);
CREATE TABLE pedido_imagens (id INTEGER NOT NULL PRIMARY KEY, pedido_id INTEGER NOT NULL, item_index INTEGER,
    item_identificador VARCHAR, filename VARCHAR NOT NULL, mime_type VARCHAR NOT NULL, path VARCHAR NOT NULL,
    tamanho INTEGER NOT NULL, criado_em DATETIME NOT NULL);
CREATE INDEX ix_pedido_imagens_pedido_id ON pedido_imagens (pedido_id);
CREATE TABLE user (id INTEGER NOT NULL PRIMARY KEY, username VARCHAR NOT NULL, password_hash VARCHAR NOT NULL,
    is_admin BOOLEAN NOT NULL, is_active BOOLEAN NOT NULL, created_at DATETIME, updated_at DATETIME,
    setor VARCHAR(50), password_plain VARCHAR(200));
"""

_STATUSES = ("pendente", "Em Produção", "pronto", "entregue", "concluido", "cancelado")


def _image(seed: int, size: int) -> bytes:
    head = b"\xff\xd8\xff\xe0" + seed.to_bytes(8, "big")
    return head + (seed.to_bytes(8, "big") * (size // 8 + 1))[: size - len(head)]


def build(folder: Path, pedidos: int, data_url_every: int, image_bytes: int) -> tuple[Path, Path]:
    """The old database and media folder."""
    media = folder / "media"
    db = folder / "banco.db"
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.executescript(_SCHEMA)
    conn.execute("INSERT INTO user VALUES (1, 'admin', 'admin123', 1, 1, NULL, NULL, 'admin', 'admin123')")
    conn.execute("BEGIN")
    for pid in range(1, pedidos + 1):
        rel = f"pedidos\\{pid}\\{pid:032x}.jpg"  # as a Windows deployment stored it
        path = media / "pedidos" / str(pid) / f"{pid:032x}.jpg"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(_image(pid, image_bytes))
        items = [
            {
                "tipo_producao": "painel",
                "descricao": f"Painel {pid}",
                "valor_unitario": "120.50",
                "valor_painel": "120.50",
                "quantidade_paineis": "2",
                "largura": "3,00",
                "altura": "1,50",
                "acabamento": {"overloque": True, "elastico": False, "ilhos": False},
                "status_arte": "aguardando",
            },
            {"tipo_producao": "lona", "descricao": "Lona", "valor_unitario": "50,00", "quantidade_lona": "1"},
        ]
        if data_url_every and pid % data_url_every == 0:
            items[1]["imagem"] = "data:image/jpeg;base64," + base64.b64encode(_image(10**9 + pid, 4096)).decode()
        numero = f"{pid:010d}" if pid % 1000 else f"{pid - 1:010d}"  # a duplicate every 1000
        conn.execute(
            "INSERT INTO pedidos VALUES (?, ?, '2026-01-10', '2026-01-20', NULL, 'NORMAL', ?, ?, '', 'Vitória||ES',"
            " '291.00', '15,00', '291.00', '2', NULL, 'Correios', 0, 1, 0, 0, 0, 0, 0, NULL, NULL, NULL, ?,"
            " '2026-01-10 09:00:00.000000', '2026-01-10 09:00:00.000000')",
            (pid, numero, _STATUSES[pid % len(_STATUSES)], f"Cliente {pid}", json.dumps(items)),
        )
        conn.execute(
            "INSERT INTO pedido_imagens VALUES (?, ?, 0, NULL, ?, 'image/jpeg', ?, ?, '2026-01-10 09:00:00')",
            (pid, pid, path.name, rel, image_bytes),
        )
    conn.execute("COMMIT")
    conn.close()
    return db, media


def _wait(proc: subprocess.Popen[bytes]) -> tuple[int, float, float | None]:
    """Wait for the child; return its exit code, peak RSS in MB and CPU seconds (user + system; POSIX only)."""
    try:
        import resource  # POSIX

        code = proc.wait()
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        return code, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime
    except ImportError:  # Windows: poll the peak working set
        import psutil

        child = psutil.Process(proc.pid)
        peak = 0
        while proc.poll() is None:
            try:
                peak = max(peak, child.memory_info().peak_wset)
            except psutil.Error:
                break
            time.sleep(0.2)
        return proc.wait(), peak / 1024 / 1024, None


def main() -> int:
    """Build, import, report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pedidos", type=int, default=50_000)
    parser.add_argument("--data-url-every", type=int, default=10, help="every Nth pedido also has an inline image")
    parser.add_argument("--image-bytes", type=int, default=8192)
    parser.add_argument("--keep", action="store_true", help="keep the temp folder")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="sgp-import-bench-"))
    started = time.perf_counter()
    db, media = build(folder, args.pedidos, args.data_url_every, args.image_bytes)
    print(f"built {args.pedidos} old pedidos in {time.perf_counter() - started:.1f} s ({folder})")
    started = time.perf_counter()
    proc = subprocess.Popen(
        [
            sys.executable,
            str(ROOT / "run_server.py"),
            "import-sgp",
            str(db),
            "--media",
            str(media),
            "--data-dir",
            str(folder / "data"),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
    )
    # stdout is read only after exit: the report is small, progress goes to stderr.
    code, peak_mb, cpu_s = _wait(proc)
    seconds = time.perf_counter() - started
    out = proc.stdout.read().decode() if proc.stdout else ""
    print(out)
    cpu = f", {cpu_s:.1f} s CPU (user+system)" if cpu_s is not None else ""
    print(
        f"import-sgp: exit {code}, {seconds:.1f} s wall{cpu}, peak RSS {peak_mb:.0f} MB, "
        f"{args.pedidos / seconds:.0f} pedidos/s"
    )
    if not args.keep:
        import shutil

        shutil.rmtree(folder, ignore_errors=True)
    return code


if __name__ == "__main__":
    sys.exit(main())
