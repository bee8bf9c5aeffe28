"""Pedidos with their items and images, one batch per transaction."""

from __future__ import annotations

import asyncio
import re
import sqlite3
from dataclasses import dataclass, field
from typing import Any

import msgspec

from core.domain import pedido_from_json, pedido_to_json
from ipc.protocol import ImageRef, ItemImage
from writer.imports import insert_pedido

from .images import ImageResolver, image_reference
from .mappers import MappedPedido, map_pedido
from .report import ImportReport, Progress
from .source import OldDatabase

__all__ = ["PedidoImport"]

_ROW_ID = re.compile(r"(?:^|/)pedidos/imagens/(\d{1,18})$")
# An unresolvable inline image is not copied into the item (it can be megabytes).
_MAX_LEGACY_CHARS = 2048


@dataclass
class PedidoImport:
    """Imports every old pedido whose id the plan has, batch by batch."""

    old: OldDatabase
    conn: sqlite3.Connection | None  # None: dry run
    resolver: ImageResolver
    report: ImportReport
    plan: dict[int, str]
    old_ids: set[int]
    existing: set[int]
    resume: bool
    progress: Progress
    batch: int = 500
    used_rows: set[int] = field(default_factory=set)
    handled: set[int] = field(default_factory=set)  # pedido ids imported now or before (resume)

    async def run(self) -> None:
        """Read, map, resolve images, write; one transaction per batch."""
        table = self.report.table("pedidos", "pedidos")
        total = self.old.count("pedidos")
        for rows in self.old.rows("pedidos", batch=self.batch):
            mapped: list[MappedPedido] = []
            for row in rows:
                table.read += 1
                pedido_id = row["id"]
                if pedido_id in self.existing:
                    if self.resume:
                        table.imported += 1  # stored by the interrupted run this one resumes
                        self.handled.add(pedido_id)
                    else:
                        table.skip(
                            "id already exists in the target (--merge keeps the target's)", f"pedido {pedido_id}"
                        )
                    continue
                notes: list[str] = []
                try:
                    mapped.append(map_pedido(row, self.plan[pedido_id], notes))
                except Exception as exc:  # noqa: BLE001 - one bad row is reported, never the end of the import
                    table.skip(f"unreadable row ({type(exc).__name__})", f"pedido {pedido_id}: {exc}")
                    continue
                for note in notes:
                    self.report.warn(f"pedido {pedido_id}: {note}")
            images = await self._images(mapped)
            self._write(mapped, images, table)
            self.progress.update("pedidos", table.read, total)

    async def _images(self, mapped: list[MappedPedido]) -> dict[int, list[ItemImage]]:
        ids = [m.pedido.id for m in mapped]
        rows_of = self.old.image_rows_of(ids)
        wanted: set[int] = set()
        for m in mapped:
            for item in m.pedido.items:
                value = item.get("imagem")
                if isinstance(value, str) and (match := _ROW_ID.search(value.strip().replace("\\", "/"))):
                    wanted.add(int(match.group(1)))
        rows_by_id = {row["id"]: row for rows in rows_of.values() for row in rows}
        missing = sorted(wanted - rows_by_id.keys())
        for start in range(0, len(missing), 500):
            rows_by_id.update(self.old.image_rows_by_id(missing[start : start + 500]))

        async def one(m: MappedPedido, index: int, item: dict[str, Any]) -> tuple[int, int, Any]:
            sources, old_ref = self.resolver.sources_for_item(
                item, m.original_ids[index], index, rows_of.get(m.pedido.id, []), rows_by_id
            )
            if not sources and old_ref is None:
                return m.pedido.id, index, None
            media, why, row = await self.resolver.resolve(sources)
            return m.pedido.id, index, (media, why, row, old_ref)

        tasks = [one(m, i, item) for m in mapped for i, item in enumerate(m.pedido.items)]
        results = await asyncio.gather(*tasks)
        by_id = {m.pedido.id: m for m in mapped}
        found: dict[int, list[ItemImage]] = {m.pedido.id: [] for m in mapped}
        for pedido_id, index, result in results:
            item = by_id[pedido_id].pedido.items[index]
            if result is None:
                item["imagem"] = item["imagem_path"] = None
                continue
            media, why, row, old_ref = result
            self.report.images.found += 1
            if row is not None:
                self.used_rows.add(row["id"])
            if media is not None:
                self.report.images.stored += 1
                item["imagem"] = item["imagem_path"] = image_reference(media)
                ref = ImageRef(sha256=media.sha256, mime=media.mime, size=media.size)
                found[pedido_id].append(ItemImage(index=index, image=ref))
                continue
            legacy = old_ref or item.get("imagem_path")
            self.report.images.miss(f"pedido {pedido_id} item {index}: {_short(legacy)}: {why}")
            if isinstance(legacy, str) and len(legacy) <= _MAX_LEGACY_CHARS:
                item["imagem_legado"] = legacy
            item["imagem"] = item["imagem_path"] = None
        return found

    def _write(self, mapped: list[MappedPedido], images: dict[int, list[ItemImage]], table: Any) -> None:
        checked = []
        for m in mapped:
            try:  # the stored doc must decode as every later read and PATCH will decode it
                pedido_from_json(pedido_to_json(m.pedido))
            except (msgspec.ValidationError, msgspec.EncodeError, TypeError, ValueError) as exc:
                table.skip("row does not fit the pedido schema", f"pedido {m.pedido.id}: {exc}")
                continue
            checked.append(m)
        if self.conn is None:
            table.imported += len(checked)
            self.handled.update(m.pedido.id for m in checked)
            return
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            for m in checked:
                self.conn.execute("SAVEPOINT pedido")
                try:
                    insert_pedido(self.conn, m.pedido, images[m.pedido.id], m.pedido.data_criacao)
                except sqlite3.IntegrityError as exc:
                    self.conn.execute("ROLLBACK TO pedido")
                    table.skip("conflicts with a row of the target", f"pedido {m.pedido.id}: {exc}")
                    continue
                finally:
                    self.conn.execute("RELEASE pedido")
                table.imported += 1
                self.handled.add(m.pedido.id)
            self.conn.execute("COMMIT")
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise

    def report_unattached(self) -> None:
        """Old image rows no imported item uses: of a deleted pedido, or of an item that no longer exists."""
        for rows in self.old.rows("pedido_imagens", batch=2000):
            for row in rows:
                if row["id"] in self.used_rows:
                    continue
                if row["pedido_id"] not in self.old_ids:
                    why = "its pedido was deleted"
                elif row["pedido_id"] not in self.handled:
                    continue  # its pedido was skipped (and reported) as a whole
                else:
                    why = f"no item {row['item_index']} in pedido {row['pedido_id']}"
                self.report.images.unattached(f"pedido_imagens {row['id']} ({_short(row['path'])}): {why}")


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 100 else text[:97] + "..."
