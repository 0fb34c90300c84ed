"""Schema migrations: one function per store schema version, applied in order.

Migration ``n`` turns a schema ``n - 1`` store into a schema ``n`` one (0 = an empty file).
To change the schema, append a function decorated ``@migration(N)`` with the next number
at the end of this file; ``SCHEMA_VERSION`` follows.  Never edit a released migration.
A migration runs inside the opening transaction: it must not COMMIT (use ``run_script``,
not ``executescript``), and an exception undoes every migration of that opening.
Migrations run on SQLite and on PostgreSQL: write DDL in SQLite's spelling through
``run_script`` (``backend.postgres_ddl`` translates it) and portable SQL otherwise;
``conn.dialect`` tells the two apart where they must differ (e.g. SQLite's FTS5), and
``conn.columns(table)`` replaces ``PRAGMA table_info``.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Callable, cast

from cnca_watch.store.backend import Db
from cnca_watch.store.codec import dumps

if TYPE_CHECKING:
    from cnca_watch.store.backend import PostgresDb

Migration = Callable[[Db], None]

# Filled by ``@migration`` below, in version order.
MIGRATIONS: dict[int, Migration] = {}


def migration(version: int) -> Callable[[Migration], Migration]:
    """Register the decorated function as the migration to schema ``version`` (the next one)."""

    def register(upgrade: Migration) -> Migration:
        expected = len(MIGRATIONS) + 1
        if version != expected:
            raise ValueError(f"migration {upgrade.__name__} is numbered {version}; the next one is {expected}")
        MIGRATIONS[version] = upgrade
        return upgrade

    return register


def upgrade(conn: Db, from_version: int, to_version: int) -> None:
    """Run migrations ``from_version + 1`` … ``to_version`` on ``conn`` (inside its transaction)."""
    for target in range(from_version + 1, to_version + 1):
        MIGRATIONS[target](conn)


def run_script(conn: Db, script: str) -> None:
    """Statement by statement (``executescript`` would COMMIT the migration's transaction),
    each in the spelling of the database under ``conn`` (see ``backend.postgres_ddl``)."""
    for statement in conn.ddl(script):
        conn.execute(statement)



@migration(1)
def v1_initial_schema(conn: Db) -> None:
    run_script(
        conn,
        """
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE runs (
            id INTEGER PRIMARY KEY,
            started_at TEXT NOT NULL,
            finished_at TEXT,
            status TEXT NOT NULL
        );
        CREATE TABLE sources (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            url TEXT NOT NULL
        );
        CREATE TABLE run_sources (
            run_id INTEGER NOT NULL REFERENCES runs(id),
            source_id INTEGER NOT NULL REFERENCES sources(id),
            status TEXT NOT NULL,
            error TEXT,
            items_seen INTEGER NOT NULL,
            first_run INTEGER NOT NULL,
            new INTEGER NOT NULL,
            changed INTEGER NOT NULL,
            removed INTEGER NOT NULL,
            requests INTEGER NOT NULL,
            PRIMARY KEY (run_id, source_id)
        );
        CREATE INDEX run_sources_by_source ON run_sources (source_id, status, run_id);
        CREATE TABLE announcements (
            id INTEGER PRIMARY KEY,
            source_id INTEGER NOT NULL REFERENCES sources(id),
            url TEXT NOT NULL,
            first_seen_run INTEGER NOT NULL REFERENCES runs(id),
            latest_version_id INTEGER REFERENCES versions(id),
            listed INTEGER NOT NULL DEFAULT 0,
            position INTEGER,
            removed INTEGER NOT NULL DEFAULT 0,
            UNIQUE (source_id, url)
        );
        CREATE INDEX announcements_listed ON announcements (source_id, listed);
        CREATE INDEX announcements_by_url ON announcements (url);
        CREATE TABLE versions (
            id INTEGER PRIMARY KEY,
            announcement_id INTEGER NOT NULL REFERENCES announcements(id),
            run_id INTEGER NOT NULL REFERENCES runs(id),
            seen_at TEXT NOT NULL,
            title TEXT NOT NULL,
            date TEXT,
            body TEXT NOT NULL,
            attachments_json TEXT NOT NULL,
            list_title TEXT NOT NULL,
            list_date TEXT,
            areas_json TEXT NOT NULL
        );
        CREATE INDEX versions_by_announcement ON versions (announcement_id, id);
        CREATE TABLE changes (
            id INTEGER PRIMARY KEY,
            run_id INTEGER NOT NULL REFERENCES runs(id),
            announcement_id INTEGER NOT NULL REFERENCES announcements(id),
            version_id INTEGER NOT NULL REFERENCES versions(id),
            kind TEXT NOT NULL,
            fields_changed_json TEXT NOT NULL,
            diff TEXT NOT NULL,
            detected_at TEXT NOT NULL
        );
        CREATE INDEX changes_by_detected ON changes (detected_at);
        CREATE INDEX changes_by_announcement ON changes (announcement_id, id);
        CREATE INDEX changes_by_run ON changes (run_id);
        CREATE TABLE outbox (
            change_id INTEGER NOT NULL REFERENCES changes(id),
            channel TEXT NOT NULL,
            delivered_at TEXT,
            PRIMARY KEY (change_id, channel)
        );
        CREATE INDEX outbox_pending ON outbox (channel, delivered_at, change_id);
        CREATE TABLE http_cache (
            url TEXT PRIMARY KEY,
            etag TEXT,
            last_modified TEXT
        );
        CREATE TABLE retags (
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            vocabulary_hash TEXT NOT NULL,
            changed INTEGER NOT NULL,
            total INTEGER NOT NULL
        );
        -- the tags a version had before re-tagging ``retag_id`` replaced them
        CREATE TABLE retagged_areas (
            version_id INTEGER NOT NULL REFERENCES versions(id),
            retag_id INTEGER NOT NULL REFERENCES retags(id),
            areas_json TEXT NOT NULL,
            PRIMARY KEY (version_id, retag_id)
        );
        """
    )



@migration(2)
def v2_ascii_urls(conn: Db) -> None:
    """v2: URLs are plain-ASCII URIs (non-ASCII percent-encoded as UTF-8, escapes upper-case).

    Re-spell what v1 stored raw ("…/公告.html") so that the same announcement, and the same
    attachment, keep their identity when the new code reads their links.  A row whose new
    spelling another row of the same source already has (the site had used both spellings)
    keeps its old one and leaves the window, so it can never look withdrawn.
    """
    from cnca_watch.urls import canonical_url

    def respelled(url: str) -> str:
        # what the new code makes of the same link (v1 URLs were canonical in every other way)
        return url if url.isascii() and "%" not in url else canonical_url(url, "") or url

    rows = conn.execute("SELECT id, source_id, url FROM announcements").fetchall()
    taken = {(source_id, url) for _, source_id, url in rows}
    for announcement_id, source_id, url in rows:
        new_url = respelled(url)
        if new_url == url:
            continue
        if (source_id, new_url) in taken:
            conn.execute("UPDATE announcements SET listed = 0, position = NULL WHERE id = ?", (announcement_id,))
            continue
        conn.execute("UPDATE announcements SET url = ? WHERE id = ?", (new_url, announcement_id))
        taken.add((source_id, new_url))
    for version_id, text in conn.execute(
        "SELECT id, attachments_json FROM versions WHERE attachments_json != '[]'"
    ).fetchall():
        attachments = json.loads(text)
        for attachment in attachments:
            attachment["url"] = respelled(attachment["url"])
        new_text = dumps(attachments)
        if new_text != text:
            conn.execute("UPDATE versions SET attachments_json = ? WHERE id = ?", (new_text, version_id))


@migration(3)
def v3_area_reason(conn: Db) -> None:
    """v3: each version keeps why it has its areas, or none ("in the domain, no task-area signal").

    Versions stored before stay NULL until ``classify --stored`` re-tags them.
    """
    conn.execute("ALTER TABLE versions ADD COLUMN area_reason TEXT")


@migration(4)
def v4_source_health(conn: Db) -> None:
    """v4: where each source's list page really answered from (the URL after redirects), and
    which sources a "failing" alert went out for (a row until the "recovered" note is sent)."""
    # Tolerant of a store that already has them (a schema number set back by hand).
    columns = set(conn.columns("run_sources"))
    if "final_url" not in columns:
        conn.execute("ALTER TABLE run_sources ADD COLUMN final_url TEXT")
    run_script(
        conn,
        """
        CREATE TABLE IF NOT EXISTS source_alerts (
            source_id INTEGER PRIMARY KEY REFERENCES sources(id),
            alerted_at TEXT NOT NULL,
            failures INTEGER NOT NULL
        );
        """,
    )


@migration(5)
def v5_backfill(conn: Db) -> None:
    """v5: backfill. Runs say what they were (``check`` or ``backfill``); announcements a
    backfill recorded are marked (history, not news); each source's backfill cursor."""
    run_script(
        conn,
        """
        ALTER TABLE runs ADD COLUMN kind TEXT NOT NULL DEFAULT 'check';
        ALTER TABLE announcements ADD COLUMN backfilled INTEGER NOT NULL DEFAULT 0;
        CREATE TABLE backfill_cursors (
            source_id INTEGER PRIMARY KEY REFERENCES sources(id),
            next_page INTEGER NOT NULL,
            oldest_date TEXT,
            exhausted INTEGER NOT NULL DEFAULT 0,
            updated_at TEXT NOT NULL
        )
        """,
    )


@migration(6)
def v6_announcement_fields(conn: Db) -> None:
    """v6: each version keeps what it says about itself (``fields.Fields`` as JSON; NULL until
    read: ``cnca-watch fields --stored`` fills the versions an older store holds), and the
    reminders sent before a deadline, so that none goes out twice."""
    # idempotent: a store rewound to an older user_version (as tests fake one) keeps working
    if "fields_json" not in conn.columns("versions"):
        conn.execute("ALTER TABLE versions ADD COLUMN fields_json TEXT")
    run_script(
        conn,
        """
        CREATE TABLE IF NOT EXISTS reminders (
            url TEXT NOT NULL,
            field TEXT NOT NULL,
            date TEXT NOT NULL,
            days_before INTEGER NOT NULL,
            channel TEXT NOT NULL,
            queued_at TEXT NOT NULL,
            delivered_at TEXT,
            PRIMARY KEY (url, field, date, days_before, channel)
        );
        CREATE INDEX IF NOT EXISTS reminders_pending ON reminders (channel, delivered_at);
        """,
    )


@migration(7)
def v7_attachment_files_and_search(conn: Db) -> None:
    """v7: attachment files stored once by SHA-256, which file each version had under each
    link, the conditional-GET state of each attachment link, and the full-text search index
    (every version stored so far indexed here, so an upgraded store is searchable at once)."""
    from cnca_watch import search_index

    run_script(
        conn,
        """
        CREATE TABLE files (
            sha256 TEXT PRIMARY KEY,
            size INTEGER NOT NULL,
            kind TEXT NOT NULL,
            content BLOB,                 -- NULL with [store] keep_files = false
            text TEXT NOT NULL,
            note TEXT,
            sheets_json TEXT NOT NULL DEFAULT '[]',
            first_seen_run INTEGER REFERENCES runs(id)
        );
        CREATE TABLE attachment_urls (
            url TEXT PRIMARY KEY,
            sha256 TEXT REFERENCES files(sha256),
            name TEXT NOT NULL,
            etag TEXT,
            last_modified TEXT,
            checked_at TEXT NOT NULL
        );
        CREATE TABLE version_files (
            version_id INTEGER NOT NULL REFERENCES versions(id),
            position INTEGER NOT NULL,
            url TEXT NOT NULL,
            name TEXT NOT NULL,
            sha256 TEXT NOT NULL REFERENCES files(sha256),
            PRIMARY KEY (version_id, position)
        );
        CREATE INDEX version_files_by_sha ON version_files (sha256);
        CREATE INDEX version_files_by_url ON version_files (url);
        """,
    )
    if conn.dialect == "sqlite":
        sqlite = conn.conn  # type: ignore[attr-defined]  # FTS5 is SQLite's own
        search_index.ensure_schema(sqlite)
    else:
        # PostgreSQL: the same documents in a plain table (FTS5 is SQLite's; v8 indexes it)
        run_script(conn, search_index.PLAIN_SCHEMA)
    conn.execute("INSERT INTO search_doc (doc_id, title, body, attachments) SELECT id, title, body, '' FROM versions")
    if conn.dialect == "sqlite":
        search_index.rebuild_index(sqlite)
        search_index.optimize_index(sqlite)


@migration(8)
def v8_postgres_search_index(conn: Db) -> None:
    """v8: on PostgreSQL, pg_trgm's trigram index over the search documents, where the server
    has the extension and the store's role may create it; without it search scans (and says
    so).  Nothing changes on SQLite (FTS5 has indexed since v7)."""
    if conn.dialect == "postgresql":
        from cnca_watch import search_pg

        search_pg.ensure_index(cast("PostgresDb", conn))


# The newest schema this code writes: the last migration's number.
SCHEMA_VERSION = max(MIGRATIONS)
