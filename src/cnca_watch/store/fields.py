"""The store's questions about announcement fields (issue 11): filling them for versions
stored before fields existed, the dated fields of what is still listed, and the reminders
queued before a deadline.  Mixed into ``Store``: it uses the store's connection and its
one-transaction-per-write rule."""

from __future__ import annotations

import json
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

from cnca_watch.store.backend import Db
from cnca_watch.store.codec import areas_from_json, dumps

# a version's fields as JSON, read from (title, body, published)
FieldsReader = Callable[[str, str, str | None], dict[str, Any]]


@dataclass(frozen=True, slots=True)
class FieldsFill:
    """What ``cnca-watch fields --stored`` did: versions read now, and versions in the store."""

    filled: int
    total: int
    every: bool  # re-read all versions, not only those never read


@dataclass(frozen=True, slots=True)
class DatedVersion:
    """The latest version of a listed announcement with its fields, and what each dated
    field looked like in earlier versions (so that a moved date is seen as one)."""

    source: str
    url: str
    title: str
    date: str | None
    areas_json: str
    fields: dict[str, Any]
    # per dated field: [(seen_at, value)] over the versions that were read, oldest first
    history: dict[str, list[tuple[str, str | None]]]


@dataclass(frozen=True, slots=True)
class ReminderKey:
    url: str
    field: str
    date: str
    days_before: int


DATED_FIELDS = ("effective_date", "transition_end", "comment_deadline")


class FieldsStore:
    _db: Db
    path: Path | None

    def _transaction(self, doing: str, lock: str | None = "run") -> AbstractContextManager[None]:  # pragma: no cover - Store's
        raise NotImplementedError

    def _read(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:  # pragma: no cover
        raise NotImplementedError

    def fill_fields(self, read: FieldsReader, *, every: bool = False) -> FieldsFill:
        """Read the fields of every version that has none (``every``: of all versions).
        One transaction: all are filled or none."""
        with self._transaction("no fields were saved"):
            where = "" if every else " WHERE fields_json IS NULL"
            total = int(self._db.execute("SELECT COUNT(*) FROM versions").fetchone()[0])
            rows = self._db.execute(f"SELECT id, title, body, date FROM versions{where} ORDER BY id").fetchall()
            self._db.executemany(
                "UPDATE versions SET fields_json = ? WHERE id = ?",
                [(dumps(read(title, body, date)), version_id) for version_id, title, body, date in rows],
            )
        return FieldsFill(filled=len(rows), total=total, every=every)

    def dated_versions(self, sources: Sequence[str] = ()) -> list[DatedVersion]:
        """Listed, not removed announcements whose latest version states a dated field."""
        where = ["a.removed = 0", "v.fields_json IS NOT NULL"]
        params: list[Any] = []
        if sources:
            where.append(f"s.name IN ({','.join('?' * len(sources))})")
            params.extend(sources)
        if self._db.dialect == "sqlite":
            dated = " OR ".join(f"json_extract(v.fields_json, '$.{name}') IS NOT NULL" for name in DATED_FIELDS)
        else:  # ->> is NULL for a missing key and for JSON null, as json_extract is
            dated = " OR ".join(f"(v.fields_json::json ->> '{name}') IS NOT NULL" for name in DATED_FIELDS)
        rows = self._read(
            f"""
            SELECT a.id, s.name, a.url, v.title, v.date, v.areas_json, v.fields_json
            FROM announcements a JOIN sources s ON s.id = a.source_id
            JOIN versions v ON v.id = a.latest_version_id
            WHERE {' AND '.join(where)} AND ({dated})
            ORDER BY a.id
            """,
            params,
        )
        found: list[DatedVersion] = []
        for aid, source, url, title, date, areas_json, fields_json in rows:
            history: dict[str, list[tuple[str, str | None]]] = {name: [] for name in DATED_FIELDS}
            for seen_at, old_json in self._read(
                "SELECT seen_at, fields_json FROM versions WHERE announcement_id = ? AND fields_json IS NOT NULL ORDER BY id",
                (aid,),
            ):
                old = json.loads(old_json)
                for name in DATED_FIELDS:
                    history[name].append((seen_at, old.get(name)))
            found.append(DatedVersion(source, url, title, date, areas_json, json.loads(fields_json), history))
        return found

    # ---- reminders: queued once per (url, field, date, days before, channel); delivered after acceptance

    def queue_reminders(self, keys: Iterable[ReminderKey], channels: Sequence[str], at: str) -> None:
        """Queue each reminder on each channel unless it was queued before (then: nothing)."""
        rows = [(k.url, k.field, k.date, k.days_before, channel, at) for k in keys for channel in channels]
        if not rows:
            return
        with self._transaction("the reminders were not queued", lock=None):
            self._db.executemany(
                "INSERT INTO reminders (url, field, date, days_before, channel, queued_at)"
                " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (url, field, date, days_before, channel) DO NOTHING",
                rows,
            )

    def pending_reminders(self, channel: str) -> list[ReminderKey]:
        return [
            ReminderKey(url, field, date, days_before)
            for url, field, date, days_before in self._read(
                "SELECT url, field, date, days_before FROM reminders WHERE channel = ? AND delivered_at IS NULL"
                " ORDER BY date, url, field, days_before DESC",
                (channel,),
            )
        ]

    def mark_reminders_delivered(self, channel: str, keys: Iterable[ReminderKey], at: str) -> None:
        rows = [(at, channel, k.url, k.field, k.date, k.days_before) for k in keys]
        if not rows:
            return
        with self._transaction("the reminder delivery was not recorded", lock=None):
            self._db.executemany(
                "UPDATE reminders SET delivered_at = ? WHERE channel = ? AND url = ? AND field = ? AND date = ?"
                " AND days_before = ? AND delivered_at IS NULL",
                rows,
            )


def areas_of(version: DatedVersion) -> tuple[str, ...]:
    return tuple(tag.id for tag in areas_from_json(version.areas_json))
