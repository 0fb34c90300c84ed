"""Shared builders for the store tests (and the fixture script)."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Sequence

from cnca_watch import diff as diffing
from cnca_watch.models import (
    Announcement,
    AreaTag,
    Attachment,
    Change,
    Evidence,
    SourceResult,
    SourceStatus,
)
from cnca_watch.store import Store

SOURCE = "cnca-gg"
SOURCE_URL = "https://www.cnca.gov.cn/zwxx/gg/index.html"
TAG = AreaTag(
    id="unified-management",
    label_en="Unified management",
    label_zh="统一管理",
    score=2.5,
    evidence=(Evidence(term="认证机构", where="title"),),
)
PDF = Attachment(url="https://www.cnca.gov.cn/zwxx/gg/1.pdf", name="附件1.pdf")


def query(target: Path | str, sql: str) -> list[tuple[object, ...]]:
    """Rows of ``sql`` read straight from the store's database (SQLite file or PostgreSQL URL)."""
    if isinstance(target, str):
        import psycopg

        with psycopg.connect(target) as pg:
            return list(pg.execute(sql).fetchall())  # type: ignore[arg-type]
    import sqlite3

    conn = sqlite3.connect(target)
    try:
        return list(conn.execute(sql).fetchall())
    finally:
        conn.close()


def count(target: Path | str, table: str) -> int:
    return int(query(target, f"SELECT COUNT(*) FROM {table}")[0][0])  # type: ignore[call-overload]


def ann(n: int, position: int, **overrides: object) -> Announcement:
    values: dict[str, object] = dict(
        url=f"https://www.cnca.gov.cn/zwxx/gg/{n}.html",
        title=f"关于认证机构第{n}号公告",
        date=f"2024-01-{n % 28 + 1:02d}",
        body=f"第{n}号公告正文。",
        attachments=(PDF,) if n % 2 else (),
        areas=(TAG,),
        list_title=f"关于认证机构第{n}号公告",
        list_date=f"2024-01-{n % 28 + 1:02d}",
        position=position,
    )
    values.update(overrides)
    return Announcement(**values)  # type: ignore[arg-type]


def window(*numbers: int) -> list[Announcement]:
    return [ann(n, i) for i, n in enumerate(numbers)]


def check_once(
    store: Store,
    current: Sequence[Announcement],
    *,
    at: str,
    source: str = SOURCE,
    channels: Sequence[str] = ("report",),
    gone: frozenset[str] = frozenset(),
) -> tuple[Change, ...]:
    """What pipeline.py does for one healthy source, against the real store."""
    with store.run(started_at=at, channels=channels) as run:
        state = run.previous(source, [a.url for a in current])
        result = diffing.diff_source(source, state.snapshots, current, gone=gone, detected_at=at)
        run.record_source(
            SourceResult(
                name=source,
                url=SOURCE_URL,
                status=SourceStatus.OK,
                items_seen=len(current),
                first_run=not state.known,
            )
        )
        changes = run.record_observations(source, SOURCE_URL, current, result)
        run.finish(at, "ok")
    return changes


def write_fixture_store(path: Path) -> None:
    """The small v1 store committed as tests/fixtures/store/schema-v1.db."""
    with Store.open(path) as store:
        check_once(store, window(3, 2, 1), at="2024-01-10T07:00:00Z")
        check_once(
            store,
            [ann(4, 0), ann(3, 1, body="第3号公告正文（修订）。"), ann(1, 2)],
            at="2024-01-11T07:00:00Z",
        )
        with store.run(started_at="2024-01-11T08:00:00Z") as run:
            from cnca_watch.models import Validators

            run.set_validators(SOURCE_URL, Validators(etag='"abc"', last_modified="Thu, 11 Jan 2024 07:00:00 GMT"))
            run.finish("2024-01-11T08:00:01Z", "ok")
        pending = store.pending("report")
        store.mark_delivered("report", [c.id for c in pending[:3] if c.id is not None], "2024-01-11T09:00:00Z")


V2_FIXTURE = Path(__file__).parent / "fixtures" / "store" / "schema-v2.db"


def strip_to_v2_layout(conn: sqlite3.Connection) -> None:
    """Drop what migrations after v2 added (tables, columns), so a store written by today's
    code has the table layout of an old one — the layout the shipped v2 fixture records."""
    old = sqlite3.connect(V2_FIXTURE)
    try:
        old_tables = {
            name: {row[1] for row in old.execute(f"PRAGMA table_info({name})")}
            for (name,) in old.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        }
    finally:
        old.close()
    tables = [name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    for name in tables:
        if name not in old_tables:
            conn.execute(f"DROP TABLE IF EXISTS {name}")
            continue
        for row in conn.execute(f"PRAGMA table_info({name})").fetchall():
            if row[1] not in old_tables[name]:
                conn.execute(f"ALTER TABLE {name} DROP COLUMN {row[1]}")
