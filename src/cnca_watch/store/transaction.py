"""``BEGIN IMMEDIATE`` … ``COMMIT`` with every sqlite3 failure turned into a ``StoreError``.

``BEGIN IMMEDIATE`` takes SQLite's write lock up front, so it is also the run lock: a
second writer waits the connection's timeout, then gets ``StoreLockedError``.
"""

from __future__ import annotations

import sqlite3
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from cnca_watch.store.failures import store_error


@contextmanager
def immediate_transaction(conn: sqlite3.Connection, path: Path, doing: str) -> Iterator[None]:
    """Commit on normal exit; roll back on any exception.  ``doing`` ends the error message
    (what the failure cost, e.g. "this run was not saved")."""
    try:
        conn.execute("BEGIN IMMEDIATE")
    except sqlite3.Error as exc:
        raise store_error(exc, path, doing) from None
    try:
        yield
        conn.execute("COMMIT")
    except sqlite3.Error as exc:
        _rollback(conn)
        raise store_error(exc, path, doing) from None
    except BaseException:
        _rollback(conn)
        raise


def _rollback(conn: sqlite3.Connection) -> None:
    if conn.in_transaction:
        try:
            conn.execute("ROLLBACK")
        except sqlite3.Error:
            pass  # SQLite already rolled back (e.g. after SQLITE_FULL)
