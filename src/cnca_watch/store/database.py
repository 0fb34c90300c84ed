"""The open store: opening and closing, the run transaction, the outbox, re-tagging; the
look-back questions it inherits from ``queries.LookBack``."""

from __future__ import annotations

import sqlite3
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator, Sequence

from cnca_watch.models import Change
from cnca_watch.store.attachments import StoredFile, stored_file
from cnca_watch.store.backfill import STORED_ITEMS_SELECT, BackfillSession, StoredItem, stored_items
from cnca_watch.store.search import SearchFilters, SearchHit, search_versions
from cnca_watch.store.codec import CHANGE_SELECT, areas_to_json, change_from_row, in_chunks
from cnca_watch.store.failures import store_error
from cnca_watch.store.fields import FieldsStore
from cnca_watch.store.files import refuse_non_sqlite
from cnca_watch.store.opening import connect_read_only, connect_writable
from cnca_watch.store.health import HealthQueries
from cnca_watch.store.queries import LookBack
from cnca_watch.store.routing import RoutingQueries
from cnca_watch.store.records import RetagResult
from cnca_watch.store.run_writer import Router, RunWriter
from cnca_watch.store.transaction import immediate_transaction

if TYPE_CHECKING:
    from cnca_watch.classify import Classification


class Store(LookBack, HealthQueries, RoutingQueries, FieldsStore):
    """An open store.  Use ``Store.open``; a context manager that closes it."""

    def __init__(self, conn: sqlite3.Connection, path: Path, lock_timeout: float) -> None:
        self._conn = conn
        self.path = path
        self.lock_timeout = lock_timeout

    # ---- opening

    @classmethod
    def open(
        cls, path: Path, *, lock_timeout: float = 30.0, max_pages: int | None = None, read_only: bool = False
    ) -> Store:
        """Open (creating if absent) and, if needed, upgrade the store at ``path``.

        ``max_pages`` caps the file size in pages (SQLite ``max_page_count``): tests
        use it to simulate a full disk.

        ``read_only=True`` is for commands that only look (history, report, show, feed):
        the store must exist, and nothing is written to it — it works on a read-only file,
        folder or file system.  A store that is not writable is refused up front for
        writing, with a message that says so.
        """
        path = Path(path).expanduser()
        refuse_non_sqlite(path)
        if read_only:
            conn = connect_read_only(path, lock_timeout)
            if conn is None:  # an empty or older store, and a writable one: upgrade it as before
                return cls.open(path, lock_timeout=lock_timeout, max_pages=max_pages)
            return cls(conn, path, lock_timeout)
        return cls(connect_writable(path, lock_timeout, max_pages), path, lock_timeout)

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # ---- writing a run

    @contextmanager
    def run(
        self, *, started_at: str, channels: Sequence[str] = ("report",), router: Router | None = None
    ) -> Iterator[RunWriter]:
        """The one transaction (and lock) of a check run: committed on normal exit."""
        with self._transaction("this run was not saved"):
            cursor = self._conn.execute(
                "INSERT INTO runs (started_at, status) VALUES (?, 'running')", (started_at,)
            )
            writer = RunWriter(self._conn, self.path, int(cursor.lastrowid or 0), started_at, channels, router)
            try:
                yield writer
                if not writer.finished:
                    # The caller left without saying how it ended: record that honestly.
                    self._conn.execute("UPDATE runs SET status = 'unfinished' WHERE id = ?", (writer.id,))
            finally:
                writer.closed = True

    def backfill(self, *, started_at: str) -> BackfillSession:
        """A backfill's writes, one list page per transaction (``store/backfill.py``)."""
        return BackfillSession(self._conn, self.path, started_at)

    def stored_items(self) -> list[StoredItem]:
        """The latest version of every announcement (what ``review`` counts)."""
        return stored_items(self._read(STORED_ITEMS_SELECT))

    def _transaction(self, doing: str) -> AbstractContextManager[None]:
        return immediate_transaction(self._conn, self.path, doing)

    def _read(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        try:
            return self._conn.execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            raise store_error(exc, self.path, "nothing was saved") from None

    # ---- attachments and search (read-only)

    def search(
        self, query: str, *, fields: Sequence[str], limit: int, filters: SearchFilters = SearchFilters()
    ) -> list[SearchHit]:
        """Ranked hits over every stored version (see ``store.search``)."""
        try:
            return search_versions(self._conn, query, fields=fields, limit=limit, filters=filters)
        except sqlite3.Error as exc:
            raise store_error(exc, self.path, "nothing was saved") from None

    def attachment_file(self, key: str) -> StoredFile | None:
        """A stored attachment file by SHA-256 (or a unique 8+ digit prefix) or by its link."""
        try:
            return stored_file(self._conn, key)
        except sqlite3.Error as exc:
            raise store_error(exc, self.path, "nothing was saved") from None

    # ---- outbox

    def pending(self, channel: str) -> tuple[Change, ...]:
        """Changes queued on ``channel`` and not delivered yet, oldest first."""
        rows = self._read(
            CHANGE_SELECT
            + " JOIN outbox o ON o.change_id = c.id"
            + " WHERE o.channel = ? AND o.delivered_at IS NULL ORDER BY c.id",
            (channel,),
        )
        return tuple(change_from_row(r) for r in rows)

    def mark_delivered(self, channel: str, change_ids: Iterable[int], at: str) -> None:
        ids = list(dict.fromkeys(int(i) for i in change_ids))
        if not ids:
            return
        with self._transaction("the delivery was not recorded"):
            for marks, chunk in in_chunks(ids):
                self._conn.execute(
                    f"UPDATE outbox SET delivered_at = ? WHERE channel = ? AND delivered_at IS NULL"
                    f" AND change_id IN ({marks})",
                    (at, channel, *chunk),
                )

    # ---- re-tagging

    def retag(
        self,
        classify: Callable[[str, str], "Classification"],
        *,
        at: str,
        vocabulary_hash: str,
    ) -> RetagResult:
        """Re-classify the latest version of every announcement, keeping the old tags.

        One transaction: either every announcement is re-tagged or none is.
        """
        with self._transaction("the re-tagging was not saved"):
            cursor = self._conn.execute(
                "INSERT INTO retags (at, vocabulary_hash, changed, total) VALUES (?, ?, 0, 0)",
                (at, vocabulary_hash),
            )
            retag_id = int(cursor.lastrowid or 0)
            rows = self._conn.execute(
                """
                SELECT v.id, v.title, v.body, v.areas_json, v.area_reason
                FROM announcements a JOIN versions v ON v.id = a.latest_version_id
                ORDER BY a.id
                """
            ).fetchall()
            # attachment text is classified as the run does: as body text, after the body
            attached = dict(
                self._conn.execute(
                    """
                    SELECT vf.version_id, group_concat(f.text, char(10))
                    FROM announcements a JOIN version_files vf ON vf.version_id = a.latest_version_id
                    JOIN files f ON f.sha256 = vf.sha256 WHERE f.text != '' GROUP BY vf.version_id
                    """
                ).fetchall()
            )
            changed = 0
            for version_id, title, body, old_json, old_reason in rows:
                text = attached.get(version_id)
                classified = classify(title, f"{body}\n{text}" if text else body)
                new_json = areas_to_json(classified.tags)
                if new_json != old_json:
                    changed += 1
                    self._conn.execute(
                        "INSERT INTO retagged_areas (version_id, retag_id, areas_json) VALUES (?, ?, ?)",
                        (version_id, retag_id, old_json),
                    )
                if new_json != old_json or classified.reason != old_reason:
                    self._conn.execute(
                        "UPDATE versions SET areas_json = ?, area_reason = ? WHERE id = ?",
                        (new_json, classified.reason, version_id),
                    )
            self._conn.execute(
                "UPDATE retags SET changed = ?, total = ? WHERE id = ?", (changed, len(rows), retag_id)
            )
        return RetagResult(id=retag_id, at=at, vocabulary_hash=vocabulary_hash, total=len(rows), changed=changed)
