"""The store package's pure parts, without a store file: error wording, row codecs,
chunked IN lists, the migration registry."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from cnca_watch.errors import StoreError, StoreLockedError
from cnca_watch.models import AreaTag, Attachment, Evidence
from cnca_watch.store import codec, failures, migrations

PATH = Path("/data/watch.db")


def sqlite_error(message: str, code: int | None) -> sqlite3.Error:
    exc = sqlite3.OperationalError(message)
    if code is not None:
        exc.sqlite_errorcode = code  # type: ignore[attr-defined]
    return exc


@pytest.mark.parametrize(
    ("code", "message", "expected"),
    [
        (13, "x", "disk full while writing /data/watch.db: DOING; the store is unchanged"),
        (None, "database or disk is full", "disk full while writing /data/watch.db: DOING; the store is unchanged"),
        (8, "attempt to write", "cannot write the store /data/watch.db: it is read-only (attempt to write)"),
        (11, "malformed", "the store /data/watch.db is damaged (malformed); restore a backup or point --store elsewhere"),
        (26, "not a db", "the store /data/watch.db is damaged (not a db); restore a backup or point --store elsewhere"),
        (10, "disk I/O error", "cannot read or write the store /data/watch.db (disk I/O error)"),
        (14, "unable to open", "cannot read or write the store /data/watch.db (unable to open)"),
        (1, "no such table: x", "store /data/watch.db failed: no such table: x"),
        (None, "odd", "store /data/watch.db failed: odd"),
        (13 + 256 * 3, "x", "disk full while writing /data/watch.db: DOING; the store is unchanged"),  # extended code
    ],
)
def test_each_sqlite_failure_gets_its_own_sentence(code: int | None, message: str, expected: str) -> None:
    error = failures.store_error(sqlite_error(message, code), PATH, "DOING")
    assert type(error) is StoreError
    assert str(error) == expected


@pytest.mark.parametrize(("code", "message"), [(5, "x"), (6, "x"), (None, "database is locked")])
def test_busy_and_locked_are_the_lock_error(code: int | None, message: str) -> None:
    error = failures.store_error(sqlite_error(message, code), PATH)
    assert isinstance(error, StoreLockedError)
    assert str(error) == "another cnca-watch run holds the store /data/watch.db; try again later"


def test_primary_code_keeps_the_low_byte_only() -> None:
    assert failures.primary_code(sqlite_error("x", 2067)) == 19  # SQLITE_CONSTRAINT_UNIQUE
    assert failures.primary_code(sqlite_error("x", None)) is None


def test_in_chunks_covers_every_value_once_in_order_with_matching_placeholders() -> None:
    values = list(range(codec.CHUNK * 2 + 3))
    chunks = list(codec.in_chunks(values))
    assert [len(chunk) for _, chunk in chunks] == [codec.CHUNK, codec.CHUNK, 3]
    assert [v for _, chunk in chunks for v in chunk] == values
    assert all(marks.split(",") == ["?"] * len(chunk) for marks, chunk in chunks)
    assert list(codec.in_chunks([])) == []


def test_json_columns_round_trip_compactly_and_keep_chinese_readable() -> None:
    tag = AreaTag(id="ccc", label_en="CCC", label_zh="强制性认证", score=2.5, evidence=(Evidence(term="3C", where="title"),))
    text = codec.areas_to_json([tag])
    assert "强制性认证" in text and ", " not in text and ": " not in text
    assert codec.areas_from_json(text) == (tag,)
    attachment = Attachment(url="https://www.cnca.gov.cn/a.pdf", name="附件1")
    assert codec.attachments_from_json(codec.attachments_to_json([attachment])) == (attachment,)


def test_migrations_are_numbered_one_up_and_schema_version_is_the_last() -> None:
    assert sorted(migrations.MIGRATIONS) == list(range(1, len(migrations.MIGRATIONS) + 1))
    assert migrations.SCHEMA_VERSION == max(migrations.MIGRATIONS)
    next_one = migrations.SCHEMA_VERSION + 1
    with pytest.raises(ValueError, match=f"numbered {next_one + 1}; the next one is {next_one}"):
        migrations.migration(next_one + 1)(lambda conn: None)
    assert sorted(migrations.MIGRATIONS) == list(range(1, migrations.SCHEMA_VERSION + 1))


def test_upgrade_runs_exactly_the_missing_migrations_in_order(monkeypatch: pytest.MonkeyPatch) -> None:
    ran: list[int] = []
    fake = {n: (lambda conn, n=n: ran.append(n)) for n in range(1, 6)}
    monkeypatch.setattr(migrations, "MIGRATIONS", fake)
    migrations.upgrade(sqlite3.connect(":memory:"), 2, 5)
    assert ran == [3, 4, 5]


def test_a_text_file_is_refused_by_its_first_bytes_with_the_reason(tmp_path: Path) -> None:
    from cnca_watch.store import Store

    notes = tmp_path / "notes.db"
    notes.write_text("这不是数据库\n" * 40, encoding="utf-8")
    before = notes.read_bytes()
    with pytest.raises(StoreError) as caught:
        Store.open(notes)
    assert str(caught.value) == f"{notes} is not a cnca-watch store (not an SQLite database); point --store elsewhere"
    assert notes.read_bytes() == before


def test_a_directory_is_refused_as_a_directory(tmp_path: Path) -> None:
    from cnca_watch.store import Store

    with pytest.raises(StoreError) as caught:
        Store.open(tmp_path)
    assert str(caught.value) == f"{tmp_path} is not a cnca-watch store (it is a directory); point --store elsewhere"
