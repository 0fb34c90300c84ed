"""How values are spelled in the store's rows: JSON columns, the shared SELECTs and their
row decoders.  Pure: no connection is opened here."""

from __future__ import annotations

import functools
import json
import sqlite3
from typing import Any, Iterator, Sequence, TypeVar

from cnca_watch.models import (
    Announcement,
    AreaTag,
    Attachment,
    Change,
    ChangeKind,
    Evidence,
    Snapshot,
    area_tag_to_dict,
    attachment_to_dict,
)

CHUNK = 500  # values per IN (...) query, well under SQLite's variable limit

T = TypeVar("T")


def in_chunks(values: Sequence[T]) -> Iterator[tuple[str, Sequence[T]]]:
    """``values`` in slices of at most ``CHUNK``, each with its ``?,?,…`` placeholders."""
    for start in range(0, len(values), CHUNK):
        chunk = values[start : start + CHUNK]
        yield ",".join("?" * len(chunk)), chunk


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def areas_to_json(areas: Sequence[AreaTag]) -> str:
    return dumps([area_tag_to_dict(a) for a in areas])


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
    return dumps([attachment_to_dict(a) for a in attachments])


def attachments_from_json(text: str) -> tuple[Attachment, ...]:
    return tuple(Attachment(url=a["url"], name=a["name"]) for a in json.loads(text))


CHANGE_SELECT = """
    SELECT c.id, c.kind, s.name, a.url, v.title, v.date, c.fields_changed_json, c.diff,
           v.attachments_json, v.areas_json, c.detected_at, v.area_reason
    FROM changes c
    JOIN announcements a ON a.id = c.announcement_id
    JOIN sources s ON s.id = a.source_id
    JOIN versions v ON v.id = c.version_id
"""


def change_from_row(row: sqlite3.Row | tuple[Any, ...]) -> Change:
    cid, kind, source, url, title, date, fields, diff, attachments, areas, detected_at, reason = row
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
        area_reason=reason,
    )



ANNOUNCEMENT_SELECT = """
    SELECT a.id, s.name, a.url, a.first_seen_run, a.listed, a.removed
    FROM announcements a JOIN sources s ON s.id = a.source_id
"""



SNAPSHOT_SELECT = """
    SELECT a.url, v.title, v.date, v.body, v.attachments_json, v.areas_json, v.list_title, v.list_date,
           a.listed, a.position, a.removed, v.area_reason
    FROM announcements a JOIN versions v ON v.id = a.latest_version_id
"""


def snapshot_from_row(row: tuple[Any, ...]) -> Snapshot:
    url, title, date, body, attachments, areas, list_title, list_date, listed, position, removed, reason = row
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
        area_reason=reason,
    )


def announcement_from_change(change: Change) -> Announcement:
    return Announcement(
        url=change.url,
        title=change.title,
        date=change.date,
        attachments=change.attachments,
        areas=change.areas,
        list_title=change.title,
        list_date=change.date,
        area_reason=change.area_reason,
    )
