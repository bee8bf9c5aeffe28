"""Print logs, reposições and stored templates, through the reports code's storage functions.

Print logs keep their ids, also those pointing at deleted pedidos or machines
(the old server kept them; they are counted in the warnings). Templates:
`ficha_templates` and `relatorio_templates` rows, validated as a PUT body
would be, and the edited HTML sheets in `<media>/templates/`.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import msgspec

from core.reposicoes import ReposicaoCreate
from core.templates import HTML_MAX_CHARS, FichaTemplate, RelatorioTemplate
from writer.commands.print_logs import insert_print_log
from writer.commands.reposicoes import insert_reposicao
from writer.commands.templates import store_template

from .mappers import moment
from .report import ImportReport
from .source import OldDatabase

__all__ = ["import_print_logs", "import_reposicoes", "import_templates"]

_PRINT_STATUSES = frozenset({"success", "error", "reprint"})
_FICHA_KEYS = ("title", "width", "height", "marginTop", "marginBottom", "marginLeft", "marginRight", "fields")
_RELATORIO_KEYS = ("title", "headerFields", "styles", "tableConfig", "pageConfig")
_HTML = {"geral": "templates/template-geral.html", "resumo": "templates/template-resumo.html"}


def _now() -> str:
    from datetime import UTC, datetime

    return datetime.now(UTC).replace(tzinfo=None).isoformat(timespec="seconds") + "Z"


def import_print_logs(
    old: OldDatabase, conn: sqlite3.Connection | None, report: ImportReport, *, pedido_ids: set[int], resume: bool
) -> None:
    """Every old print log, with its id; one transaction per batch."""
    table = report.table("print_logs", "print_logs")
    orphans = 0
    machines = {row[0] for row in old.conn.execute("SELECT id FROM machines")} if "machines" in old.tables else set()
    now = _now()
    for rows in old.all_rows("print_logs", batch=2000):
        if conn is not None:
            conn.execute("BEGIN IMMEDIATE")
        try:
            for row in rows:
                table.read += 1
                status = str(row.get("status") or "").strip().lower()
                if status not in _PRINT_STATUSES:
                    table.skip(f"unknown status {row.get('status')!r}", f"print_logs {row['id']}")
                    continue
                if row.get("pedido_id") not in pedido_ids or (
                    row.get("printer_id") and row["printer_id"] not in machines
                ):
                    orphans += 1
                if conn is not None:
                    try:
                        insert_print_log(
                            conn, id=row["id"], printer_id=int(row.get("printer_id") or 0),
                            pedido_id=int(row["pedido_id"]), item_id=row.get("item_id"), status=status,
                            error_message=row.get("error_message"), created_at=(moment(row.get("created_at")) or now),
                        )  # fmt: skip
                    except sqlite3.IntegrityError:
                        if resume:
                            table.imported += 1
                        else:
                            table.skip("id already exists in the target", f"print_logs {row['id']}")
                        continue
                    except (TypeError, ValueError) as exc:
                        table.skip("unreadable row", f"print_logs {row['id']}: {exc}")
                        continue
                table.imported += 1
            if conn is not None:
                conn.execute("COMMIT")
        except BaseException:
            if conn is not None:
                conn.execute("ROLLBACK")
            raise
    if orphans:
        report.warn(f"{orphans} print logs point at a deleted pedido or machine (kept, as the old server kept them)")


def import_templates(
    old: OldDatabase, conn: sqlite3.Connection | None, media: Path | None, report: ImportReport
) -> None:
    """Ficha layouts, report templates and the HTML sheets, each validated as the PUT routes validate them."""
    docs: list[tuple[str, str, bytes, str]] = []
    for name, kind, struct, keys in (
        ("ficha_templates", "ficha", FichaTemplate, _FICHA_KEYS),
        ("relatorio_templates", "relatorio", RelatorioTemplate, _RELATORIO_KEYS),
    ):
        table = report.table(name, "templates")
        for rows in old.all_rows(name):
            for row in rows:
                table.read += 1
                doc = _template(row, kind, struct, keys)
                if isinstance(doc, str):
                    table.skip(doc, f"{name} {row.get('id')} ({row.get('template_type')!r})")
                    continue
                docs.append((kind, str(row["template_type"]), doc, moment(row.get("updatedAt")) or _now()))
                table.imported += 1
    if media is not None:
        table = report.table("media/templates/*.html", "templates")
        for template_type, relative in _HTML.items():
            path = media / relative
            if not path.is_file():
                continue
            table.read += 1
            text = path.read_text(encoding="utf-8", errors="replace")
            if len(text) > HTML_MAX_CHARS or not text.strip():
                table.skip("empty or larger than the HTML template limit", relative)
                continue
            docs.append(("ficha_html", template_type, text.encode("utf-8"), _now()))
            table.imported += 1
    if conn is None or not docs:
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        for kind, template_type, doc, updated_at in docs:
            store_template(conn, kind, template_type, doc, updated_at)
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def _template(row: dict[str, Any], kind: str, struct: type, keys: tuple[str, ...]) -> bytes | str:
    if row.get("template_type") not in (("geral", "resumo") if kind == "ficha" else ("envios", "fechamentos")):
        return f"unknown template_type {row.get('template_type')!r}"
    fields: dict[str, Any] = {}
    for key in keys:
        value = row.get(key)
        if isinstance(value, str) and key in ("fields", "headerFields", "styles", "tableConfig", "pageConfig"):
            try:
                value = json.loads(value)
            except ValueError:
                return f"{key} is not JSON"
        if value is not None:
            fields[key] = value
    fields["updatedAt"] = moment(row.get("updatedAt"))
    if kind == "ficha":
        fields["templateType"] = row["template_type"]
    try:
        return msgspec.json.encode(msgspec.convert(fields, struct, strict=False))
    except msgspec.ValidationError as exc:
        return f"does not fit the template schema ({exc})"


def import_reposicoes(
    old: OldDatabase, conn: sqlite3.Connection | None, report: ImportReport, *, pedido_ids: set[int], resume: bool
) -> None:
    """Every old reposição with its id and `REP-<id>` numero, validated as a POST body; one transaction."""
    table = report.table("reposicoes", "reposicoes")
    orphans = 0
    now = _now()
    if conn is not None:
        conn.execute("BEGIN IMMEDIATE")
    try:
        for rows in old.all_rows("reposicoes"):
            for row in rows:
                table.read += 1
                body = {k: v for k, v in row.items() if k not in ("id", "numero", "created_at", "updated_at")}
                try:
                    data = msgspec.convert(
                        {k: v for k, v in body.items() if v is not None}, ReposicaoCreate, strict=False
                    )
                except msgspec.ValidationError as exc:
                    table.skip("does not fit the reposição schema", f"reposicoes {row.get('id')}: {exc}")
                    continue
                if data.order_id not in pedido_ids:
                    orphans += 1
                fields = msgspec.structs.asdict(data)
                fields["data_solicitacao"] = data.data_solicitacao or now[:10]
                fields["numero"] = row.get("numero")
                fields["created_at"] = moment(row.get("created_at"))
                fields["updated_at"] = moment(row.get("updated_at")) or fields["created_at"]
                if conn is not None:
                    conn.execute("SAVEPOINT reposicao")
                    try:
                        insert_reposicao(conn, fields, now=now, id=row["id"])
                    except sqlite3.IntegrityError:
                        conn.execute("ROLLBACK TO reposicao")
                        if resume:
                            table.imported += 1
                        else:
                            table.skip("id or numero already exists in the target", f"reposicoes {row['id']}")
                        continue
                    finally:
                        conn.execute("RELEASE reposicao")
                table.imported += 1
        if conn is not None:
            conn.execute("COMMIT")
    except BaseException:
        if conn is not None:
            conn.execute("ROLLBACK")
        raise
    if orphans:
        report.warn(f"{orphans} reposições point at a deleted pedido (kept)")
