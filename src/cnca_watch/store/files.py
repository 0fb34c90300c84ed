"""Checks on the store's file and folder, made before SQLite touches them."""

from __future__ import annotations

import os
from pathlib import Path

from cnca_watch.errors import StoreError
from cnca_watch.store.failures import not_ours

SQLITE_MAGIC = b"SQLite format 3\x00"


def refuse_non_sqlite(path: Path) -> None:
    """Refuse, by reading its first bytes only, a file that is not an SQLite database."""
    if path.is_dir():
        raise not_ours(path, "it is a directory")
    if not path.exists():
        return
    try:
        with path.open("rb") as handle:
            head = handle.read(100)
    except OSError as exc:
        raise StoreError(f"cannot read the store {path}: {exc.strerror or exc}") from None
    if not head:
        return  # an empty file: SQLite treats it as a new database
    if not head.startswith(SQLITE_MAGIC) or len(head) < 100:
        raise not_ours(path, "not an SQLite database")



def read_only_reason(path: Path) -> str | None:
    """Why this process cannot write the store at ``path``, or None if it can (as far as
    the file system tells; SQLite has the last word).  In WAL mode SQLite also writes
    ``-wal`` and ``-shm`` files beside the store, so its folder counts too."""
    folder = path.parent
    if not folder.is_dir():
        return None  # a writer creates the folder, and reports it if it cannot
    try:
        if os.statvfs(folder).f_flag & os.ST_RDONLY:
            return "it is on a read-only file system"
    except (AttributeError, OSError):
        pass  # no statvfs here: the checks below still see it
    if path.exists() and not os.access(path, os.W_OK):
        return "the file is not writable"
    sides = [path.with_name(path.name + suffix) for suffix in ("-wal", "-shm")]
    for side in sides:
        if side.exists() and not (side.is_file() and os.access(side, os.W_OK)):
            return f"{side.name} beside it is not a writable file"
    if not os.access(folder, os.W_OK | os.X_OK):
        if not path.exists():
            return f"its folder {folder} is not writable, so the store cannot be created there"
        missing = [side.name for side in sides if not side.exists()]
        if missing:
            return f"its folder {folder} is not writable, and SQLite needs to create {' and '.join(missing)} there"
    return None

