"""Looking back: the read-only questions asked of a store (runs, changes, one announcement).

``LookBack`` holds them; ``Store`` inherits them and supplies ``_read`` (one SELECT, its
rows, database failures turned into ``StoreError``s).  The SQL here is portable: it runs on
SQLite and, through ``backend.PostgresDb``, on PostgreSQL.
"""

from __future__ import annotations

from typing import Any, Sequence

from cnca_watch.models import Change
from cnca_watch.store.attachments import files_of_versions
from cnca_watch.store.backend import Db
from cnca_watch.store.codec import ANNOUNCEMENT_SELECT, CHANGE_SELECT, areas_from_json, attachments_from_json, change_from_row
from cnca_watch.store.records import AnnouncementHistory, Retagging, RetagResult, RunSummary, VersionRecord


class LookBack:
    """The read-only questions; a subclass provides ``_read`` and ``_db``."""

    _db: Db

    def _read(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        raise NotImplementedError

    def history(self, limit: int = 50) -> list[RunSummary]:
        """Check runs, newest first, with their source outcomes and change counts (backfills are not runs of news)."""
        rows = self._read(
            """
            SELECT r.id, r.started_at, r.finished_at, r.status,
                   (SELECT COUNT(*) FROM run_sources rs WHERE rs.run_id = r.id AND rs.status = 'ok'),
                   (SELECT COUNT(*) FROM run_sources rs WHERE rs.run_id = r.id AND rs.status != 'ok'),
                   (SELECT COUNT(*) FROM changes c WHERE c.run_id = r.id AND c.kind = 'new'),
                   (SELECT COUNT(*) FROM changes c WHERE c.run_id = r.id AND c.kind = 'changed'),
                   (SELECT COUNT(*) FROM changes c WHERE c.run_id = r.id AND c.kind = 'removed')
            FROM runs r WHERE r.kind = 'check' ORDER BY r.id DESC LIMIT ?
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
        if by == "detected":
            # a backfill records history: never "new in a period" by when it was recorded
            where.append("NOT EXISTS (SELECT 1 FROM runs br WHERE br.id = c.run_id AND br.kind = 'backfill')")
        if source is not None:
            where.append("s.name = ?")
            params.append(source)
        if not baseline:
            where.append(
                "NOT EXISTS (SELECT 1 FROM run_sources rs WHERE rs.run_id = c.run_id"
                " AND rs.source_id = a.source_id AND rs.first_run = 1)"
            )
        sql = CHANGE_SELECT + (" WHERE " + " AND ".join(where) if where else "")
        sql += f" ORDER BY {column} NULLS FIRST, c.id"  # SQLite's order, spelled out for PostgreSQL
        found = [change_from_row(r) for r in self._read(sql, params)]
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
            rows = self._read(ANNOUNCEMENT_SELECT + " WHERE a.id = ?", (int(key),))
        if not rows:
            rows = self._read(ANNOUNCEMENT_SELECT + " WHERE a.url = ? ORDER BY a.id DESC LIMIT 1", (key,))
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
        rows = self._read(
            """
            SELECT id, run_id, seen_at, title, date, body, attachments_json, areas_json, list_title, list_date
            FROM versions WHERE announcement_id = ? ORDER BY id
            """,
            (aid,),
        )
        files = files_of_versions(self._db, [r[0] for r in rows])
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
                files=files.get(vid, ()),
            )
            for vid, run_id, seen_at, title, date, body, attachments, areas, list_title, list_date in rows
        ]
        changes = [
            change_from_row(r)
            for r in self._read(CHANGE_SELECT + " WHERE c.announcement_id = ? ORDER BY c.id", (aid,))
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
