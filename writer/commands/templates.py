"""Template commands: store ficha layouts, report templates and HTML sheets (one row per kind and type)."""

from __future__ import annotations

import sqlite3

import msgspec

from core.templates import pair_json, stamp
from ipc.protocol import PutTemplates

from .context import Context, Outcome

__all__ = ["put_templates", "store_template"]

_json = msgspec.json.Encoder()
HTML_FILES = {"geral": "templates/template-geral.html", "resumo": "templates/template-resumo.html"}


class _HtmlSaved(msgspec.Struct):
    message: str
    files: dict[str, str]


def store_template(conn: sqlite3.Connection, kind: str, template_type: str, doc: bytes, updated_at: str) -> None:
    """Insert or replace one template (importers call this for `ficha_templates`/`relatorio_templates` rows)."""
    conn.execute(
        "INSERT INTO templates (kind, template_type, doc, updated_at) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (kind, template_type) DO UPDATE SET doc = excluded.doc, updated_at = excluded.updated_at",
        (kind, template_type, doc, updated_at),
    )


def put_templates(ctx: Context, cmd: PutTemplates) -> Outcome:
    """Store the templates sent; answers the whole pair (ficha, relatorio) or the saved HTML files."""
    for template_type, doc in cmd.docs.items():
        if cmd.kind != "ficha_html":
            doc = stamp(doc, template_type, ctx.now, with_type=cmd.kind == "ficha")
        store_template(ctx.conn, cmd.kind, template_type, doc, ctx.now)
    seq = ctx.emit_message("templates_updated", None, {"kind": cmd.kind, "types": sorted(cmd.docs)})
    if cmd.kind == "ficha_html":
        files = {t: HTML_FILES[t] for t in sorted(cmd.docs)}
        return Outcome(200, _json.encode(_HtmlSaved("Templates HTML salvos com sucesso", files)), seq)
    rows = ctx.conn.execute("SELECT template_type, doc FROM templates WHERE kind = ?", (cmd.kind,)).fetchall()
    return Outcome(200, pair_json(cmd.kind, rows), seq)
