"""sqlite3 failures → person-readable ``StoreError``s."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from cnca_watch.errors import StoreError, StoreLockedError

# Primary result codes (extended codes carry them in the low byte).
SQLITE_BUSY, SQLITE_LOCKED, SQLITE_READONLY = 5, 6, 8
SQLITE_IOERR, SQLITE_CORRUPT, SQLITE_FULL, SQLITE_CANTOPEN, SQLITE_NOTADB = 10, 11, 13, 14, 26


def primary_code(exc: sqlite3.Error) -> int | None:
    """SQLite's primary result code of ``exc`` (extended codes carry it in the low byte)."""
    code = getattr(exc, "sqlite_errorcode", None)
    return code & 0xFF if isinstance(code, int) else None


def store_error(exc: sqlite3.Error, path: Path, doing: str = "this run was not saved") -> StoreError:
    """A person-readable StoreError for a sqlite3 failure."""
    primary = primary_code(exc)
    message = str(exc)
    if primary == SQLITE_FULL or "database or disk is full" in message:
        return StoreError(f"disk full while writing {path}: {doing}; the store is unchanged")
    if primary in (SQLITE_BUSY, SQLITE_LOCKED) or "database is locked" in message:
        return StoreLockedError(f"another cnca-watch run holds the store {path}; try again later")
    if primary == SQLITE_READONLY:
        return StoreError(f"cannot write the store {path}: it is read-only ({message})")
    if primary in (SQLITE_CORRUPT, SQLITE_NOTADB):
        return StoreError(
            f"the store {path} is damaged ({message}); restore a backup or point --store elsewhere"
        )
    if primary in (SQLITE_IOERR, SQLITE_CANTOPEN):
        return StoreError(f"cannot read or write the store {path} ({message})")
    return StoreError(f"store {path} failed: {message}")


def not_ours(path: Path, why: str) -> StoreError:
    return StoreError(f"{path} is not a cnca-watch store ({why}); point --store elsewhere")
