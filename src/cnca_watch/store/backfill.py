"""What a backfill reads and writes, one list page per transaction; and the review's items.

A backfill records history, not news: its announcements are marked ``backfilled``, their
``new`` change belongs to a run of kind ``backfill`` (so ``report --by-published`` sees it and
``report`` by detection time does not) and is queued on no channel (no email, webhook or
report delivery).  Each page is one transaction holding the run lock a check takes
(``BEGIN IMMEDIATE`` / the PostgreSQL advisory lock), waited for — and moves the source's cursor in the same commit, so a killed backfill
keeps exactly the pages it finished.
"""

from __future__ import annotations

import json
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterable, Iterator, Sequence

from cnca_watch.models import Announcement, ChangeKind
from cnca_watch.store.codec import areas_from_json, dumps, in_chunks
from cnca_watch.store.backend import Db
from cnca_watch.store.run_writer import RunWriter


@dataclass(frozen=True, slots=True)
class Cursor:
    """Where a source's backfill stands: the next list page to read (1 = the first)."""

    next_page: int
    oldest_date: str | None  # the oldest publication date read so far
    exhausted: bool  # the list ended: nothing older to read


@dataclass(frozen=True, slots=True)
class StoredItem:
    """The latest version of one stored announcement, as the review reads it."""

    url: str
    title: str
    source: str
    published: str | None
    areas: tuple[tuple[str, float], ...]
    backfilled: bool
    doc_type: str | None = None  # from the version's fields, once they are read


class BackfillSession:
    """One ``backfill`` invocation's writes: a run of kind ``backfill`` made by its first page."""

    def __init__(self, db: Db, started_at: str) -> None:
        self._conn = db
        self.started_at = started_at
        self.run_id: int | None = None

    def known(self, source: str, urls: Iterable[str]) -> set[str]:
        """Which of ``urls`` the store already holds for ``source`` (from a check or a backfill)."""
        wanted = list(dict.fromkeys(urls))
        found: set[str] = set()
        try:
            for marks, chunk in in_chunks(wanted):
                found.update(
                    url
                    for (url,) in self._conn.execute(
                        f"SELECT a.url FROM announcements a JOIN sources s ON s.id = a.source_id"
                        f" WHERE s.name = ? AND a.url IN ({marks})",
                        (source, *chunk),
                    )
                )
        except self._conn.errors as exc:
            raise self._conn.failure(exc, "nothing was saved") from None
        return found

    def cursor(self, source: str) -> Cursor | None:
        try:
            row = self._conn.execute(
                "SELECT c.next_page, c.oldest_date, c.exhausted FROM backfill_cursors c"
                " JOIN sources s ON s.id = c.source_id WHERE s.name = ?",
                (source,),
            ).fetchone()
        except self._conn.errors as exc:
            raise self._conn.failure(exc, "nothing was saved") from None
        return Cursor(int(row[0]), row[1], bool(row[2])) if row else None

    @contextmanager
    def page(self) -> Iterator["PageWriter"]:
        """One list page's transaction (waits for a running check's lock); committed on exit."""
        with self._conn.transaction("this list page was not saved; run backfill again"):
            if self.run_id is None:
                self.run_id = self._conn.insert(
                    "INSERT INTO runs (started_at, status, kind) VALUES (?, 'running', 'backfill')",
                    (self.started_at,),
                )
            yield PageWriter(self._conn, self.run_id, self.started_at)

    def finish(self, finished_at: str, status: str) -> None:
        if self.run_id is None:
            return
        with self._conn.transaction("the backfill's end was not recorded"):
            self._conn.execute(
                "UPDATE runs SET finished_at = ?, status = ? WHERE id = ?", (finished_at, status, self.run_id)
            )


class PageWriter:
    """Inside one page's transaction: record its new items and move the cursor."""

    def __init__(self, db: Db, run_id: int, started_at: str) -> None:
        self._conn = db
        # the check run's own helpers for sources, announcements and versions
        self._run = RunWriter(db, run_id, started_at, channels=())

    def record(self, source: str, source_url: str, items: Sequence[Announcement]) -> int:
        """Store ``items`` not already held as backfilled history; how many were new to the store."""
        source_id = self._run._source_id(self._conn, source, source_url)
        recorded = 0
        for item in items:
            exists = self._conn.execute(
                "SELECT 1 FROM announcements WHERE source_id = ? AND url = ?", (source_id, item.url)
            ).fetchone()
            if exists:  # a check (or another backfill) got there first
                continue
            aid = self._run._announcement_id(self._conn, source_id, item.url)
            self._conn.execute("UPDATE announcements SET backfilled = 1 WHERE id = ?", (aid,))
            version_id = self._run._upsert_version(self._conn, aid, item)
            # a change row so that `report --by-published` and `show` see it; no outbox row: never sent
            self._conn.execute(
                "INSERT INTO changes (run_id, announcement_id, version_id, kind, fields_changed_json, diff, detected_at)"
                " VALUES (?, ?, ?, ?, ?, '', ?)",
                (self._run.id, aid, version_id, ChangeKind.NEW.value, dumps([]), self._run.started_at),
            )
            recorded += 1
        return recorded

    def move_cursor(self, source: str, source_url: str, cursor: Cursor, at: str) -> None:
        source_id = self._run._source_id(self._conn, source, source_url)
        self._conn.execute(
            "INSERT INTO backfill_cursors (source_id, next_page, oldest_date, exhausted, updated_at)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (source_id) DO UPDATE SET next_page = excluded.next_page,"
            " oldest_date = excluded.oldest_date, exhausted = excluded.exhausted, updated_at = excluded.updated_at",
            (source_id, cursor.next_page, cursor.oldest_date, int(cursor.exhausted), at),
        )


STORED_ITEMS_SELECT = """
    SELECT a.url, v.title, s.name, v.date, v.areas_json, a.backfilled, v.fields_json
    FROM announcements a
    JOIN sources s ON s.id = a.source_id
    JOIN versions v ON v.id = a.latest_version_id
    ORDER BY a.id
"""


def stored_items(rows: Iterable[tuple[object, ...]]) -> list[StoredItem]:
    """Rows of ``STORED_ITEMS_SELECT`` as values (areas primary first, with their scores)."""
    out = []
    for url, title, source, date, areas_json, backfilled, fields_json in rows:
        tags = areas_from_json(str(areas_json))
        doc_type = json.loads(str(fields_json)).get("doc_type") if fields_json else None
        out.append(
            StoredItem(
                url=str(url),
                title=str(title),
                source=str(source),
                published=str(date)[:10] if date else None,
                areas=tuple((t.id, t.score) for t in tags),
                backfilled=bool(backfilled),
                doc_type=doc_type if isinstance(doc_type, str) else None,
            )
        )
    return out
