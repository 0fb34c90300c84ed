"""The one seam between the store's SQL and the database under it: SQLite or PostgreSQL.

The store's SQL is written once, in SQLite's spelling with ``?`` placeholders and portable
clauses (``INSERT … ON CONFLICT``, ``RETURNING``, ``NULLS FIRST``).  ``Db`` runs it:

* ``SqliteDb`` hands it to ``sqlite3`` as it is;
* ``PostgresDb`` (psycopg 3, imported only when a ``postgresql://`` store is opened) turns
  ``?`` into ``%s`` and migration DDL into PostgreSQL's types (``ddl``).

Each also says how a run is locked (``BEGIN IMMEDIATE`` / ``pg_advisory_xact_lock``) and
turns its driver's errors into person-readable ``StoreError``s.
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Iterator, Protocol, Sequence

from cnca_watch.errors import StoreError, StoreLockedError
from cnca_watch.store.failures import store_error
from cnca_watch.store_url import POSTGRES_SCHEMES, redact, store_location

__all__ = ["Db", "PostgresDb", "SqliteDb", "is_postgres_url", "lock_key", "redact", "sqlite_path"]

def is_postgres_url(target: str | Path) -> bool:
    return isinstance(target, str) and target.startswith(POSTGRES_SCHEMES)


def sqlite_path(target: str | Path) -> Path:
    """The file of a SQLite store given as a path or a ``sqlite:///…`` URL."""
    file, _ = store_location(target)
    return file if file is not None else Path(str(target))


def lock_key(name: str) -> int:
    """A stable signed 64-bit advisory-lock key for ``name`` (per database)."""
    return int.from_bytes(hashlib.sha256(f"cnca-watch:{name}".encode()).digest()[:8], "big", signed=True)


class Cursor(Protocol):
    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...

    def __iter__(self) -> Iterator[Any]: ...


class Db(Protocol):
    """An open connection to a store, whichever database holds it."""

    dialect: str  # "sqlite" or "postgresql"
    label: str  # where the store is, for messages (never a password)
    errors: tuple[type[BaseException], ...]  # the driver's error classes

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Cursor: ...

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None: ...

    def insert(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run an INSERT into a table with an ``id`` column; the new row's id."""
        ...

    def transaction(self, doing: str, lock: str | None = "run") -> Any:
        """A context manager: commit on normal exit, roll back on any exception; while it
        is open no other transaction holding ``lock`` runs (``None``: no lock)."""
        ...

    def failure(self, exc: BaseException, doing: str = "this run was not saved") -> StoreError: ...

    def ddl(self, script: str) -> list[str]:
        """The statements of a migration script, in this database's spelling."""
        ...

    def columns(self, table: str) -> list[str]:
        """``table``'s column names in order (``[]`` if there is no such table)."""
        ...

    def close(self) -> None: ...


def split_script(script: str) -> list[str]:
    """The statements of a DDL script, ``--`` comments (outside quoted literals) dropped."""
    parts = re.split(r"('(?:[^']|'')*')", script)
    for i in range(0, len(parts), 2):
        parts[i] = re.sub(r"--[^\n]*", "", parts[i])
    return [statement for statement in "".join(parts).split(";") if statement.strip()]


# ---------------------------------------------------------------- SQLite


class SqliteDb:
    dialect = "sqlite"
    errors: tuple[type[BaseException], ...] = (sqlite3.Error,)

    def __init__(self, conn: sqlite3.Connection, path: Path) -> None:
        self.conn = conn
        self.path = path
        self.label = str(path)

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Cursor:
        return self.conn.execute(sql, params)

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        self.conn.executemany(sql, rows)

    def insert(self, sql: str, params: Sequence[Any] = ()) -> int:
        return int(self.conn.execute(sql, params).lastrowid or 0)

    @contextmanager
    def transaction(self, doing: str, lock: str | None = "run") -> Iterator[None]:
        # BEGIN IMMEDIATE is SQLite's one write lock: every writing transaction takes it.
        from cnca_watch.store.transaction import immediate_transaction

        with immediate_transaction(self.conn, self.path, doing):
            yield

    def failure(self, exc: BaseException, doing: str = "this run was not saved") -> StoreError:
        assert isinstance(exc, sqlite3.Error)
        return store_error(exc, self.path, doing)

    def ddl(self, script: str) -> list[str]:
        return split_script(script)

    def columns(self, table: str) -> list[str]:
        return [str(row[1]) for row in self.conn.execute(f'PRAGMA table_info("{table}")').fetchall()]

    def close(self) -> None:
        self.conn.close()


# ---------------------------------------------------------------- PostgreSQL

# SQLSTATEs that mean "someone else holds the lock" / "no permission" / "disk full".
_LOCKED = {"55P03", "40P01"}  # lock_not_available, deadlock_detected
_DENIED = {"42501", "25006"}  # insufficient_privilege, read_only_sql_transaction
_FULL = {"53100"}  # disk_full


@lru_cache(maxsize=1024)
def postgres_sql(sql: str) -> str:
    """``?`` placeholders → ``%s`` (outside quoted literals); a literal ``%`` → ``%%``."""
    parts = re.split(r"('(?:[^']|'')*')", sql)
    for i in range(0, len(parts), 2):
        parts[i] = parts[i].replace("%", "%%").replace("?", "%s")
    for i in range(1, len(parts), 2):
        parts[i] = parts[i].replace("%", "%%")
    return "".join(parts)


_REFERENCE = re.compile(
    r"^\s*(\w+)\s.*?\s(REFERENCES\s+\w+\s*\(\w+\)"
    r"(?:\s+ON\s+(?:DELETE|UPDATE)\s+(?:CASCADE|RESTRICT|NO\s+ACTION|SET\s+NULL|SET\s+DEFAULT))*)",
    re.IGNORECASE | re.DOTALL,
)
_TYPES = (
    (r"\bINTEGER PRIMARY KEY\b", "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"),
    (r"\bINTEGER\b", "BIGINT"),
    (r"\bTEXT\b", 'TEXT COLLATE "C"'),
    (r"\bBLOB\b", "BYTEA"),
    (r"\bREAL\b", "DOUBLE PRECISION"),
)


def _top_level_parts(body: str) -> list[str]:
    """``body`` split at the commas outside parentheses (one part per column or constraint)."""
    parts, depth, start = [], 0, 0
    for i, char in enumerate(body):
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append(body[start:i])
            start = i + 1
    parts.append(body[start:])
    return parts


def _postgres_types(statement: str) -> str:
    for pattern, replacement in _TYPES:
        statement = re.sub(pattern, replacement, statement)
    return statement


def postgres_ddl(script: str) -> list[str]:
    """SQLite DDL → PostgreSQL: rowid keys become identity columns, integers 64-bit, text
    compares byte-wise as in SQLite (``COLLATE "C"``), blobs ``BYTEA``; foreign keys are
    added after every table of the script exists (SQLite allows forward references) and
    checked at commit (so ``store copy`` may insert in any order)."""
    statements: list[str] = []
    foreign: list[str] = []
    for statement in split_script(script):
        table = re.match(r"\s*CREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?(\w+)\s*\(", statement, re.IGNORECASE)
        if table and statement.rstrip().endswith(")"):
            head, body = statement[: table.end()], statement[table.end() : statement.rstrip().rindex(")")]
            parts = []
            for part in _top_level_parts(body):
                ref = _REFERENCE.match(part)
                if ref:
                    foreign.append(
                        f"ALTER TABLE {table.group(1)} ADD FOREIGN KEY ({ref.group(1)}) {ref.group(2)}"
                        " DEFERRABLE INITIALLY DEFERRED"
                    )
                    part = part.replace(ref.group(2), "").rstrip()
                parts.append(part)
            statement = _postgres_types(head + ",".join(parts) + ")")
        elif re.match(r"\s*ALTER\s+TABLE", statement, re.IGNORECASE):
            statement = _postgres_types(statement)
        statements.append(statement)
    return statements + foreign


def without_nul(params: Sequence[Any]) -> tuple[Any, ...]:
    """PostgreSQL text cannot hold NUL: it becomes U+FFFD, as an HTML parser makes of it."""
    return tuple(p.replace("\x00", "\ufffd") if isinstance(p, str) and "\x00" in p else p for p in params)


class PostgresDb:
    dialect = "postgresql"

    def __init__(self, url: str, lock_timeout: float) -> None:
        self.label = redact(url)
        try:
            import psycopg
        except ImportError:
            raise StoreError(
                f"the store {self.label} is on PostgreSQL, which needs the psycopg driver: "
                "pip install 'cnca-watch[postgres]'"
            ) from None

        self.errors: tuple[type[BaseException], ...] = (psycopg.Error,)
        self.lock_timeout = lock_timeout
        try:
            # autocommit: reads see the latest committed history; writes open transactions
            # explicitly (``transaction``) so a run is one transaction.
            self.conn = psycopg.connect(url, autocommit=True, connect_timeout=10, application_name="cnca-watch")
        except psycopg.Error as exc:
            raise self.failure(exc, "nothing was saved") from None
        except ValueError as exc:  # a malformed URL (bad port …): libpq's parser says what
            raise StoreError(f"bad PostgreSQL store URL {self.label}: {redact(str(exc))}") from None

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Cursor:
        if params:
            return self.conn.execute(postgres_sql(sql), without_nul(params))
        return self.conn.execute(sql)  # no parameters: sent as written

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        with self.conn.cursor() as cursor:
            cursor.executemany(postgres_sql(sql), [without_nul(r) for r in rows])

    def insert(self, sql: str, params: Sequence[Any] = ()) -> int:
        row = self.execute(sql + " RETURNING id", params).fetchone()
        return int(row[0])

    @contextmanager
    def transaction(self, doing: str, lock: str | None = "run") -> Iterator[None]:
        try:
            with self.conn.transaction():
                if lock is not None:
                    self._lock(lock)
                yield
        except self.errors as exc:
            raise self.failure(exc, doing) from None

    def _lock(self, name: str) -> None:
        """Wait up to ``lock_timeout`` seconds for the transaction-scoped advisory lock
        ``name``; released by COMMIT or ROLLBACK, or when the connection dies."""
        key = lock_key(name)
        if self.lock_timeout <= 0:
            (got,) = self.execute("SELECT pg_try_advisory_xact_lock(?)", (key,)).fetchone()
            if not got:
                raise StoreLockedError(f"another cnca-watch run holds the store {self.label}; try again later")
            return
        milliseconds = max(1, int(self.lock_timeout * 1000))
        self.execute(f"SET LOCAL lock_timeout = {milliseconds}")
        self.execute("SELECT pg_advisory_xact_lock(?)", (key,))
        self.execute("SET LOCAL lock_timeout = 0")

    def failure(self, exc: BaseException, doing: str = "this run was not saved") -> StoreError:
        import psycopg

        state = getattr(exc, "sqlstate", None) or ""
        message = redact(str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__)
        where = self.label
        if state in _LOCKED:
            return StoreLockedError(f"another cnca-watch run holds the store {where}; try again later")
        if state in _FULL:
            return StoreError(f"disk full on the PostgreSQL server of {where}: {doing}; the store is unchanged")
        if state in _DENIED:
            return StoreError(
                f"cannot write the store {where}: this role may only read it ({message}); {doing}"
            )
        if state.startswith("28") or state.startswith("08") or isinstance(exc, psycopg.OperationalError):
            return StoreError(f"cannot reach the PostgreSQL store {where} ({message}): {doing}")
        return StoreError(f"store {where} failed: {message}: {doing}")

    def ddl(self, script: str) -> list[str]:
        return postgres_ddl(script)

    def columns(self, table: str) -> list[str]:
        rows = self.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema()"
            " AND table_name = ? ORDER BY ordinal_position",
            (table,),
        ).fetchall()
        return [str(name) for (name,) in rows]

    def close(self) -> None:
        self.conn.close()
