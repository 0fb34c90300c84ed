"""One check run's reads and writes, inside the run's transaction."""

from __future__ import annotations

import sqlite3
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Callable, Iterable, Iterator, Sequence

from cnca_watch.errors import StoreError
from cnca_watch.models import (
    Announcement,
    AttachmentFile,
    Change,
    ChangeKind,
    Snapshot,
    SourceDiff,
    SourceResult,
    SourceStatus,
    Validators,
)
from cnca_watch.store.codec import (
    SNAPSHOT_SELECT,
    announcement_from_change,
    areas_to_json,
    attachments_to_json,
    dumps,
    fields_to_json,
    in_chunks,
    snapshot_from_row,
)
from cnca_watch.models import attachment_files_text
from cnca_watch.store import attachments as attachment_rows
from cnca_watch.store.failures import store_error
from cnca_watch.store.search import index_version
from cnca_watch.store.records import SourceState


# Which outbox channels one change goes to, given the change and its announcement's body
# (``[[routes]]`` look at the body's words); None queues every change on every channel.
Router = Callable[[Change, str], Sequence[str]]


class RunWriter:
    """Everything a check run reads and writes, inside the run's transaction."""

    def __init__(
        self,
        conn: sqlite3.Connection,
        path: Path,
        run_id: int,
        started_at: str,
        channels: Sequence[str],
        router: Router | None = None,
    ) -> None:
        self._conn = conn
        self._path = path
        self.id = run_id
        self.started_at = started_at
        self.channels = tuple(dict.fromkeys(channels))
        self.router = router
        self.finished = False
        self.closed = False

    @contextmanager
    def _sql(self) -> Iterator[sqlite3.Connection]:
        if self.closed:
            raise StoreError(f"run {self.id} on {self._path} is over; open a new run to write")
        try:
            yield self._conn
        except sqlite3.Error as exc:
            raise store_error(exc, self._path) from None

    # ---- reading

    def previous(self, source: str, urls: Iterable[str]) -> SourceState:
        """Snapshots for ``urls`` plus every listed, not removed one of ``source``."""
        with self._sql() as conn:
            row = conn.execute("SELECT id, url FROM sources WHERE name = ?", (source,)).fetchone()
            if row is None:
                return SourceState(known=False, items_seen=None, snapshots={})
            source_id, source_url = row
            last_ok = conn.execute(
                "SELECT items_seen FROM run_sources WHERE source_id = ? AND status = ?"
                " ORDER BY run_id DESC LIMIT 1",
                (source_id, SourceStatus.OK.value),
            ).fetchone()
            snapshots: dict[str, Snapshot] = {}
            for r in conn.execute(SNAPSHOT_SELECT + " WHERE a.source_id = ? AND a.listed = 1 AND a.removed = 0", (source_id,)):
                snapshots[r[0]] = snapshot_from_row(r)
            wanted = [u for u in dict.fromkeys(urls) if u not in snapshots]
            for marks, chunk in in_chunks(wanted):
                for r in conn.execute(
                    SNAPSHOT_SELECT + f" WHERE a.source_id = ? AND a.url IN ({marks})", (source_id, *chunk)
                ):
                    snapshots[r[0]] = snapshot_from_row(r)
            if last_ok is None and not snapshots:
                known = conn.execute(
                    "SELECT 1 FROM announcements WHERE source_id = ? LIMIT 1", (source_id,)
                ).fetchone() is not None
            else:
                known = True
            return SourceState(
                known=known, items_seen=last_ok[0] if last_ok else None, snapshots=snapshots, url=source_url
            )

    def validators(self, url: str) -> Validators:
        with self._sql() as conn:
            row = conn.execute("SELECT etag, last_modified FROM http_cache WHERE url = ?", (url,)).fetchone()
        return Validators(*row) if row else Validators()

    def known_attachments(self, urls: Iterable[str]) -> dict[str, attachment_rows.KnownAttachment]:
        """What the store remembers of these attachment links (file, validators)."""
        with self._sql() as conn:
            return attachment_rows.known_attachments(conn, urls)

    # ---- writing

    def record_files(
        self, files: Sequence[AttachmentFile], contents: dict[str, bytes], *, keep_files: bool
    ) -> None:
        """Store each captured file once (by SHA-256); ``contents`` are kept if ``keep_files``."""
        with self._sql() as conn:
            attachment_rows.save_files(conn, files, contents, keep_files=keep_files, run_id=self.id)

    def remember_attachment(self, file: AttachmentFile, validators: Validators) -> None:
        """The file now served under ``file.url`` and its validators (for the next conditional GET)."""
        with self._sql() as conn:
            attachment_rows.remember_fetch(conn, file.url, file.name, file.sha256, validators, self.started_at)

    def set_validators(self, url: str, validators: Validators) -> None:
        with self._sql() as conn:
            if validators.etag is None and validators.last_modified is None:
                conn.execute("DELETE FROM http_cache WHERE url = ?", (url,))
            else:
                conn.execute(
                    "INSERT INTO http_cache (url, etag, last_modified) VALUES (?, ?, ?)"
                    " ON CONFLICT (url) DO UPDATE SET etag = excluded.etag, last_modified = excluded.last_modified",
                    (url, validators.etag, validators.last_modified),
                )

    def record_source(self, result: SourceResult) -> None:
        with self._sql() as conn:
            source_id = self._source_id(conn, result.name, result.url)
            conn.execute(
                """
                INSERT OR REPLACE INTO run_sources
                    (run_id, source_id, status, error, items_seen, first_run, new, changed, removed, requests,
                     final_url)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
                (
                    self.id,
                    source_id,
                    SourceStatus(result.status).value,
                    result.error,
                    result.items_seen,
                    int(result.first_run),
                    result.new,
                    result.changed,
                    result.removed,
                    result.requests,
                    result.final_url,
                ),
            )

    def record_observations(
        self, source: str, source_url: str, current: Sequence[Announcement], diff: SourceDiff
    ) -> tuple[Change, ...]:
        """Store this window and its changes; queue each change on its channels (every
        channel of the run, or those the router picks)."""
        bodies = {item.url: item.body for item in current}
        with self._sql() as conn:
            source_id = self._source_id(conn, source, source_url)
            for item in current:
                aid = self._announcement_id(conn, source_id, item.url)
                self._upsert_version(conn, aid, item)
                conn.execute(
                    "UPDATE announcements SET listed = 1, position = ?, removed = 0 WHERE id = ?",
                    (item.position, aid),
                )
            for url in diff.unlisted:
                conn.execute(
                    "UPDATE announcements SET listed = 0, position = NULL WHERE source_id = ? AND url = ?",
                    (source_id, url),
                )
            stored: list[Change] = []
            for change in diff.changes:
                aid = self._announcement_id(conn, source_id, change.url)
                version_id = self._latest_version(conn, aid) or self._upsert_version(
                    conn, aid, announcement_from_change(change)
                )
                if change.kind is ChangeKind.REMOVED:
                    conn.execute(
                        "UPDATE announcements SET removed = 1, listed = 0, position = NULL WHERE id = ?", (aid,)
                    )
                cursor = conn.execute(
                    """
                    INSERT INTO changes
                        (run_id, announcement_id, version_id, kind, fields_changed_json, diff, detected_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    """,
                    (
                        self.id,
                        aid,
                        version_id,
                        ChangeKind(change.kind).value,
                        dumps(list(change.fields_changed)),
                        change.diff,
                        change.detected_at or self.started_at,
                    ),
                )
                change_id = int(cursor.lastrowid or 0)
                channels = (
                    self.channels if self.router is None
                    else tuple(dict.fromkeys(self.router(change, bodies.get(change.url, ""))))
                )
                conn.executemany(
                    "INSERT INTO outbox (change_id, channel) VALUES (?, ?)",
                    [(change_id, channel) for channel in channels],
                )
                stored.append(replace(change, id=change_id, detected_at=change.detected_at or self.started_at))
            return tuple(stored)

    def finish(self, finished_at: str, status: str) -> None:
        with self._sql() as conn:
            conn.execute("UPDATE runs SET finished_at = ?, status = ? WHERE id = ?", (finished_at, status, self.id))
        self.finished = True

    # ---- helpers

    def _source_id(self, conn: sqlite3.Connection, name: str, url: str) -> int:
        conn.execute(
            "INSERT INTO sources (name, url) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET url = excluded.url",
            (name, url),
        )
        return int(conn.execute("SELECT id FROM sources WHERE name = ?", (name,)).fetchone()[0])

    def _announcement_id(self, conn: sqlite3.Connection, source_id: int, url: str) -> int:
        row = conn.execute(
            "SELECT id FROM announcements WHERE source_id = ? AND url = ?", (source_id, url)
        ).fetchone()
        if row:
            return int(row[0])
        cursor = conn.execute(
            "INSERT INTO announcements (source_id, url, first_seen_run) VALUES (?, ?, ?)",
            (source_id, url, self.id),
        )
        return int(cursor.lastrowid or 0)

    def _latest_version(self, conn: sqlite3.Connection, aid: int) -> int | None:
        row = conn.execute("SELECT latest_version_id FROM announcements WHERE id = ?", (aid,)).fetchone()
        return row[0] if row else None

    def _upsert_version(self, conn: sqlite3.Connection, aid: int, item: Announcement) -> int:
        """The id of a version equal to ``item``: the latest one if nothing differs, else a new one."""
        values = (
            item.title,
            item.date,
            item.body,
            attachments_to_json(item.attachments),
            item.list_title,
            item.list_date,
            areas_to_json(item.areas),
            item.area_reason,
        )
        latest = conn.execute(
            """
            SELECT v.id, v.title, v.date, v.body, v.attachments_json, v.list_title, v.list_date, v.areas_json,
                   v.area_reason, v.fields_json
            FROM announcements a JOIN versions v ON v.id = a.latest_version_id WHERE a.id = ?
            """,
            (aid,),
        ).fetchone()
        stored_fields = latest[9] if latest is not None else None
        # a file replaced under the same link is a new version too
        if (
            latest is not None
            and tuple(latest[1:9]) == values
            and attachment_rows.version_file_keys(conn, int(latest[0])) == attachment_rows.file_keys(item.files)
        ):
            if item.fields is not None and stored_fields is None:
                # read for the first time (a store from before fields): keep what was read
                conn.execute("UPDATE versions SET fields_json = ? WHERE id = ?", (fields_to_json(item.fields), latest[0]))
            return int(latest[0])
        fields_json = fields_to_json(item.fields)
        if fields_json is None and latest is not None and latest[1:4] == values[0:3]:
            fields_json = stored_fields  # same title, date and body (only the list row moved): same fields
        cursor = conn.execute(
            """
            INSERT INTO versions (announcement_id, run_id, seen_at, title, date, body,
                                  attachments_json, list_title, list_date, areas_json, area_reason, fields_json)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            (aid, self.id, self.started_at, *values, fields_json),
        )
        version_id = int(cursor.lastrowid or 0)
        conn.execute("UPDATE announcements SET latest_version_id = ? WHERE id = ?", (version_id, aid))
        attachment_rows.save_version_files(conn, version_id, item.files)
        index_version(conn, version_id, item.title, item.body, attachment_files_text(item.files))
        return version_id
