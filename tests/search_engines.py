"""The search engines the search tests run against, each with the same small surface:
``add`` a document, ``search`` (``search_index.search``'s contract), ``execute`` SQL.

* ``sqlite``: FTS5 over a real SQLite file;
* ``postgresql``: a real PostgreSQL store with pg_trgm and its index, in a database whose
  LC_CTYPE (C.UTF-8) lets pg_trgm index Chinese;
* ``postgresql-scan``: a store whose role could not create the extension (no CREATE right on
  the database), so it has no index and every search scans.
"""

from __future__ import annotations

import sqlite3
from itertools import count
from pathlib import Path
from typing import Any, Sequence

import psycopg

from cnca_watch import search_index, search_pg
from cnca_watch.search_query import Hit, Query
from cnca_watch.store.backend import PostgresDb
from cnca_watch.store.search import index_version

ENGINES = ("sqlite", "postgresql", "postgresql-scan")
SCAN_ROLE = "search_scanner"
_names = count(1)


class SqliteEngine:
    def __init__(self, path: Path) -> None:
        self.conn = sqlite3.connect(path, isolation_level=None)
        search_index.ensure_schema(self.conn)

    def add(self, doc_id: int, title: str, body: str = "", attachments: str = "") -> None:
        search_index.index_document(self.conn, doc_id, title, body, attachments)

    def search(self, query: str | Query, **options: Any) -> list[Hit]:
        return search_index.search(self.conn, query, **options)

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        return self.conn.execute(sql, params)

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        self.conn.executemany(sql, rows)

    def close(self) -> None:
        self.conn.close()


class PostgresEngine:
    def __init__(self, url: str) -> None:
        self.url = url
        self.db = PostgresDb(url, lock_timeout=10.0)

    def add(self, doc_id: int, title: str, body: str = "", attachments: str = "") -> None:
        index_version(self.db, doc_id, title, body, attachments)

    def search(self, query: str | Query, **options: Any) -> list[Hit]:
        return search_pg.search(self.db, query, **options)

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        return self.db.execute(sql, params)

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        self.db.executemany(sql, rows)

    def close(self) -> None:
        self.db.close()


def make_templates(server: Any) -> dict[str, tuple[str, str]]:
    """Two migrated, empty store databases to copy per test: engine → (database, role)."""
    from cnca_watch.store import Store

    with server.admin() as admin:
        admin.execute("CREATE DATABASE search_trgm TEMPLATE template0 LC_COLLATE 'C' LC_CTYPE 'C.UTF-8'")
        admin.execute(f"CREATE ROLE {SCAN_ROLE} LOGIN")
        # the role owns its schema (so it can make the store's tables) but may not create
        # extensions in the database: the v8 migration's CREATE EXTENSION is refused
        admin.execute("CREATE DATABASE search_scan TEMPLATE template0 LC_COLLATE 'C' LC_CTYPE 'C.UTF-8'")
    with psycopg.connect(server.url("search_scan"), autocommit=True) as admin:
        admin.execute(f"ALTER SCHEMA public OWNER TO {SCAN_ROLE}")
    Store.open(server.url("search_trgm")).close()
    Store.open(server.url("search_scan", user=SCAN_ROLE)).close()
    return {"postgresql": ("search_trgm", "postgres"), "postgresql-scan": ("search_scan", SCAN_ROLE)}


def copy_of(server: Any, template: tuple[str, str]) -> str:
    """A URL of a fresh database copied from ``template`` (a few milliseconds), as its role."""
    database, role = template
    name = f"search_{database}_{next(_names)}"
    with server.admin() as admin:
        admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{database}" STRATEGY FILE_COPY')
    return str(server.url(name, user=role))


def open_engine(kind: str, tmp_path: Path, server: Any = None, templates: Any = None) -> SqliteEngine | PostgresEngine:
    if kind == "sqlite":
        return SqliteEngine(tmp_path / "search.db")
    return PostgresEngine(copy_of(server, templates[kind]))
