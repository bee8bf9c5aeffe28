"""What an import did: per table rows read, imported and skipped (with why), images found, stored, missing."""

from __future__ import annotations

import sys
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, TextIO

import msgspec

__all__ = ["ImportReport", "TableReport", "ImageReport", "Progress"]

# Lists in the printed report stop after this many lines; the JSON report has them all.
_SHOWN = 20
# Per-row details kept in memory (the JSON report); counters always count everything.
_KEPT = 10_000


@dataclass
class TableReport:
    """One old table: how many rows were read, imported and skipped, and why."""

    name: str
    target: str
    read: int = 0
    imported: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    details: list[str] = field(default_factory=list)

    def skip(self, reason: str, detail: str) -> None:
        """Count a skipped row under `reason`, keeping `detail` (which row) for the report."""
        self.skipped[reason] += 1
        if len(self.details) < _KEPT:
            self.details.append(f"{detail}: {reason}")


@dataclass
class ImageReport:
    """Item and ficha images: references found, files stored, references that could not be resolved."""

    found: int = 0
    stored: int = 0
    missing: int = 0
    missing_details: list[str] = field(default_factory=list)
    unattached_rows: int = 0
    unattached_details: list[str] = field(default_factory=list)

    def miss(self, detail: str) -> None:
        """Count an image reference whose file could not be found or read."""
        self.missing += 1
        if len(self.missing_details) < _KEPT:
            self.missing_details.append(detail)

    def unattached(self, detail: str) -> None:
        """Count a `pedido_imagens` row that belongs to no imported item."""
        self.unattached_rows += 1
        if len(self.unattached_details) < _KEPT:
            self.unattached_details.append(detail)


@dataclass
class ImportReport:
    """The whole import: tables, images, renumbered orders, warnings."""

    source: str
    target: str
    dry_run: bool
    mode: str = "new"  # new | merge | resume
    tables: dict[str, TableReport] = field(default_factory=dict)
    images: ImageReport = field(default_factory=ImageReport)
    renumbered: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    next_numero: str | None = None
    epoch: str | None = None
    seconds: float = 0.0

    def table(self, name: str, target: str) -> TableReport:
        """The report of old table `name` (created on first use)."""
        if name not in self.tables:
            self.tables[name] = TableReport(name, target)
        return self.tables[name]

    def warn(self, message: str) -> None:
        """Something imported, but not exactly as it was (say what changed)."""
        if len(self.warnings) < _KEPT:
            self.warnings.append(message)

    def as_json(self) -> bytes:
        """The full report as JSON (every detail kept)."""
        return msgspec.json.format(msgspec.json.encode(_plain(self)))

    def render(self) -> str:
        """The printed report: totals per table, then the first lines of each list."""
        verb = "would import" if self.dry_run else "imported"
        lines = [
            f"SGP import {'(dry run: nothing written) ' if self.dry_run else ''}from {self.source}",
            f"  into {self.target} (mode: {self.mode}) in {self.seconds:.1f} s",
            "",
            f"  {'table':<22} {'target':<16} {'read':>8} {verb:>13} {'skipped':>8}",
        ]
        for t in self.tables.values():
            skipped = sum(t.skipped.values())
            lines.append(f"  {t.name:<22} {t.target:<16} {t.read:>8} {t.imported:>13} {skipped:>8}")
            for reason, count in t.skipped.most_common():
                lines.append(f"      skipped {count}: {reason}")
        i = self.images
        lines += [
            "",
            f"  images: {i.found} referenced, {i.stored} {'readable' if self.dry_run else 'stored'}, "
            f"{i.missing} missing, {i.unattached_rows} old image rows attached to no item",
        ]
        if self.next_numero:
            lines.append(f"  next automatic numero: {self.next_numero}")
        if self.epoch:
            lines.append(f"  new event-log epoch: {self.epoch} (connected clients refetch)")
        sections = [
            ("renumbered orders (duplicate or empty numero)", self.renumbered),
            ("missing images", i.missing_details),
            ("old image rows attached to no item", i.unattached_details),
            ("warnings", self.warnings),
        ]
        for t in self.tables.values():
            sections.append((f"skipped rows of {t.name}", t.details))
        for title, items in sections:
            if not items:
                continue
            lines += ["", f"  {title} ({len(items)}):"]
            lines += [f"    {item}" for item in items[:_SHOWN]]
            if len(items) > _SHOWN:
                lines.append(f"    ... and {len(items) - _SHOWN} more (see the JSON report)")
        return "\n".join(lines)


def _plain(value: Any) -> Any:
    if isinstance(value, Counter):
        return dict(value)
    if hasattr(value, "__dataclass_fields__"):
        return {name: _plain(getattr(value, name)) for name in value.__dataclass_fields__}
    if isinstance(value, dict):
        return {key: _plain(inner) for key, inner in value.items()}
    if isinstance(value, list):
        return [_plain(inner) for inner in value]
    return value


class Progress:
    """A counter per table on stderr, about every `every` rows, so a long import shows it moves."""

    def __init__(self, stream: TextIO | None = None, every: int = 5000) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.every = every
        self._shown: dict[str, int] = {}

    def update(self, table: str, done: int, total: int) -> None:
        """Print `table: done/total` when `every` more rows are done, and at the end of the table."""
        if done - self._shown.get(table, 0) >= self.every or (done >= total and self._shown.get(table) != done):
            self._shown[table] = done
            self.stream.write(f"  {table}: {done}/{total}\n")
            self.stream.flush()
