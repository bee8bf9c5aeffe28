"""Catalog families (clientes, vendedores, ..., máquinas) through the catalogs' own storage path.

Each family names its old table (`legacy_table`); `writer.records.insert_record`
validates an old row like a POST body and stores it with its old id. Old
duplicate names are kept (`check_unique=False`): orders refer to them.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

from core.catalogs import FAMILIES
from core.records import Family
from ipc.errors import CommandError
from writer import schema
from writer.commands.records import insert_record

from .mappers import moment
from .report import ImportReport
from .source import OldDatabase

__all__ = ["import_catalogs"]


def import_catalogs(old: OldDatabase, conn: sqlite3.Connection | None, report: ImportReport, *, resume: bool) -> None:
    """Every family whose old table exists; one transaction per family (a dry run validates only)."""
    now = datetime.now(UTC).replace(tzinfo=None).isoformat(timespec="seconds") + "Z"
    # A dry run validates through the same code into a scratch in-memory database of our schema.
    work = conn if conn is not None else sqlite3.connect(":memory:", isolation_level=None)
    try:
        if conn is None:
            schema.migrate(work)
        for fam in FAMILIES.values():
            if fam.legacy_table in old.tables:
                _family(old, work, report, fam, now, resume)
    finally:
        if conn is None:
            work.close()


def _family(
    old: OldDatabase, work: sqlite3.Connection, report: ImportReport, fam: Family, now: str, resume: bool
) -> None:
    table = report.table(fam.legacy_table, fam.table)
    work.execute("BEGIN IMMEDIATE")
    try:
        for rows in old.all_rows(fam.legacy_table):
            for row in rows:
                table.read += 1
                work.execute("SAVEPOINT record")
                try:
                    insert_record(
                        work,
                        fam,
                        row,
                        now=now,
                        record_id=row.get("id"),
                        created_at=moment(row.get("created_at")),
                        check_unique=False,
                    )
                except CommandError as exc:
                    work.execute("ROLLBACK TO record")
                    if exc.code == "id_taken" and resume:
                        table.imported += 1  # stored by the interrupted run this one resumes
                    else:
                        why = "id already exists in the target" if exc.code == "id_taken" else f"invalid ({exc.code})"
                        table.skip(why, f"{fam.legacy_table} {row.get('id')}: {exc.message}")
                    continue
                finally:
                    work.execute("RELEASE record")
                table.imported += 1
        work.execute("COMMIT")
    except BaseException:
        work.execute("ROLLBACK")
        raise
