"""`run_server.py import-sgp`: the whole import, table by table.

Order: check the old file (a damaged one stops everything before the target
is touched), inspect the target, plan the order numbers, then users,
pedidos (with items and images), fichas; tables this build has no place for
are counted and reported. Each batch is one transaction, so an interrupted
import keeps what it committed: **re-running the same command resumes it**
(rows already stored are recognised by id and not written again); a finished
import refuses to run twice on the same target unless `--merge`.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from core.passwords import hash_password
from core.settings import Settings
from media import MediaStore
from writer import imports

from .catalogs import import_catalogs
from .errors import ImportFailed
from .extras import import_print_logs, import_reposicoes, import_templates
from .images import CONCURRENCY, ImageResolver
from .mappers import flag, moment, plan_numeros
from .pedidos import PedidoImport
from .report import ImportReport, Progress
from .source import KNOWN_TABLES, NOT_NEEDED, OldDatabase
from .target import IMPORT_STATE_KEY, TargetState, inspect_target, open_target

__all__ = ["ImportOptions", "run_import"]

_BCRYPT_PREFIXES = ("$2a$", "$2b$", "$2y$")
# A password hash nothing verifies against: a user without a password cannot log in until reset.
_NO_PASSWORD = "!"


@dataclass(frozen=True)
class ImportOptions:
    """What the command line asked for."""

    source: Path
    media: Path | None = None
    merge: bool = False
    dry_run: bool = False
    batch: int = 500


def run_import(settings: Settings, options: ImportOptions, progress: Progress | None = None) -> ImportReport:
    """Import the old database (and media) into `settings.data_dir`; raises ImportFailed when it cannot start."""
    return asyncio.run(_run(settings, options, progress or Progress()))


async def _run(settings: Settings, options: ImportOptions, progress: Progress) -> ImportReport:
    started = time.perf_counter()
    # The media store's file I/O runs in the default executor: one thread per file in flight.
    asyncio.get_running_loop().set_default_executor(ThreadPoolExecutor(CONCURRENCY + 4, "import-io"))
    if options.media is not None and not options.media.is_dir():
        raise ImportFailed(f"media folder not found: {options.media}")
    old = OldDatabase(options.source)  # a damaged file stops here, before the target is touched
    conn: sqlite3.Connection | None = None
    try:
        state = inspect_target(settings, options.source, merge=options.merge)
        report = ImportReport(str(options.source), str(settings.data_dir), options.dry_run, mode=state.mode)
        rows = old.pedido_numeros()
        old_ids = {pedido_id for pedido_id, _ in rows}
        if state.mode == "resume":
            taken = {n for i, n in state.numeros.items() if i not in old_ids}
        else:
            taken = set(state.numeros.values())
            rows = [(i, n) for i, n in rows if i not in state.pedido_ids]
        plan, report.renumbered, highest = plan_numeros(rows, taken, state.numero_counter)
        report.next_numero = f"{highest + 1:010d}"
        store = None
        if not options.dry_run:
            conn = open_target(settings, options.source)
            store = MediaStore(settings.media_dir, max_bytes=settings.max_image_bytes)
        resolver = ImageResolver(options.media, store, report.images, max_bytes=settings.max_image_bytes)
        _users(old, conn, state, report)
        pedidos = PedidoImport(
            old,
            conn,
            resolver,
            report,
            plan,
            old_ids,
            state.pedido_ids,
            state.mode == "resume",
            progress,
            batch=options.batch,
        )
        await pedidos.run()
        pedidos.report_unattached()
        await _fichas(old, conn, state, resolver, report)
        import_catalogs(old, conn, report, resume=state.mode == "resume")
        import_print_logs(old, conn, report, pedido_ids=old_ids, resume=state.mode == "resume")
        import_templates(old, conn, options.media, report)
        import_reposicoes(old, conn, report, pedido_ids=old_ids, resume=state.mode == "resume")
        for name, done in report.tables.items():
            if name != "pedidos" and done.read:
                progress.update(name, done.read, done.read)  # the small tables: one line each when done
        _other_tables(old, report)
        if conn is not None:
            conn.execute("BEGIN IMMEDIATE")
            report.epoch = imports.finish(conn, highest)
            conn.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
                (IMPORT_STATE_KEY, json.dumps({"source": str(options.source.resolve()), "finished": True})),
            )
            conn.execute("COMMIT")
        report.seconds = time.perf_counter() - started
        if not options.dry_run:
            stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
            (settings.data_dir / f"import-report-{stamp}.json").write_bytes(report.as_json())
        return report
    finally:
        old.close()
        if conn is not None:
            conn.close()


def _users(old: OldDatabase, conn: sqlite3.Connection | None, state: TargetState, report: ImportReport) -> None:
    table = report.table("user", "users")
    users: list[dict[str, Any]] = []
    keys = set() if state.replace_first_admin else set(state.username_keys)
    for rows in old.rows("user"):
        for row in rows:
            table.read += 1
            user = _map_user(row, state, keys, table, report)
            if user is not None:
                users.append(user)
    if conn is None:
        table.imported += len(users)
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        if state.replace_first_admin and users:
            # The first-start admin of an otherwise empty target gives way to the shop's own users.
            conn.execute("DELETE FROM users")
            report.warn("the target's first-start 'admin' user was replaced by the imported users")
        for user in users:
            imports.insert_user(conn, **user)
            table.imported += 1
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def _map_user(
    row: dict[str, Any], state: TargetState, keys: set[str], table: Any, report: ImportReport
) -> dict[str, Any] | None:
    user_id, username = row["id"], row["username"]
    if not isinstance(username, str) or not username.strip():
        table.skip("empty username", f"user {user_id}")
        return None
    if user_id in state.user_ids and not state.replace_first_admin:
        if state.mode == "resume":
            table.imported += 1  # stored by the interrupted run this one resumes
        else:
            table.skip("id already exists in the target", f"user {user_id} ({username!r})")
        return None
    key = username.casefold()
    if key in keys:
        if key in state.username_keys and not state.replace_first_admin:
            table.skip("username already exists in the target", f"user {user_id} ({username!r})")
            return None
        # Old usernames were unique only with case; ours are unique without it.
        key = f"{key}#{user_id}"
        report.warn(f"user {user_id} {username!r}: same name as another user but for case; logs in as {key!r}")
    keys.add(key)
    stored = row["password_hash"] if isinstance(row["password_hash"], str) else ""
    if stored.startswith(_BCRYPT_PREFIXES) or stored.startswith(("$argon2", "scrypt$")):
        password_hash = stored  # verified as it is; rehashed to argon2id at the next login
    elif stored:
        # A legacy plain-text password: hashed now, so it is never stored in clear here.
        password_hash = hash_password(stored)
        report.warn(f"user {user_id} {username!r}: plain-text password hashed (same password still works)")
    else:
        password_hash = _NO_PASSWORD
        report.warn(f"user {user_id} {username!r}: no password; set one with `run_server.py create-user`")
    created = moment(row["created_at"]) or _now()
    return {
        "id": user_id,
        "username": username,
        "username_key": key,
        "password_hash": password_hash,
        "is_admin": flag(row["is_admin"]),
        "active": True if row["is_active"] is None else flag(row["is_active"]),
        "setor": row["setor"] or "geral",
        "created_at": created,
        "updated_at": moment(row["updated_at"]) or created,
    }


async def _fichas(
    old: OldDatabase, conn: sqlite3.Connection | None, state: TargetState, resolver: ImageResolver, report: ImportReport
) -> None:
    table = report.table("fichas", "fichas")
    for rows in old.rows("fichas"):
        ready = []
        for row in rows:
            table.read += 1
            if row["id"] in state.ficha_ids:
                if state.mode == "resume":
                    table.imported += 1
                else:
                    table.skip("id already exists in the target", f"ficha {row['id']}")
                continue
            image = None
            if row["imagem_path"]:
                report.images.found += 1
                media = await resolver.resolve_file(row["imagem_path"])
                if isinstance(media, str):
                    report.images.miss(f"ficha {row['id']}: {row['imagem_path']!r}: {media}")
                else:
                    report.images.stored += 1
                    image = (media.sha256, media.mime, media.size)
            created = moment(row["data_criacao"]) or _now()
            ready.append(
                {
                    "id": row["id"],
                    "client_id": row["client_id"] if isinstance(row["client_id"], int) else None,
                    "nome": row["nome"] or "",
                    "descricao": row["descricao"],
                    "image": image,
                    "data_criacao": created,
                    "ultima_atualizacao": moment(row["ultima_atualizacao"]) or created,
                }
            )
        if conn is None:
            table.imported += len(ready)
            continue
        conn.execute("BEGIN IMMEDIATE")
        try:
            for ficha in ready:
                imports.insert_ficha(conn, **ficha)
                table.imported += 1
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise


def _other_tables(old: OldDatabase, report: ImportReport) -> None:
    for name, target in KNOWN_TABLES.items():
        if target is not None or name not in old.tables:
            continue
        table = report.table(name, "-")
        table.read = old.count(name)
        if table.read:
            table.skipped["no target in this build (no storage code for it yet)"] = table.read
    for name in sorted(old.tables & NOT_NEEDED):
        table = report.table(name, "-")
        table.read = old.count(name)
        if table.read:
            table.skipped["not needed by the client (sqlite-import.md, note 13)"] = table.read
    extra = old.extra_columns("pedidos")
    if extra:
        report.warn(f"pedidos columns not imported (never read by the API): {', '.join(extra)}")


def _now() -> str:
    return datetime.now(UTC).replace(tzinfo=None).isoformat(timespec="seconds") + "Z"
