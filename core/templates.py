"""Stored templates: the printed sheet ("ficha") layouts and the report headers/styles (pure, no I/O).

Both are pairs keyed by type (`geral`/`resumo`, `envios`/`fechamentos`);
a type never saved answers its default.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta, Struct

from .decoding import decode_body
from .validation import DomainError

__all__ = [
    "FICHA_TYPES",
    "HTML_MAX_CHARS",
    "RELATORIO_TYPES",
    "FichaField",
    "FichaTemplate",
    "FichaTemplatesPut",
    "HtmlTemplatesPut",
    "RelatorioTemplate",
    "RelatorioTemplatesPut",
    "decode_ficha_templates",
    "decode_html_templates",
    "decode_relatorio_templates",
    "default_template",
    "pair_json",
    "stamp",
    "types_of",
]

FICHA_TYPES = ("geral", "resumo")
RELATORIO_TYPES = ("envios", "fechamentos")
HTML_MAX_CHARS = 2_000_000
Mm = Annotated[float, Meta(ge=0, le=10_000)]
Label = Annotated[str, Meta(max_length=500)]


class FichaField(Struct, kw_only=True, omit_defaults=False):
    """One positioned field of a sheet layout (mm)."""

    id: Label
    type: Literal["text", "date", "number", "currency", "table", "custom", "image"]
    label: Label = ""
    key: Label = ""
    x: Mm = 0.0
    y: Mm = 0.0
    width: Mm = 0.0
    height: Mm = 0.0
    fontSize: Annotated[float, Meta(gt=0, le=500)] = 11.0
    bold: bool = False
    visible: bool = True
    editable: bool = True
    imageUrl: Annotated[str, Meta(max_length=2000)] | None = None


class FichaTemplate(Struct, kw_only=True):
    """A sheet layout (`templateType`, `updatedAt` are filled by the server)."""

    title: Label
    width: Mm
    height: Mm
    marginTop: Mm = 0.0
    marginBottom: Mm = 0.0
    marginLeft: Mm = 0.0
    marginRight: Mm = 0.0
    fields: Annotated[list[FichaField], Meta(max_length=500)] = []
    templateType: str | None = None
    updatedAt: str | None = None


class FichaTemplatesPut(Struct, kw_only=True):
    """PUT /fichas/templates body: the pair (a missing one is left as it is)."""

    geral: FichaTemplate | None = None
    resumo: FichaTemplate | None = None


class HtmlTemplatesPut(Struct, kw_only=True):
    """PUT /fichas/templates/html body: empty or missing strings leave that template as it is."""

    geral: Annotated[str, Meta(max_length=HTML_MAX_CHARS)] | None = None
    resumo: Annotated[str, Meta(max_length=HTML_MAX_CHARS)] | None = None


# Report templates are presentation settings the client owns: kept as sent, bounded by the body size.
Settings = dict[str, Any]


class RelatorioTemplate(Struct, kw_only=True):
    """A printed report's title, header labels, styles, table and page settings."""

    title: Label
    headerFields: dict[str, Any] = {}
    styles: Settings = {}
    tableConfig: Settings | None = None
    pageConfig: Settings | None = None
    updatedAt: str | None = None


class RelatorioTemplatesPut(Struct, kw_only=True):
    """PUT /relatorios/templates body."""

    envios: RelatorioTemplate | None = None
    fechamentos: RelatorioTemplate | None = None


def _field(id_: str, label: str, key: str, x: float, y: float, w: float, h: float, **extra: Any) -> FichaField:
    kind = extra.pop("type", "text")
    return FichaField(id=id_, type=kind, label=label, key=key, x=x, y=y, width=w, height=h, **extra)


def _ficha_default(kind: str) -> FichaTemplate:
    small = kind == "resumo"
    fields = [
        _field("titulo", "FICHA DE PRODUÇÃO", "title", 10, 8, 120, 9, fontSize=15, bold=True, editable=False),
        _field("numero", "Pedido", "numero", 150, 8, 50, 8, bold=True),
        _field("cliente", "Cliente", "cliente", 10, 22, 120, 7),
        _field("entrega", "Entrega", "data_entrega", 150, 22, 50, 7, type="date"),
        _field("itens", "Itens", "items", 10, 34, 190, 90 if small else 180, type="table"),
    ]
    if not small:
        fields.append(_field("total", "Total", "valor_total", 150, 220, 50, 8, type="currency", bold=True))
    return FichaTemplate(
        title=f"Ficha de produção ({kind})", width=210, height=148 if small else 297,
        marginTop=8, marginBottom=8, marginLeft=10, marginRight=10, fields=fields, templateType=kind,
    )  # fmt: skip


def _relatorio_default(kind: str) -> RelatorioTemplate:
    title = "Relatório de envios" if kind == "envios" else "Relatório de fechamento"
    header = {"title": title, "subtitle": "", "periodoLabel": "Período:", "dataGeracaoLabel": "Gerado em:"}
    header["totalPedidosLabel" if kind == "envios" else "statusLabel"] = "Pedidos:" if kind == "envios" else "Situação:"
    return RelatorioTemplate(
        title=title,
        headerFields=header,
        styles={
            "fontFamily": "Arial, Helvetica, sans-serif",
            "fontSize": 11,
            "titleSize": 18,
            "subtitleSize": 13,
            "textColor": "#111827",
            "headerColor": "#1f2937",
            "borderColor": "#d1d5db",
            "backgroundColor": "#ffffff",
        },  # fmt: skip
        tableConfig={
            "showHeader": True,
            "headerStyle": {"backgroundColor": "#e5e7eb", "textColor": "#111827", "bold": True},
            "alternatingRows": True,
            "cellPadding": 5,
        },
        pageConfig={"marginTop": 20, "marginBottom": 20, "marginLeft": 15, "marginRight": 15},
    )


def default_template(kind: str, template_type: str) -> bytes:
    """The default JSON of a ficha (`kind="ficha"`) or report (`kind="relatorio"`) template type."""
    if kind == "ficha":
        return msgspec.json.encode(_ficha_default(template_type))
    return msgspec.json.encode(_relatorio_default(template_type))


_ficha_decoder = msgspec.json.Decoder(FichaTemplatesPut, strict=False)
_html_decoder = msgspec.json.Decoder(HtmlTemplatesPut)
_relatorio_decoder = msgspec.json.Decoder(RelatorioTemplatesPut, strict=False)


def _nothing_sent() -> DomainError:
    return DomainError(None, "envie ao menos um dos templates", "validation_error")


def decode_ficha_templates(body: bytes) -> FichaTemplatesPut:
    """Validate a PUT /fichas/templates body, or raise DomainError naming the field."""
    data = decode_body(_ficha_decoder, body)
    if data.geral is None and data.resumo is None:
        raise _nothing_sent()
    return data


def decode_html_templates(body: bytes) -> HtmlTemplatesPut:
    """Validate a PUT /fichas/templates/html body."""
    return decode_body(_html_decoder, body)


def decode_relatorio_templates(body: bytes) -> RelatorioTemplatesPut:
    """Validate a PUT /relatorios/templates body."""
    data = decode_body(_relatorio_decoder, body)
    if data.envios is None and data.fechamentos is None:
        raise _nothing_sent()
    return data


def types_of(kind: str) -> tuple[str, ...]:
    """The template types of a kind: `ficha` (and `ficha_html`) or `relatorio`."""
    return RELATORIO_TYPES if kind == "relatorio" else FICHA_TYPES


def pair_json(kind: str, rows: list[tuple[str, bytes]]) -> bytes:
    """`{"<type>": <stored or default template>, ...}` from stored (template_type, doc) rows."""
    stored = dict(rows)
    parts = [
        msgspec.json.encode(t) + b":" + (bytes(stored[t]) if t in stored else default_template(kind, t))
        for t in types_of(kind)
    ]
    return b"{" + b",".join(parts) + b"}"


def stamp(doc: bytes, template_type: str, updated_at: str, *, with_type: bool) -> bytes:
    """The template JSON with `updatedAt` (and `templateType` for ficha layouts) set by the server."""
    fields = msgspec.json.decode(doc)
    fields["updatedAt"] = updated_at
    if with_type:
        fields["templateType"] = template_type
    return msgspec.json.encode(fields)
