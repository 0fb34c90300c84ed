"""One check run's reads and writes, inside the run's transaction."""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import replace
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
from cnca_watch.store.backend import Db
from cnca_watch.store.search import index_version
from cnca_watch.store.records import SourceState


# Which outbox channels one change goes to, given the change and its announcement's body
# (``[[routes]]`` look at the body's words); None queues every change on every channel.
Router = Callable[[Change, str], Sequence[str]]


class RunWriter:
    """Everything a check run reads and writes, inside the run's transaction."""

    def __init__(
        self, db: Db, run_id: int, started_at: str, channels: Sequence[str], router: Router | None = None
    ) -> None:
        self._db = db
        self.id = run_id
        self.started_at = started_at
        self.channels = tuple(dict.fromkeys(channels))
        self.router = router
        self.finished = False
        self.closed = False

    @contextmanager
    def _sql(self) -> Iterator[Db]:
        if self.closed:
            raise StoreError(f"run {self.id} on {self._db.label} is over; open a new run to write")
        try:
            yield self._db
        except self._db.errors as exc:
            raise self._db.failure(exc) from None

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

    def attachment_links(
        self, urls: Iterable[str]
    ) -> tuple[dict[str, attachment_rows.KnownAttachment], dict[str, str]]:
        """What the store remembers of these attachment links: the captured ones (file,
        validators) and when each never-captured one last failed (``attachments.link_states``)."""
        with self._sql() as conn:
            return attachment_rows.link_states(conn, urls)

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

    def remember_attachment_failure(self, url: str, name: str) -> None:
        """``url`` was asked for in this run and gave no file (the throttle counts from now)."""
        with self._sql() as conn:
            attachment_rows.remember_failure(conn, url, name, self.started_at)

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
                INSERT INTO run_sources
                    (run_id, source_id, status, error, items_seen, first_run, new, changed, removed, requests,
                     final_url)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (run_id, source_id) DO UPDATE SET
                    status = excluded.status, error = excluded.error, items_seen = excluded.items_seen,
                    first_run = excluded.first_run, new = excluded.new, changed = excluded.changed,
                    removed = excluded.removed, requests = excluded.requests, final_url = excluded.final_url
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
            # One read for the whole window (not three round trips per row: on PostgreSQL each
            # is a network round trip); then only what changed is written.
            known = self._known(conn, source_id, [*(i.url for i in current), *(c.url for c in diff.changes)])
            # the files each latest version had, in one read too (a replaced file is a new version)
            stored_keys = attachment_rows.versions_file_keys(
                conn, [row[2] for row in known.values() if row[2] is not None]
            )
            for item in current:
                values = _version_values(item)
                row = known.get(item.url)
                if row is None:
                    aid = conn.insert(
                        "INSERT INTO announcements (source_id, url, first_seen_run) VALUES (?, ?, ?)",
                        (source_id, item.url, self.id),
                    )
                    listing, version_id, latest = None, None, None
                else:
                    aid, listing, version_id, latest = row
                latest_id = version_id
                version_id = self._settle_version(
                    conn, aid, item, values, version_id, latest, stored_keys.get(version_id or 0, ())
                )
                if version_id != latest_id:
                    conn.execute(
                        "UPDATE announcements SET latest_version_id = ?, listed = 1, position = ?, removed = 0"
                        " WHERE id = ?",
                        (version_id, item.position, aid),
                    )
                elif listing != (1, item.position, 0):
                    conn.execute(
                        "UPDATE announcements SET listed = 1, position = ?, removed = 0 WHERE id = ?",
                        (item.position, aid),
                    )
                stored_keys[version_id] = attachment_rows.file_keys(item.files)
                known[item.url] = (aid, (1, item.position, 0), version_id, (*values, fields_to_json(item.fields)))
            for url in diff.unlisted:
                conn.execute(
                    "UPDATE announcements SET listed = 0, position = NULL WHERE source_id = ? AND url = ?",
                    (source_id, url),
                )
            stored: list[Change] = []
            queued: list[tuple[int, str]] = []
            for change in diff.changes:
                if change.url in known:
                    aid, _, latest_id, _ = known[change.url]
                else:
                    aid, latest_id = self._announcement_id(conn, source_id, change.url), None
                version_id = latest_id or self._latest_version(conn, aid) or self._upsert_version(
                    conn, aid, announcement_from_change(change)
                )
                if change.kind is ChangeKind.REMOVED:
                    conn.execute(
                        "UPDATE announcements SET removed = 1, listed = 0, position = NULL WHERE id = ?", (aid,)
                    )
                change_id = conn.insert(
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
                channels = (
                    self.channels if self.router is None
                    else tuple(dict.fromkeys(self.router(change, bodies.get(change.url, ""))))
                )
                queued += [(change_id, channel) for channel in channels]
                stored.append(replace(change, id=change_id, detected_at=change.detected_at or self.started_at))
            if queued:  # one batch (psycopg pipelines executemany): not a round trip per change
                conn.executemany("INSERT INTO outbox (change_id, channel) VALUES (?, ?)", queued)
            return tuple(stored)

    def finish(self, finished_at: str, status: str) -> None:
        with self._sql() as conn:
            conn.execute("UPDATE runs SET finished_at = ?, status = ? WHERE id = ?", (finished_at, status, self.id))
        self.finished = True

    # ---- helpers

    def _source_id(self, conn: Db, name: str, url: str) -> int:
        conn.execute(
            "INSERT INTO sources (name, url) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET url = excluded.url",
            (name, url),
        )
        return int(conn.execute("SELECT id FROM sources WHERE name = ?", (name,)).fetchone()[0])

    def _announcement_id(self, conn: Db, source_id: int, url: str) -> int:
        row = conn.execute(
            "SELECT id FROM announcements WHERE source_id = ? AND url = ?", (source_id, url)
        ).fetchone()
        if row:
            return int(row[0])
        return conn.insert(
            "INSERT INTO announcements (source_id, url, first_seen_run) VALUES (?, ?, ?)",
            (source_id, url, self.id),
        )

    def _latest_version(self, conn: Db, aid: int) -> int | None:
        row = conn.execute("SELECT latest_version_id FROM announcements WHERE id = ?", (aid,)).fetchone()
        return row[0] if row else None

    def _upsert_version(self, conn: Db, aid: int, item: Announcement) -> int:
        """The id of a version equal to ``item``: the latest one if nothing differs, else a new one."""
        latest = conn.execute(
            f"SELECT v.id, {_V_COLUMNS} FROM announcements a JOIN versions v ON v.id = a.latest_version_id"
            " WHERE a.id = ?",
            (aid,),
        ).fetchone()
        latest_id = None if latest is None else int(latest[0])
        keys = () if latest_id is None else attachment_rows.version_file_keys(conn, latest_id)
        version_id = self._settle_version(
            conn, aid, item, _version_values(item), latest_id, None if latest is None else tuple(latest[1:]), keys
        )
        if version_id != latest_id:
            conn.execute("UPDATE announcements SET latest_version_id = ? WHERE id = ?", (version_id, aid))
        return version_id

    def _settle_version(
        self,
        conn: Db,
        aid: int,
        item: Announcement,
        values: tuple[object, ...],
        latest_id: int | None,
        latest: tuple[object, ...] | None,
        latest_keys: tuple[tuple[str, str], ...],
    ) -> int:
        """The latest version's id if ``item`` equals it (values and files), else a new
        version's (its files and search document written; the caller points the
        announcement at it).  ``latest`` is the latest version's ``VERSION_COLUMNS`` then
        its ``fields_json``."""
        stored_fields = latest[-1] if latest is not None else None
        assert stored_fields is None or isinstance(stored_fields, str)
        if (
            latest_id is not None
            and latest is not None
            and tuple(latest[:-1]) == values
            and latest_keys == attachment_rows.file_keys(item.files)
        ):
            if item.fields is not None and stored_fields is None:
                # read for the first time (a store from before fields): keep what was read
                conn.execute("UPDATE versions SET fields_json = ? WHERE id = ?", (fields_to_json(item.fields), latest_id))
            return latest_id
        fields_json = fields_to_json(item.fields)
        if fields_json is None and latest is not None and tuple(latest[0:3]) == values[0:3]:
            fields_json = stored_fields  # same title, date and body (only the list row moved): same fields
        version_id = self._insert_version(conn, aid, values, fields_json)
        attachment_rows.save_version_files(conn, version_id, item.files)
        index_version(conn, version_id, item.title, item.body, attachment_files_text(item.files))
        return version_id

    def _insert_version(self, conn: Db, aid: int, values: tuple[object, ...], fields_json: str | None) -> int:
        return conn.insert(
            f"INSERT INTO versions (announcement_id, run_id, seen_at, {', '.join(VERSION_COLUMNS)}, fields_json)"
            f" VALUES (?, ?, ?, {', '.join('?' * len(VERSION_COLUMNS))}, ?)",
            (aid, self.id, self.started_at, *values, fields_json),
        )

    def _known(self, conn: Db, source_id: int, urls: Sequence[str]) -> dict[str, _Known]:
        """What the store holds for these URLs of the source: id, listing, latest version."""
        known: dict[str, _Known] = {}
        for marks, chunk in in_chunks(list(dict.fromkeys(urls))):
            for url, aid, listed, position, removed, version_id, *latest in conn.execute(
                f"SELECT a.url, a.id, a.listed, a.position, a.removed, v.id, {_V_COLUMNS}"
                " FROM announcements a LEFT JOIN versions v ON v.id = a.latest_version_id"
                f" WHERE a.source_id = ? AND a.url IN ({marks})",
                (source_id, *chunk),
            ):
                known[url] = (int(aid), (listed, position, removed), version_id, tuple(latest))
        return known


# The version columns compared to tell a new version from the latest one, in this order
# (a migration that adds one adds it here and in ``_version_values``).  ``fields_json`` is
# read after them but not compared: fields are read only for new or changed text.
VERSION_COLUMNS = (
    "title", "date", "body", "attachments_json", "list_title", "list_date", "areas_json", "area_reason"
)
_V_COLUMNS = ", ".join(f"v.{c}" for c in (*VERSION_COLUMNS, "fields_json"))

# (announcement id, (listed, position, removed), latest version id or None, its values and fields_json)
_Known = tuple[int, tuple[int, int | None, int] | None, int | None, tuple[object, ...] | None]


def _version_values(item: Announcement) -> tuple[object, ...]:
    return (
        item.title,
        item.date,
        item.body,
        attachments_to_json(item.attachments),
        item.list_title,
        item.list_date,
        areas_to_json(item.areas),
        item.area_reason,
    )
