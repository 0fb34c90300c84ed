"""``store copy``: a whole history from one store to another (SQLite ↔ PostgreSQL), with a
row count and a checksum per table on both sides so the copy can be verified.

The target must be empty (no run saved yet); the copy is one transaction under the run
lock, so a copy that fails half-way leaves the target as empty as it was.  Ids are kept,
so change ids (``check --json``) and announcement ids (``show``) mean the same afterwards.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cnca_watch.errors import StoreError
from cnca_watch.store.backend import Db
from cnca_watch.store.database import Store

BATCH = 500
NOT_COPIED = {"meta"}  # each store keeps its own schema marks


@dataclass(frozen=True, slots=True)
class TableCopy:
    table: str
    rows_from: int
    rows_to: int
    checksum_from: str
    checksum_to: str

    @property
    def same(self) -> bool:
        return (self.rows_from, self.checksum_from) == (self.rows_to, self.checksum_to)


def tables(db: Db) -> list[str]:
    """The store's ordinary tables (not SQLite's own, nor full-text index internals)."""
    if db.dialect == "sqlite":
        rows = db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            " AND sql NOT LIKE 'CREATE VIRTUAL%' ORDER BY name"
        ).fetchall()
        virtual = [
            name
            for (name,) in db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND sql LIKE 'CREATE VIRTUAL%'"
            ).fetchall()
        ]
        return [n for (n,) in rows if not any(n.startswith(v + "_") for v in virtual)]
    rows = db.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
        " AND table_type = 'BASE TABLE' ORDER BY table_name"
    ).fetchall()
    return [str(n) for (n,) in rows]


def columns(db: Db, table: str) -> list[str]:
    return db.columns(table)


def _ordered_select(table: str, names: list[str]) -> str:
    order = ", ".join(f'"{n}" NULLS FIRST' for n in names)  # the same order on both databases
    return f'SELECT {", ".join(chr(34) + n + chr(34) for n in names)} FROM "{table}" ORDER BY {order}'


def _spelled(value: Any) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).hex()
    return str(value)


def fingerprint(db: Db, table: str, names: list[str]) -> tuple[int, str]:
    """(rows, checksum) of ``table``'s ``names`` columns, independent of the database."""
    digest = hashlib.sha256()
    rows = 0
    for row in db.execute(_ordered_select(table, names)).fetchall():
        digest.update("\x1f".join(_spelled(v) for v in row).encode("utf-8", "surrogatepass") + b"\x1e")
        rows += 1
    return rows, digest.hexdigest()[:16]


def copy_store(source: Path | str, target: Path | str, *, lock_timeout: float = 30.0) -> list[TableCopy]:
    """Copy every row of ``source`` into the empty store ``target``; the per-table counts
    and checksums of both sides, read back after the copy committed."""
    with Store.open(source, read_only=True, lock_timeout=lock_timeout) as src, Store.open(
        target, lock_timeout=lock_timeout
    ) as dst:
        a, b = src._db, dst._db
        if a.label == b.label:
            raise StoreError(f"store copy: {a.label} is both the source and the target; give two stores")
        ((runs,),) = dst._read("SELECT COUNT(*) FROM runs")
        if runs:
            raise StoreError(
                f"store copy: the target {b.label} already holds {runs} run(s); copy into a new, empty store"
            )
        wanted = [t for t in tables(a) if t not in NOT_COPIED]
        missing = sorted(set(wanted) - set(tables(b)))
        if missing:
            raise StoreError(f"store copy: the target {b.label} has no table {missing[0]}; upgrade cnca-watch there")
        shared = {t: [c for c in columns(a, t) if c in set(columns(b, t))] for t in wanted}
        with dst._transaction("nothing was copied"):
            if b.dialect == "sqlite":
                b.execute("PRAGMA defer_foreign_keys = ON")  # rows refer to each other in cycles
            for table, names in shared.items():
                try:
                    rows = a.execute(_ordered_select(table, names)).fetchall()
                except a.errors as exc:
                    raise a.failure(exc, "nothing was copied") from None
                insert = (
                    f'INSERT INTO "{table}" ({", ".join(chr(34) + n + chr(34) for n in names)})'
                    f' VALUES ({", ".join("?" * len(names))})'
                )
                for start in range(0, len(rows), BATCH):
                    b.executemany(insert, rows[start : start + BATCH])
                if b.dialect == "postgresql" and "id" in names:
                    # identity columns continue after the copied ids
                    b.execute(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), COALESCE(MAX(id), 0) + 1, false)"
                        f' FROM "{table}"'
                    )
            if b.dialect == "sqlite" and "search_doc" in shared:
                # the copied documents are the FTS5 index's content: index them
                from cnca_watch import search_index

                search_index.rebuild_index(b.conn)  # type: ignore[attr-defined]
        try:
            return [
                TableCopy(table, *_pair(fingerprint(a, table, names), fingerprint(b, table, names)))
                for table, names in shared.items()
            ]
        except (*a.errors, *b.errors) as exc:
            raise StoreError(f"store copy: the copy was saved but could not be read back ({exc})") from None


def _pair(left: tuple[int, str], right: tuple[int, str]) -> tuple[int, int, str, str]:
    return left[0], right[0], left[1], right[1]
