"""The snapshot store: one SQLite file (WAL), stdlib ``sqlite3`` only.

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
"""

from __future__ import annotations

import functools
import json
import sqlite3
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Sequence

from cnca_watch.errors import StoreError, StoreLockedError
from cnca_watch.models import (
    Announcement,
    AreaTag,
    Attachment,
    Change,
    ChangeKind,
    Evidence,
    Snapshot,
    SourceDiff,
    SourceResult,
    SourceStatus,
    Validators,
    area_tag_to_dict,
    attachment_to_dict,
)

APPLICATION_ID = 0x434E4341  # "CNCA": marks the file as ours in the SQLite header
SCHEMA_VERSION = 2
SQLITE_MAGIC = b"SQLite format 3\x00"
_CHUNK = 500  # URLs per IN (...) query, well under SQLite's variable limit

# Primary result codes (extended codes carry them in the low byte).
_SQLITE_BUSY, _SQLITE_LOCKED, _SQLITE_READONLY = 5, 6, 8
_SQLITE_IOERR, _SQLITE_CORRUPT, _SQLITE_FULL, _SQLITE_CANTOPEN, _SQLITE_NOTADB = 10, 11, 13, 14, 26


# --------------------------------------------------------------------------- values


@dataclass(frozen=True, slots=True)
class SourceState:
    """What the store knows about a source before this run's diff."""

    known: bool  # the source was observed before (else this is its first run)
    items_seen: int | None  # window size at its last ok run
    snapshots: dict[str, Snapshot]
    url: str | None = None  # the page it was watched at until now


@dataclass(frozen=True, slots=True)
class RunSummary:
    id: int
    started_at: str
    finished_at: str | None
    status: str
    sources_ok: int
    sources_failed: int
    new: int
    changed: int
    removed: int


@dataclass(frozen=True, slots=True)
class Retagging:
    """Tags a version had before a re-tagging replaced them."""

    retag_id: int
    at: str
    vocabulary_hash: str
    areas: tuple[AreaTag, ...]


@dataclass(frozen=True, slots=True)
class VersionRecord:
    id: int
    run_id: int
    seen_at: str
    title: str
    date: str | None
    body: str
    attachments: tuple[Attachment, ...]
    areas: tuple[AreaTag, ...]
    list_title: str
    list_date: str | None
    previous_tags: tuple[Retagging, ...] = ()  # oldest first


@dataclass(frozen=True, slots=True)
class AnnouncementHistory:
    id: int
    source: str
    url: str
    first_seen_run: int
    listed: bool
    removed: bool
    versions: list[VersionRecord]  # oldest first
    changes: list[Change]  # oldest first


@dataclass(frozen=True, slots=True)
class RetagResult:
    id: int
    at: str
    vocabulary_hash: str
    total: int
    changed: int


# --------------------------------------------------------------------------- schema


def _run_script(conn: sqlite3.Connection, script: str) -> None:
    """Statement by statement: ``executescript`` would COMMIT the migration's transaction."""
    for statement in script.split(";"):
        if statement.strip():
            conn.execute(statement)


def _migrate_to_v1(conn: sqlite3.Connection) -> None:
    _run_script(
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


def _migrate_to_v2(conn: sqlite3.Connection) -> None:
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
        new_text = _dumps(attachments)
        if new_text != text:
            conn.execute("UPDATE versions SET attachments_json = ? WHERE id = ?", (new_text, version_id))


# Migration ``n`` turns a schema ``n - 1`` store into a schema ``n`` one (0 = empty file).
# Never edit a released migration: add the next one.
MIGRATIONS: dict[int, Callable[[sqlite3.Connection], None]] = {1: _migrate_to_v1, 2: _migrate_to_v2}


# --------------------------------------------------------------------------- errors


def _store_error(exc: sqlite3.Error, path: Path, doing: str = "this run was not saved") -> StoreError:
    """A person-readable StoreError for a sqlite3 failure."""
    code = getattr(exc, "sqlite_errorcode", None)
    primary = code & 0xFF if isinstance(code, int) else None
    message = str(exc)
    if primary == _SQLITE_FULL or "database or disk is full" in message:
        return StoreError(f"disk full while writing {path}: {doing}; the store is unchanged")
    if primary in (_SQLITE_BUSY, _SQLITE_LOCKED) or "database is locked" in message:
        return StoreLockedError(f"another cnca-watch run holds the store {path}; try again later")
    if primary == _SQLITE_READONLY:
        return StoreError(f"cannot write the store {path}: it is read-only ({message})")
    if primary in (_SQLITE_CORRUPT, _SQLITE_NOTADB):
        return StoreError(
            f"the store {path} is damaged ({message}); restore a backup or point --store elsewhere"
        )
    if primary in (_SQLITE_IOERR, _SQLITE_CANTOPEN):
        return StoreError(f"cannot read or write the store {path} ({message})")
    return StoreError(f"store {path} failed: {message}")


def _not_ours(path: Path, why: str) -> StoreError:
    return StoreError(f"{path} is not a cnca-watch store ({why}); point --store elsewhere")


# --------------------------------------------------------------------------- (de)serialisation


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def areas_to_json(areas: Sequence[AreaTag]) -> str:
    return _dumps([area_tag_to_dict(a) for a in areas])


@functools.lru_cache(maxsize=4096)  # the same few tag sets recur across thousands of rows
def areas_from_json(text: str) -> tuple[AreaTag, ...]:
    return tuple(
        AreaTag(
            id=a["id"],
            label_en=a.get("label_en", ""),
            label_zh=a.get("label_zh", ""),
            score=float(a.get("score", 0.0)),
            evidence=tuple(Evidence(term=e["term"], where=e["where"]) for e in a.get("evidence", ())),
        )
        for a in json.loads(text)
    )


def attachments_to_json(attachments: Sequence[Attachment]) -> str:
    return _dumps([attachment_to_dict(a) for a in attachments])


def attachments_from_json(text: str) -> tuple[Attachment, ...]:
    return tuple(Attachment(url=a["url"], name=a["name"]) for a in json.loads(text))


_CHANGE_SELECT = """
    SELECT c.id, c.kind, s.name, a.url, v.title, v.date, c.fields_changed_json, c.diff,
           v.attachments_json, v.areas_json, c.detected_at
    FROM changes c
    JOIN announcements a ON a.id = c.announcement_id
    JOIN sources s ON s.id = a.source_id
    JOIN versions v ON v.id = c.version_id
"""


def _change_from_row(row: sqlite3.Row | tuple[Any, ...]) -> Change:
    cid, kind, source, url, title, date, fields, diff, attachments, areas, detected_at = row
    return Change(
        kind=ChangeKind(kind),
        source=source,
        url=url,
        title=title,
        date=date,
        fields_changed=tuple(json.loads(fields)),
        diff=diff,
        attachments=attachments_from_json(attachments),
        areas=areas_from_json(areas),
        detected_at=detected_at,
        id=cid,
    )


# --------------------------------------------------------------------------- the store


def _read_only_reason(path: Path) -> str | None:
    """Why this process cannot write the store at ``path``, or None if it can (as far as
    the file system tells; SQLite has the last word).  In WAL mode SQLite also writes
    ``-wal`` and ``-shm`` files beside the store, so its folder counts too."""
    import os

    folder = path.parent
    if not folder.is_dir():
        return None  # a writer creates the folder, and reports it if it cannot
    try:
        if os.statvfs(folder).f_flag & os.ST_RDONLY:
            return "it is on a read-only file system"
    except (AttributeError, OSError):
        pass  # no statvfs here: the checks below still see it
    if path.exists() and not os.access(path, os.W_OK):
        return "the file is not writable"
    sides = [path.with_name(path.name + suffix) for suffix in ("-wal", "-shm")]
    for side in sides:
        if side.exists() and not (side.is_file() and os.access(side, os.W_OK)):
            return f"{side.name} beside it is not a writable file"
    if not os.access(folder, os.W_OK | os.X_OK):
        if not path.exists():
            return f"its folder {folder} is not writable, so the store cannot be created there"
        missing = [side.name for side in sides if not side.exists()]
        if missing:
            return f"its folder {folder} is not writable, and SQLite needs to create {' and '.join(missing)} there"
    return None


def _connect_read_only(path: Path, lock_timeout: float) -> sqlite3.Connection | None:
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
            return conn, _inspect(conn)  # SQLite opens the file (and its -shm) only here
        except BaseException:
            conn.close()
            raise

    try:
        conn, (app_id, version, tables) = connect("mode=ro")
    except sqlite3.Error as exc:
        code = getattr(exc, "sqlite_errorcode", None)
        primary = code & 0xFF if isinstance(code, int) else None
        if primary == _SQLITE_NOTADB:
            raise _not_ours(path, f"SQLite says: {exc}") from None
        problem = _read_only_reason(path)
        if problem is None or primary not in (_SQLITE_CANTOPEN, _SQLITE_READONLY, _SQLITE_IOERR):
            raise _store_error(exc, path, "nothing was saved") from None
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
            raise _store_error(again, path, "nothing was saved") from None
    try:
        _verify(path, app_id, version, tables)
    except BaseException:
        conn.close()
        raise
    if version == SCHEMA_VERSION:
        return conn
    conn.close()
    problem = _read_only_reason(path)
    if problem is None:
        return None
    if version == 0 and tables == 0:
        raise StoreError(
            f"the store {path} is read-only ({problem}) and empty: no run was ever saved in it; "
            "run `cnca-watch check` with --store at a writable path"
        )
    raise StoreError(
        f"the store {path} is read-only ({problem}) and needs an upgrade to store schema v{SCHEMA_VERSION} "
        f"(it has v{version}); make it writable and run `cnca-watch check` once"
    )


class Store:
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
        _refuse_non_sqlite(path)
        if read_only:
            conn = _connect_read_only(path, lock_timeout)
            if conn is None:  # an empty or older store, and a writable one: upgrade it as before
                return cls.open(path, lock_timeout=lock_timeout, max_pages=max_pages)
            return cls(conn, path, lock_timeout)
        problem = _read_only_reason(path)
        if problem is not None:
            raise StoreError(f"the store {path} is read-only ({problem}); make it writable, or point --store at a writable path")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot create the folder for the store {path}: {exc.strerror or exc}") from None
        try:
            conn = sqlite3.connect(str(path), timeout=lock_timeout, isolation_level=None)
        except sqlite3.Error as exc:
            raise _store_error(exc, path, "nothing was saved") from None
        try:
            _check_and_migrate(conn, path)
            conn.execute("PRAGMA foreign_keys = ON")
            conn.execute("PRAGMA synchronous = NORMAL")
            if max_pages is not None:
                conn.execute(f"PRAGMA max_page_count = {int(max_pages)}")
        except BaseException:
            conn.close()
            raise
        return cls(conn, path, lock_timeout)

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # ---- writing a run

    @contextmanager
    def run(self, *, started_at: str, channels: Sequence[str] = ("report",)) -> Iterator[RunWriter]:
        """The one transaction (and lock) of a check run: committed on normal exit."""
        with self._transaction("this run was not saved"):
            cursor = self._conn.execute(
                "INSERT INTO runs (started_at, status) VALUES (?, 'running')", (started_at,)
            )
            writer = RunWriter(self._conn, self.path, int(cursor.lastrowid or 0), started_at, channels)
            try:
                yield writer
                if not writer.finished:
                    # The caller left without saying how it ended: record that honestly.
                    self._conn.execute("UPDATE runs SET status = 'unfinished' WHERE id = ?", (writer.id,))
            finally:
                writer.closed = True

    @contextmanager
    def _transaction(self, doing: str) -> Iterator[None]:
        try:
            self._conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise _store_error(exc, self.path, doing) from None
        try:
            yield
            self._conn.execute("COMMIT")
        except sqlite3.Error as exc:
            self._rollback()
            raise _store_error(exc, self.path, doing) from None
        except BaseException:
            self._rollback()
            raise

    def _rollback(self) -> None:
        if self._conn.in_transaction:
            try:
                self._conn.execute("ROLLBACK")
            except sqlite3.Error:
                pass  # SQLite already rolled back (e.g. after SQLITE_FULL)

    def _read(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        try:
            return self._conn.execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            raise _store_error(exc, self.path, "nothing was saved") from None

    # ---- outbox

    def pending(self, channel: str) -> tuple[Change, ...]:
        """Changes queued on ``channel`` and not delivered yet, oldest first."""
        rows = self._read(
            _CHANGE_SELECT
            + " JOIN outbox o ON o.change_id = c.id"
            + " WHERE o.channel = ? AND o.delivered_at IS NULL ORDER BY c.id",
            (channel,),
        )
        return tuple(_change_from_row(r) for r in rows)

    def mark_delivered(self, channel: str, change_ids: Iterable[int], at: str) -> None:
        ids = list(dict.fromkeys(int(i) for i in change_ids))
        if not ids:
            return
        with self._transaction("the delivery was not recorded"):
            for start in range(0, len(ids), _CHUNK):
                chunk = ids[start : start + _CHUNK]
                marks = ",".join("?" * len(chunk))
                self._conn.execute(
                    f"UPDATE outbox SET delivered_at = ? WHERE channel = ? AND delivered_at IS NULL"
                    f" AND change_id IN ({marks})",
                    (at, channel, *chunk),
                )

    # ---- looking back

    def history(self, limit: int = 50) -> list[RunSummary]:
        """Runs, newest first, with their source outcomes and change counts."""
        rows = self._read(
            """
            SELECT r.id, r.started_at, r.finished_at, r.status,
                   (SELECT COUNT(*) FROM run_sources rs WHERE rs.run_id = r.id AND rs.status = 'ok'),
                   (SELECT COUNT(*) FROM run_sources rs WHERE rs.run_id = r.id AND rs.status != 'ok'),
                   (SELECT COUNT(*) FROM changes c WHERE c.run_id = r.id AND c.kind = 'new'),
                   (SELECT COUNT(*) FROM changes c WHERE c.run_id = r.id AND c.kind = 'changed'),
                   (SELECT COUNT(*) FROM changes c WHERE c.run_id = r.id AND c.kind = 'removed')
            FROM runs r ORDER BY r.id DESC LIMIT ?
            """,
            (int(limit),),
        )
        return [RunSummary(*row) for row in rows]

    def changes(
        self,
        *,
        since: str | None = None,
        until: str | None = None,
        by: str = "detected",
        area: str | None = None,
        source: str | None = None,
        baseline: bool = True,
    ) -> list[Change]:
        """Changes with ``since <= t < until``, oldest first.

        ``by="detected"`` filters on when cnca-watch saw the change (UTC timestamps),
        ``by="published"`` on the announcement's date (give ``YYYY-MM-DD`` bounds).
        ``baseline=False`` leaves out what a source's first run recorded (not news).
        """
        if by not in ("detected", "published"):
            raise ValueError(f"by must be 'detected' or 'published', not {by!r}")
        column = "c.detected_at" if by == "detected" else "v.date"
        where: list[str] = []
        params: list[Any] = []
        if since is not None:
            where.append(f"{column} >= ?")
            params.append(since)
        if until is not None:
            where.append(f"{column} < ?")
            params.append(until)
        if source is not None:
            where.append("s.name = ?")
            params.append(source)
        if not baseline:
            where.append(
                "NOT EXISTS (SELECT 1 FROM run_sources rs WHERE rs.run_id = c.run_id"
                " AND rs.source_id = a.source_id AND rs.first_run = 1)"
            )
        sql = _CHANGE_SELECT + (" WHERE " + " AND ".join(where) if where else "")
        sql += f" ORDER BY {column}, c.id"
        found = [_change_from_row(r) for r in self._read(sql, params)]
        if area is not None:
            found = [c for c in found if any(tag.id == area for tag in c.areas)]
        return found

    def url_of_change(self, change_id: int) -> str | None:
        """The announcement URL of a change (the ``id`` that ``check --json`` prints)."""
        if not 0 < change_id < 2**63:
            return None
        rows = self._read(
            "SELECT a.url FROM changes c JOIN announcements a ON a.id = c.announcement_id WHERE c.id = ?",
            (change_id,),
        )
        return rows[0][0] if rows else None

    def announcement(self, key: str) -> AnnouncementHistory | None:
        """One announcement by URL or numeric id: every version and every change."""
        key = str(key).strip()
        rows = []
        if key.isdigit() and int(key) < 2**63:
            rows = self._read(_ANNOUNCEMENT_SELECT + " WHERE a.id = ?", (int(key),))
        if not rows:
            rows = self._read(_ANNOUNCEMENT_SELECT + " WHERE a.url = ? ORDER BY a.id DESC LIMIT 1", (key,))
        if not rows:
            return None
        aid, source, url, first_seen_run, listed, removed = rows[0]
        old_tags: dict[int, list[Retagging]] = {}
        for version_id, retag_id, at, vocabulary_hash, areas in self._read(
            """
            SELECT ra.version_id, r.id, r.at, r.vocabulary_hash, ra.areas_json
            FROM retagged_areas ra JOIN retags r ON r.id = ra.retag_id
            JOIN versions v ON v.id = ra.version_id
            WHERE v.announcement_id = ? ORDER BY r.id
            """,
            (aid,),
        ):
            old_tags.setdefault(version_id, []).append(
                Retagging(retag_id, at, vocabulary_hash, areas_from_json(areas))
            )
        versions = [
            VersionRecord(
                id=vid,
                run_id=run_id,
                seen_at=seen_at,
                title=title,
                date=date,
                body=body,
                attachments=attachments_from_json(attachments),
                areas=areas_from_json(areas),
                list_title=list_title,
                list_date=list_date,
                previous_tags=tuple(old_tags.get(vid, ())),
            )
            for vid, run_id, seen_at, title, date, body, attachments, areas, list_title, list_date in self._read(
                """
                SELECT id, run_id, seen_at, title, date, body, attachments_json, areas_json, list_title, list_date
                FROM versions WHERE announcement_id = ? ORDER BY id
                """,
                (aid,),
            )
        ]
        changes = [
            _change_from_row(r)
            for r in self._read(_CHANGE_SELECT + " WHERE c.announcement_id = ? ORDER BY c.id", (aid,))
        ]
        return AnnouncementHistory(
            id=aid,
            source=source,
            url=url,
            first_seen_run=first_seen_run,
            listed=bool(listed),
            removed=bool(removed),
            versions=versions,
            changes=changes,
        )

    def source_names(self) -> list[str]:
        return [name for (name,) in self._read("SELECT name FROM sources ORDER BY name")]

    def retags(self) -> list[RetagResult]:
        """Every re-tagging, oldest first."""
        return [
            RetagResult(id=i, at=at, vocabulary_hash=h, total=total, changed=changed)
            for i, at, h, changed, total in self._read(
                "SELECT id, at, vocabulary_hash, changed, total FROM retags ORDER BY id"
            )
        ]

    # ---- re-tagging

    def retag(
        self,
        classify: Callable[[str, str], tuple[AreaTag, ...]],
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
                SELECT v.id, v.title, v.body, v.areas_json
                FROM announcements a JOIN versions v ON v.id = a.latest_version_id
                ORDER BY a.id
                """
            ).fetchall()
            changed = 0
            for version_id, title, body, old_json in rows:
                new_json = areas_to_json(classify(title, body))
                if new_json == old_json:
                    continue
                changed += 1
                self._conn.execute(
                    "INSERT INTO retagged_areas (version_id, retag_id, areas_json) VALUES (?, ?, ?)",
                    (version_id, retag_id, old_json),
                )
                self._conn.execute("UPDATE versions SET areas_json = ? WHERE id = ?", (new_json, version_id))
            self._conn.execute(
                "UPDATE retags SET changed = ?, total = ? WHERE id = ?", (changed, len(rows), retag_id)
            )
        return RetagResult(id=retag_id, at=at, vocabulary_hash=vocabulary_hash, total=len(rows), changed=changed)


_ANNOUNCEMENT_SELECT = """
    SELECT a.id, s.name, a.url, a.first_seen_run, a.listed, a.removed
    FROM announcements a JOIN sources s ON s.id = a.source_id
"""


# --------------------------------------------------------------------------- one run


class RunWriter:
    """Everything a check run reads and writes, inside the run's transaction."""

    def __init__(
        self, conn: sqlite3.Connection, path: Path, run_id: int, started_at: str, channels: Sequence[str]
    ) -> None:
        self._conn = conn
        self._path = path
        self.id = run_id
        self.started_at = started_at
        self.channels = tuple(dict.fromkeys(channels))
        self.finished = False
        self.closed = False

    @contextmanager
    def _sql(self) -> Iterator[sqlite3.Connection]:
        if self.closed:
            raise StoreError(f"run {self.id} on {self._path} is over; open a new run to write")
        try:
            yield self._conn
        except sqlite3.Error as exc:
            raise _store_error(exc, self._path) from None

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
            for r in conn.execute(_SNAPSHOT_SELECT + " WHERE a.source_id = ? AND a.listed = 1 AND a.removed = 0", (source_id,)):
                snapshots[r[0]] = _snapshot_from_row(r)
            wanted = [u for u in dict.fromkeys(urls) if u not in snapshots]
            for start in range(0, len(wanted), _CHUNK):
                chunk = wanted[start : start + _CHUNK]
                marks = ",".join("?" * len(chunk))
                for r in conn.execute(
                    _SNAPSHOT_SELECT + f" WHERE a.source_id = ? AND a.url IN ({marks})", (source_id, *chunk)
                ):
                    snapshots[r[0]] = _snapshot_from_row(r)
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

    # ---- writing

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
                    (run_id, source_id, status, error, items_seen, first_run, new, changed, removed, requests)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
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
                ),
            )

    def record_observations(
        self, source: str, source_url: str, current: Sequence[Announcement], diff: SourceDiff
    ) -> tuple[Change, ...]:
        """Store this window and its changes; queue each change on every channel of the run."""
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
                    conn, aid, _announcement_from_change(change)
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
                        _dumps(list(change.fields_changed)),
                        change.diff,
                        change.detected_at or self.started_at,
                    ),
                )
                change_id = int(cursor.lastrowid or 0)
                conn.executemany(
                    "INSERT INTO outbox (change_id, channel) VALUES (?, ?)",
                    [(change_id, channel) for channel in self.channels],
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
        )
        latest = conn.execute(
            """
            SELECT v.id, v.title, v.date, v.body, v.attachments_json, v.list_title, v.list_date, v.areas_json
            FROM announcements a JOIN versions v ON v.id = a.latest_version_id WHERE a.id = ?
            """,
            (aid,),
        ).fetchone()
        if latest is not None and tuple(latest[1:]) == values:
            return int(latest[0])
        cursor = conn.execute(
            """
            INSERT INTO versions (announcement_id, run_id, seen_at, title, date, body,
                                  attachments_json, list_title, list_date, areas_json)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            (aid, self.id, self.started_at, *values),
        )
        version_id = int(cursor.lastrowid or 0)
        conn.execute("UPDATE announcements SET latest_version_id = ? WHERE id = ?", (version_id, aid))
        return version_id


_SNAPSHOT_SELECT = """
    SELECT a.url, v.title, v.date, v.body, v.attachments_json, v.areas_json, v.list_title, v.list_date,
           a.listed, a.position, a.removed
    FROM announcements a JOIN versions v ON v.id = a.latest_version_id
"""


def _snapshot_from_row(row: tuple[Any, ...]) -> Snapshot:
    url, title, date, body, attachments, areas, list_title, list_date, listed, position, removed = row
    return Snapshot(
        url=url,
        title=title,
        date=date,
        body=body,
        attachments=attachments_from_json(attachments),
        areas=areas_from_json(areas),
        list_title=list_title,
        list_date=list_date,
        listed=bool(listed),
        position=position,
        removed=bool(removed),
    )


def _announcement_from_change(change: Change) -> Announcement:
    return Announcement(
        url=change.url,
        title=change.title,
        date=change.date,
        attachments=change.attachments,
        areas=change.areas,
        list_title=change.title,
        list_date=change.date,
    )


# --------------------------------------------------------------------------- opening checks


def _refuse_non_sqlite(path: Path) -> None:
    """Refuse, by reading its first bytes only, a file that is not an SQLite database."""
    if path.is_dir():
        raise _not_ours(path, "it is a directory")
    if not path.exists():
        return
    try:
        with path.open("rb") as handle:
            head = handle.read(100)
    except OSError as exc:
        raise StoreError(f"cannot read the store {path}: {exc.strerror or exc}") from None
    if not head:
        return  # an empty file: SQLite treats it as a new database
    if not head.startswith(SQLITE_MAGIC) or len(head) < 100:
        raise _not_ours(path, "not an SQLite database")


def _inspect(conn: sqlite3.Connection) -> tuple[int, int, int]:
    app_id = conn.execute("PRAGMA application_id").fetchone()[0]
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    tables = conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()[0]
    return app_id, version, tables


def _check_and_migrate(conn: sqlite3.Connection, path: Path) -> None:
    """Verify the file is ours (reading only) before changing anything, then upgrade it."""
    try:
        app_id, version, tables = _inspect(conn)
    except sqlite3.DatabaseError as exc:
        raise _not_ours(path, f"SQLite says: {exc}") from None
    _verify(path, app_id, version, tables)
    try:
        conn.execute("PRAGMA journal_mode = WAL")
        if version == SCHEMA_VERSION:
            return
        conn.execute("BEGIN IMMEDIATE")
    except sqlite3.Error as exc:
        raise _store_error(exc, path, "the store was not upgraded") from None
    try:
        # Another process may have created or upgraded it while we waited for the lock.
        app_id, version, tables = _inspect(conn)
        _verify(path, app_id, version, tables)
        for target in range(version + 1, SCHEMA_VERSION + 1):
            MIGRATIONS[target](conn)
        conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        conn.execute(
            "INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', ?), ('application', 'cnca-watch')",
            (str(SCHEMA_VERSION),),
        )
        conn.execute("COMMIT")
    except sqlite3.Error as exc:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise _store_error(exc, path, "the store was not upgraded") from None
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


def _verify(path: Path, app_id: int, version: int, tables: int) -> None:
    if app_id != APPLICATION_ID:
        if app_id == 0 and version == 0 and tables == 0:
            return  # a new, empty database
        why = "another program's SQLite database" if tables else f"SQLite application id {app_id:#x}"
        raise _not_ours(path, why)
    if version > SCHEMA_VERSION:
        raise StoreError(
            f"the store {path} was written by a newer cnca-watch (store schema v{version}; "
            f"this version knows up to v{SCHEMA_VERSION}): upgrade cnca-watch"
        )
