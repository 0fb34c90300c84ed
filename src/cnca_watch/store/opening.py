"""Opening a store file: make sure it is ours (reading only) before anything is written,
upgrade it, and connect read-only where the file or folder cannot be written."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from cnca_watch.errors import StoreError
from cnca_watch.store import migrations
from cnca_watch.store.backend import PostgresDb, SqliteDb
from cnca_watch.store.failures import (
    SQLITE_CANTOPEN,
    SQLITE_IOERR,
    SQLITE_NOTADB,
    SQLITE_READONLY,
    not_ours,
    primary_code,
    store_error,
)
from cnca_watch.store.files import read_only_reason
from cnca_watch.store.transaction import immediate_transaction

APPLICATION_ID = 0x434E4341  # "CNCA": marks the file as ours in the SQLite header
APPLICATION = "cnca-watch"  # meta's 'application': marks a PostgreSQL schema as ours
META_UPSERT = (
    "INSERT INTO meta (key, value) VALUES ('schema_version', ?), ('application', 'cnca-watch')"
    " ON CONFLICT (key) DO UPDATE SET value = excluded.value"
)


def connect_writable(path: Path, lock_timeout: float, max_pages: int | None) -> sqlite3.Connection:
    """A connection to the store at ``path``, created and upgraded if needed."""
    problem = read_only_reason(path)
    if problem is not None:
        raise StoreError(f"the store {path} is read-only ({problem}); make it writable, or point --store at a writable path")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(f"cannot create the folder for the store {path}: {exc.strerror or exc}") from None
    try:
        # check_same_thread off: a check run opens its store on a helper thread while its list
        # requests are in flight, then goes on using it from the main thread (never at once)
        conn = sqlite3.connect(str(path), timeout=lock_timeout, isolation_level=None, check_same_thread=False)
    except sqlite3.Error as exc:
        raise store_error(exc, path, "nothing was saved") from None
    try:
        check_and_migrate(conn, path)
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA synchronous = NORMAL")
        if max_pages is not None:
            conn.execute(f"PRAGMA max_page_count = {int(max_pages)}")
    except BaseException:
        conn.close()
        raise
    return conn


def connect_read_only(path: Path, lock_timeout: float) -> sqlite3.Connection | None:
    """A connection that cannot write: SQLite ``mode=ro``.  Reading a WAL store that way
    needs its ``-shm`` file; when the store is not writable and SQLite cannot create that
    file, fall back to ``immutable=1`` (nobody can be changing such a store).  Returns None
    for an empty or older store that is writable: the caller upgrades it as it always did."""
    from urllib.parse import quote

    if not path.is_file():
        raise StoreError(f"no store at {path}; run `cnca-watch check` first, or point --store at your store")
    uri = "file:" + quote(str(path.absolute()), safe="/")

    def connect(query: str) -> tuple[sqlite3.Connection, tuple[int, int, int]]:
        conn = sqlite3.connect(f"{uri}?{query}", uri=True, timeout=lock_timeout, isolation_level=None)
        try:
            return conn, read_header(conn)  # SQLite opens the file (and its -shm) only here
        except BaseException:
            conn.close()
            raise

    try:
        conn, (app_id, version, tables) = connect("mode=ro")
    except sqlite3.Error as exc:
        primary = primary_code(exc)
        if primary == SQLITE_NOTADB:
            raise not_ours(path, f"SQLite says: {exc}") from None
        problem = read_only_reason(path)
        if problem is None or primary not in (SQLITE_CANTOPEN, SQLITE_READONLY, SQLITE_IOERR):
            raise store_error(exc, path, "nothing was saved") from None
        wal = path.with_name(path.name + "-wal")
        if wal.is_file() and wal.stat().st_size > 0:  # immutable=1 would silently ignore them
            raise StoreError(
                f"the store {path} is read-only ({problem}) and its latest changes are still in {wal.name}, "
                f"which SQLite can read only if it may create {path.name}-shm; make the folder writable, "
                "or copy the store together with its -wal file to a writable folder"
            ) from None
        try:
            conn, (app_id, version, tables) = connect("mode=ro&immutable=1")
        except sqlite3.Error as again:
            raise store_error(again, path, "nothing was saved") from None
    try:
        verify_ours(path, app_id, version, tables)
    except BaseException:
        conn.close()
        raise
    if version == migrations.SCHEMA_VERSION:
        return conn
    conn.close()
    problem = read_only_reason(path)
    if problem is None:
        return None
    if version == 0 and tables == 0:
        raise StoreError(
            f"the store {path} is read-only ({problem}) and empty: no run was ever saved in it; "
            "run `cnca-watch check` with --store at a writable path"
        )
    raise StoreError(
        f"the store {path} is read-only ({problem}) and needs an upgrade to store schema v{migrations.SCHEMA_VERSION} "
        f"(it has v{version}); make it writable and run `cnca-watch check` once"
    )


def read_header(conn: sqlite3.Connection) -> tuple[int, int, int]:
    app_id = conn.execute("PRAGMA application_id").fetchone()[0]
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    tables = conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()[0]
    return app_id, version, tables


def check_and_migrate(conn: sqlite3.Connection, path: Path) -> None:
    """Verify the file is ours (reading only) before changing anything, then upgrade it."""
    try:
        app_id, version, tables = read_header(conn)
    except sqlite3.DatabaseError as exc:
        raise not_ours(path, f"SQLite says: {exc}") from None
    verify_ours(path, app_id, version, tables)
    try:
        conn.execute("PRAGMA journal_mode = WAL")
    except sqlite3.Error as exc:
        raise store_error(exc, path, "the store was not upgraded") from None
    if version == migrations.SCHEMA_VERSION:
        return
    with immediate_transaction(conn, path, "the store was not upgraded"):
        # Another process may have created or upgraded it while we waited for the lock.
        app_id, version, tables = read_header(conn)
        verify_ours(path, app_id, version, tables)
        migrations.upgrade(SqliteDb(conn, path), version, migrations.SCHEMA_VERSION)
        conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        conn.execute(f"PRAGMA user_version = {migrations.SCHEMA_VERSION}")
        conn.execute(META_UPSERT, (str(migrations.SCHEMA_VERSION),))


def verify_ours(path: Path, app_id: int, version: int, tables: int) -> None:
    if app_id != APPLICATION_ID:
        if app_id == 0 and version == 0 and tables == 0:
            return  # a new, empty database
        why = "another program's SQLite database" if tables else f"SQLite application id {app_id:#x}"
        raise not_ours(path, why)
    if version > migrations.SCHEMA_VERSION:
        raise StoreError(
            f"the store {path} was written by a newer cnca-watch (store schema v{version}; "
            f"this version knows up to v{migrations.SCHEMA_VERSION}): upgrade cnca-watch"
        )


# ---------------------------------------------------------------- PostgreSQL


def connect_postgres(url: str, lock_timeout: float, *, read_only: bool = False) -> PostgresDb:
    """A connection to the PostgreSQL store at ``url``; its schema (the connection's current
    schema) is created or upgraded unless ``read_only``, by whichever monitor comes first:
    the migration takes an advisory lock, and a second monitor waits, then finds it done."""
    db = PostgresDb(url, lock_timeout)
    try:
        application, version, tables = postgres_header(db)
        verify_postgres(db.label, application, version, tables)
        if version == migrations.SCHEMA_VERSION:
            return db
        if read_only:
            if version == 0:
                raise StoreError(
                    f"no store at {db.label}: no run was ever saved in it; run `cnca-watch check` with a role that can write"
                )
            raise StoreError(
                f"the store {db.label} needs an upgrade to store schema v{migrations.SCHEMA_VERSION} (it has "
                f"v{version}); run `cnca-watch check` once with a role that can write it"
            )
        with db.transaction("the store was not upgraded", lock="migrate"):
            application, version, tables = postgres_header(db)  # another monitor may have done it
            verify_postgres(db.label, application, version, tables)
            if version < migrations.SCHEMA_VERSION:
                migrations.upgrade(db, version, migrations.SCHEMA_VERSION)
                db.execute(META_UPSERT, (str(migrations.SCHEMA_VERSION),))
    except BaseException:
        db.close()
        raise
    return db


def postgres_header(db: PostgresDb) -> tuple[str, int, int]:
    """(application, schema version, tables) of the connection's current schema."""
    try:
        (tables,) = db.execute(
            "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema()"
        ).fetchone()
        (meta,) = db.execute("SELECT to_regclass('meta') IS NOT NULL").fetchone()
        if not meta:
            return "", 0, int(tables)
        values = dict(
            db.execute("SELECT key, value FROM meta WHERE key IN ('application', 'schema_version')").fetchall()
        )
    except db.errors as exc:
        raise db.failure(exc, "nothing was saved") from None
    version = values.get("schema_version", "0")
    return values.get("application", ""), int(version) if version.isdigit() else -1, int(tables)


def verify_postgres(label: str, application: str, version: int, tables: int) -> None:
    if application != APPLICATION:
        if tables == 0:
            return  # a new, empty schema
        raise StoreError(
            f"{label} is not a cnca-watch store (its schema holds another program's tables); "
            "give cnca-watch a database (or a schema, via ?options=-csearch_path%3D…) of its own"
        )
    if version > migrations.SCHEMA_VERSION or version < 0:
        raise StoreError(
            f"the store {label} was written by a newer cnca-watch (store schema v{version}; "
            f"this version knows up to v{migrations.SCHEMA_VERSION}): upgrade cnca-watch"
        )
