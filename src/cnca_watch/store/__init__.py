"""The snapshot store: one SQLite file (WAL, stdlib ``sqlite3``), or a PostgreSQL database
(``postgresql://…``, psycopg 3, imported only then) shared by a team.

What it keeps: sources, announcements (identity = canonical URL within a source),
every version of every announcement with the run that saw it, the changes found,
an outbox of changes per delivery channel, HTTP validators, and a log of runs and
re-taggings.

Guarantees:

* A run is one ``BEGIN IMMEDIATE`` transaction.  It is also the run lock: a second
  run waits ``lock_timeout`` seconds, then gets ``StoreLockedError``.  A process
  killed mid-run leaves the store exactly as it was before the run.
* A file that is not a cnca-watch store (another SQLite database, a text file) is
  refused before anything is written to it.
* Schema migrations run in one transaction; a store from a newer cnca-watch is
  refused rather than guessed at.
* On PostgreSQL the same: the run lock is ``pg_advisory_xact_lock`` (a dead connection
  releases it and rolls its run back); migrations run under their own advisory lock; each
  outbox channel is claimed for delivery (``Store.delivering``), so two monitors never
  send a change twice.

Writing store SQL for both backends (everything but ``backend.py`` is shared):

* SQLite's spelling with ``?`` placeholders; ``INSERT … ON CONFLICT … DO UPDATE`` (not
  ``INSERT OR REPLACE``); ``db.insert(sql, params)`` for a new row's id (not ``lastrowid``);
  ``NULLS FIRST`` where NULLs are sorted; ``db.columns(table)`` (not ``PRAGMA table_info``).
* DDL goes through ``migrations.run_script`` (``INTEGER``/``TEXT``/``BLOB`` are translated);
  SQLite-only machinery (FTS5) is guarded by ``db.dialect == "sqlite"``.

Layout (each module one job):

* ``backend``      — ``Db``: the one seam between the SQL and SQLite / PostgreSQL
* ``copying``      — ``store copy``: a whole history between stores, with checksums
* ``database``     — ``Store``: open/close, the run transaction, outbox, re-tagging
* ``run_writer``   — ``RunWriter``: what one check run reads and writes
* ``backfill``     — ``BackfillSession``: a backfill's pages (one transaction each) and cursors; the review's items
* ``queries``      — the look-back questions (history, changes, one announcement)
* ``opening``      — is this file ours, upgrade it, read-only connections
* ``files``        — checks on the file and its folder before SQLite opens them
* ``migrations``   — one function per schema version (``@migration(N)``), ``SCHEMA_VERSION``
* ``transaction``  — ``BEGIN IMMEDIATE`` … ``COMMIT`` with errors turned into ``StoreError``
* ``failures``     — sqlite3 errors → person-readable ``StoreError``
* ``codec``        — JSON columns, shared SELECTs and their row decoders (pure)
* ``attachments``  — attachment files once by SHA-256, each version's files, per-link validators
* ``search``       — each version indexed for full-text search (``search_index``) and searched
* ``records``      — the frozen values the store returns
"""

from __future__ import annotations

from cnca_watch.store.codec import areas_from_json, areas_to_json, attachments_from_json, attachments_to_json
from cnca_watch.store.database import Store
from cnca_watch.store.files import SQLITE_MAGIC
from cnca_watch.store.migrations import MIGRATIONS, SCHEMA_VERSION
from cnca_watch.store.opening import APPLICATION_ID
from cnca_watch.store.records import (
    AnnouncementHistory,
    Retagging,
    RetagResult,
    RunSummary,
    SourceState,
    VersionRecord,
)
from cnca_watch.store.run_writer import RunWriter

__all__ = [
    "APPLICATION_ID",
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "SQLITE_MAGIC",
    "AnnouncementHistory",
    "RetagResult",
    "Retagging",
    "RunSummary",
    "RunWriter",
    "SourceState",
    "Store",
    "VersionRecord",
    "areas_from_json",
    "areas_to_json",
    "attachments_from_json",
    "attachments_to_json",
]
