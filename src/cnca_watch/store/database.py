"""The open store: opening and closing, the run transaction, the outbox, re-tagging; the
look-back questions it inherits from ``queries.LookBack``."""

from __future__ import annotations

from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator, Sequence

from cnca_watch.models import Change
from cnca_watch.store.attachments import StoredFile, stored_file
from cnca_watch.store.backend import Db, SqliteDb, is_postgres_url, sqlite_path
from cnca_watch.store.backfill import STORED_ITEMS_SELECT, BackfillSession, StoredItem, stored_items
from cnca_watch.store.search import SearchFilters, SearchHit, search_notes, search_versions
from cnca_watch.store.codec import CHANGE_SELECT, areas_to_json, change_from_row, in_chunks
from cnca_watch.store.fields import FieldsStore
from cnca_watch.store.files import refuse_non_sqlite
from cnca_watch.store.opening import connect_postgres, connect_read_only, connect_writable
from cnca_watch.store.health import HealthQueries
from cnca_watch.store.queries import LookBack
from cnca_watch.store.routing import RoutingQueries
from cnca_watch.store.records import RetagResult
from cnca_watch.store.run_writer import Router, RunWriter


class Delivery:
    """One claimed batch of pending changes; ``sent(at)`` after handing them over."""

    def __init__(self, changes: tuple[Change, ...]) -> None:
        self.changes = changes
        self.sent_at: str | None = None
        self._sent: list[int] | None = None

    @property
    def sent_ids(self) -> list[int]:
        if self._sent is not None:
            return self._sent
        return [c.id for c in self.changes if c.id is not None]

    def sent(self, at: str, ids: Iterable[int] | None = None) -> None:
        """They went out at ``at`` (only ``ids`` of them, when a delivery got part way)."""
        self.sent_at = at
        self._sent = None if ids is None else [int(i) for i in ids]

if TYPE_CHECKING:
    from cnca_watch.classify import Classification


class Store(LookBack, HealthQueries, RoutingQueries, FieldsStore):
    """An open store.  Use ``Store.open``; a context manager that closes it."""

    def __init__(self, db: Db, lock_timeout: float) -> None:
        self._db = db
        self.path: Path | None = db.path if isinstance(db, SqliteDb) else None
        self.label = db.label  # where it is, for messages (a PostgreSQL URL without its password)
        self.dialect = db.dialect
        self.lock_timeout = lock_timeout

    # ---- opening

    @classmethod
    def open(
        cls,
        path: Path | str,
        *,
        lock_timeout: float = 30.0,
        max_pages: int | None = None,
        read_only: bool = False,
    ) -> Store:
        """Open (creating if absent) and, if needed, upgrade the store at ``path``: a SQLite
        file (a path or ``sqlite:///…``) or a PostgreSQL database (``postgresql://…``).

        ``max_pages`` caps the file size in pages (SQLite ``max_page_count``): tests
        use it to simulate a full disk.

        ``read_only=True`` is for commands that only look (history, report, show, feed):
        the store must exist, and nothing is written to it — it works on a read-only file,
        folder or file system.  A store that is not writable is refused up front for
        writing, with a message that says so.
        """
        if is_postgres_url(path):
            return cls(connect_postgres(str(path), lock_timeout, read_only=read_only), lock_timeout)
        path = sqlite_path(path)
        refuse_non_sqlite(path)
        if read_only:
            conn = connect_read_only(path, lock_timeout)
            if conn is None:  # an empty or older store, and a writable one: upgrade it as before
                return cls.open(path, lock_timeout=lock_timeout, max_pages=max_pages)
            return cls(SqliteDb(conn, path), lock_timeout)
        return cls(SqliteDb(connect_writable(path, lock_timeout, max_pages), path), lock_timeout)

    def close(self) -> None:
        self._db.close()

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
            run_id = self._db.insert("INSERT INTO runs (started_at, status) VALUES (?, 'running')", (started_at,))
            writer = RunWriter(self._db, run_id, started_at, channels, router)
            try:
                yield writer
                if not writer.finished:
                    # The caller left without saying how it ended: record that honestly.
                    self._db.execute("UPDATE runs SET status = 'unfinished' WHERE id = ?", (writer.id,))
            finally:
                writer.closed = True

    def backfill(self, *, started_at: str) -> BackfillSession:
        """A backfill's writes, one list page per transaction (``store/backfill.py``)."""
        return BackfillSession(self._db, started_at)

    def stored_items(self) -> list[StoredItem]:
        """The latest version of every announcement (what ``review`` counts)."""
        return stored_items(self._read(STORED_ITEMS_SELECT))

    def _transaction(self, doing: str, lock: str | None = "run") -> AbstractContextManager[None]:
        """SQLite: ``BEGIN IMMEDIATE`` (its one write lock).  PostgreSQL: a transaction
        holding the advisory lock ``lock`` (``"run"``: one writing run at a time)."""
        return self._db.transaction(doing, lock)  # type: ignore[no-any-return]

    def _read(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        try:
            return list(self._db.execute(sql, params).fetchall())
        except self._db.errors as exc:
            raise self._db.failure(exc, "nothing was saved") from None

    # ---- attachments and search (read-only)

    def search(
        self, query: str, *, fields: Sequence[str], limit: int, filters: SearchFilters = SearchFilters()
    ) -> list[SearchHit]:
        """Ranked hits over every stored version (see ``store.search``)."""
        try:
            return search_versions(self._db, query, fields=fields, limit=limit, filters=filters)
        except self._db.errors as exc:
            raise self._db.failure(exc, "nothing was saved") from None

    def search_notes(self) -> list[str]:
        """Why searching this store is slower than it could be, one line each (see ``store.search``)."""
        try:
            return search_notes(self._db)
        except self._db.errors as exc:
            raise self._db.failure(exc, "nothing was saved") from None

    def attachment_file(self, key: str) -> StoredFile | None:
        """A stored attachment file by SHA-256 (or a unique 8+ digit prefix) or by its link."""
        try:
            return stored_file(self._db, key)
        except self._db.errors as exc:
            raise self._db.failure(exc, "nothing was saved") from None

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

    @contextmanager
    def delivering(self, channel: str) -> Iterator[Delivery]:
        """The changes pending on ``channel``, claimed for one delivery attempt; the ones
        the caller reports ``sent`` are marked delivered when the block ends normally.

        On PostgreSQL the claim is a transaction holding an advisory lock for ``channel``:
        a second monitor delivering the same channel waits, then finds them delivered, so
        two ``notify`` at once never send a change twice.  On SQLite (one machine) the
        pending list is read and the marks written in a transaction of their own."""
        if self.dialect == "sqlite":
            batch = Delivery(self.pending(channel))
            yield batch
            if batch.sent_at is not None:
                self.mark_delivered(channel, batch.sent_ids, batch.sent_at)
            return
        with self._transaction("the delivery was not recorded", lock=f"outbox:{channel}"):
            batch = Delivery(self.pending(channel))
            yield batch
            if batch.sent_at is not None:
                self._mark(channel, batch.sent_ids, batch.sent_at)

    def mark_delivered(self, channel: str, change_ids: Iterable[int], at: str) -> None:
        ids = list(dict.fromkeys(int(i) for i in change_ids))
        if not ids:
            return
        with self._transaction("the delivery was not recorded", lock=None):
            self._mark(channel, ids, at)

    def _mark(self, channel: str, change_ids: Iterable[int], at: str) -> None:
        ids = list(dict.fromkeys(int(i) for i in change_ids))
        for marks, chunk in in_chunks(ids):
            self._db.execute(
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
            retag_id = self._db.insert(
                "INSERT INTO retags (at, vocabulary_hash, changed, total) VALUES (?, ?, 0, 0)",
                (at, vocabulary_hash),
            )
            rows = self._db.execute(
                """
                SELECT v.id, v.title, v.body, v.areas_json, v.area_reason
                FROM announcements a JOIN versions v ON v.id = a.latest_version_id
                ORDER BY a.id
                """
            ).fetchall()
            # attachment text is classified as the run does: as body text, after the body
            joined = "group_concat(f.text, char(10))" if self.dialect == "sqlite" else (
                "string_agg(f.text, chr(10) ORDER BY vf.position)"
            )
            attached = dict(
                self._db.execute(
                    f"""
                    SELECT vf.version_id, {joined}
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
                    self._db.execute(
                        "INSERT INTO retagged_areas (version_id, retag_id, areas_json) VALUES (?, ?, ?)",
                        (version_id, retag_id, old_json),
                    )
                if new_json != old_json or classified.reason != old_reason:
                    self._db.execute(
                        "UPDATE versions SET areas_json = ?, area_reason = ? WHERE id = ?",
                        (new_json, classified.reason, version_id),
                    )
            self._db.execute(
                "UPDATE retags SET changed = ?, total = ? WHERE id = ?", (changed, len(rows), retag_id)
            )
        return RetagResult(id=retag_id, at=at, vocabulary_hash=vocabulary_hash, total=len(rows), changed=changed)
