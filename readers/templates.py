"""Template reads: the pair of a kind (stored or default) and the stored HTML sheets."""

from __future__ import annotations

from core.templates import pair_json

from .pool import ReaderPool

__all__ = ["template_pair", "html_template", "html_templates"]


async def template_pair(pool: ReaderPool, kind: str) -> bytes:
    """`{type: template}` of `kind` (`ficha` or `relatorio`); a type never saved answers its default."""
    rows = await pool.fetchall("SELECT template_type, doc FROM templates WHERE kind = ?", (kind,), inline=True)
    return pair_json(kind, [(t, bytes(d)) for t, d in rows])


async def html_template(pool: ReaderPool, template_type: str) -> str | None:
    """The stored HTML sheet of a type, or None (never saved, or saved empty)."""
    row = await pool.fetchone(
        "SELECT doc FROM templates WHERE kind = 'ficha_html' AND template_type = ?", (template_type,), inline=True
    )
    if row is None:
        return None
    text = bytes(row[0]).decode("utf-8")
    return text if text.strip() else None


async def html_templates(pool: ReaderPool) -> list[tuple[str, int, str]]:
    """(type, size in bytes, updated_at) of each stored HTML sheet."""
    rows = await pool.fetchall(
        "SELECT template_type, length(doc), updated_at FROM templates WHERE kind = 'ficha_html' ORDER BY 1",
        inline=True,
    )
    return [(t, int(n), u) for t, n, u in rows]
