"""The store package against real SQLite files and a real PostgreSQL server (every test that
takes ``store_path`` runs on both): round trips, versions, outbox, queries, schema."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest
from store_helpers import PDF, SOURCE, SOURCE_URL, TAG, ann, check_once, count, query, strip_to_v2_layout, window

from cnca_watch.store import migrations
from cnca_watch.classify import Classification
from cnca_watch.errors import StoreError
from cnca_watch.models import AreaTag, Attachment, ChangeKind, SourceResult, SourceStatus, Validators
from cnca_watch.store import APPLICATION_ID, SCHEMA_VERSION, Store
from cnca_watch.store.codec import SNAPSHOT_SELECT

FIXTURES = Path(__file__).parent / "fixtures" / "store"
DAY1, DAY2, DAY3 = "2024-01-10T07:00:00Z", "2024-01-11T07:00:00Z", "2024-01-12T07:00:00Z"


@pytest.fixture
def store_path(store_url: Path | str) -> Path | str:
    """Both backends: a SQLite file, or a PostgreSQL database of the test's own."""
    return store_url


@pytest.fixture
def sqlite_file(tmp_path: Path) -> Path:
    return tmp_path / "deep" / "dir" / "snapshots.db"


# --------------------------------------------------------------------------- round trip


def test_open_creates_parent_dirs_and_a_marked_wal_store(sqlite_file: Path) -> None:
    with Store.open(sqlite_file):
        pass
    conn = sqlite3.connect(sqlite_file)
    assert conn.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0] == str(SCHEMA_VERSION)
    conn.close()


def test_round_trip_of_a_first_run(store_path: Path) -> None:
    current = window(3, 2, 1)
    with Store.open(store_path) as store:
        changes = check_once(store, current, at=DAY1)
        assert [c.kind for c in changes] == [ChangeKind.NEW] * 3
        assert all(c.id is not None for c in changes)
        with store.run(started_at=DAY2) as run:
            state = run.previous(SOURCE, [])
            run.finish(DAY2, "ok")
    assert state.known and state.items_seen == 3
    assert set(state.snapshots) == {a.url for a in current}
    snap = state.snapshots[current[2].url]  # item 1: has an attachment
    assert (snap.title, snap.date, snap.body, snap.attachments, snap.areas) == (
        current[2].title,
        current[2].date,
        current[2].body,
        (PDF,),
        (TAG,),
    )
    assert (snap.listed, snap.position, snap.removed) == (True, 2, False)
    assert (snap.list_title, snap.list_date) == (current[2].list_title, current[2].list_date)


def test_an_unknown_source_is_a_first_run(store_path: Path) -> None:
    with Store.open(store_path) as store, store.run(started_at=DAY1) as run:
        state = run.previous("never-seen", ["https://x.test/1"])
    assert (state.known, state.items_seen, state.snapshots) == (False, None, {})


def test_unchanged_run_adds_no_version_and_no_change(store_path: Path) -> None:
    with Store.open(store_path) as store:
        check_once(store, window(3, 2, 1), at=DAY1)
        versions = count(store_path, "versions")
        assert check_once(store, window(3, 2, 1), at=DAY2) == ()
    assert count(store_path, "versions") == versions == 3
    assert count(store_path, "changes") == 3
    assert count(store_path, "runs") == 2


def test_changed_body_adds_one_version_and_keeps_the_old(store_path: Path) -> None:
    with Store.open(store_path) as store:
        check_once(store, window(2, 1), at=DAY1)
        (change,) = check_once(store, [ann(2, 0, body="新的正文"), ann(1, 1)], at=DAY2)
        assert change.kind is ChangeKind.CHANGED and change.fields_changed == ("body",)
        history = store.announcement(ann(2, 0).url)
    assert history is not None
    assert [v.body for v in history.versions] == [ann(2, 0).body, "新的正文"]
    assert [v.seen_at for v in history.versions] == [DAY1, DAY2]
    assert [c.kind for c in history.changes] == [ChangeKind.NEW, ChangeKind.CHANGED]
    assert history.changes[1].diff.startswith("body: ")


def test_list_row_or_area_change_adds_a_version_but_no_change(store_path: Path) -> None:
    with Store.open(store_path) as store:
        check_once(store, window(1), at=DAY1)
        assert check_once(store, [ann(1, 0, list_title="关于认证机构第1号…", areas=())], at=DAY2) == ()
        history = store.announcement(ann(1, 0).url)
    assert history is not None and len(history.versions) == 2
    assert history.versions[1].list_title == "关于认证机构第1号…"
    assert history.versions[1].areas == ()


def test_window_bookkeeping_unlisted_and_removed(store_path: Path) -> None:
    with Store.open(store_path) as store:
        check_once(store, window(4, 3, 2, 1), at=DAY1)
        # 3 withdrawn from inside the window, 1 scrolled off the end, 5 new on top.
        changes = check_once(store, window(5, 4, 2), at=DAY2)
        assert sorted((c.kind.value, c.url) for c in changes) == [
            ("new", ann(5, 0).url),
            ("removed", ann(3, 0).url),
        ]
        with store.run(started_at=DAY3) as run:
            state = run.previous(SOURCE, [ann(1, 0).url, ann(3, 0).url])
            run.finish(DAY3, "ok")
        # Nothing new or removed on an identical window.
        assert check_once(store, window(5, 4, 2), at=DAY3) == ()
    listed = {url for url, s in state.snapshots.items() if s.listed}
    assert listed == {ann(n, 0).url for n in (5, 4, 2)}
    assert state.snapshots[ann(1, 0).url].listed is False
    assert state.snapshots[ann(1, 0).url].removed is False
    assert state.snapshots[ann(3, 0).url].removed is True
    assert [state.snapshots[ann(n, 0).url].position for n in (5, 4, 2)] == [0, 1, 2]


def test_removed_item_that_returns_is_new_again(store_path: Path) -> None:
    with Store.open(store_path) as store:
        check_once(store, window(3, 2, 1), at=DAY1)
        check_once(store, window(3, 1), at=DAY2)
        (back,) = check_once(store, window(3, 2, 1), at=DAY3)
        assert (back.kind, back.url) == (ChangeKind.NEW, ann(2, 0).url)
        history = store.announcement(ann(2, 0).url)
    assert history is not None and history.removed is False and history.listed is True
    assert [c.kind.value for c in history.changes] == ["new", "removed", "new"]


def test_validators_round_trip_and_clear(store_path: Path) -> None:
    wanted = Validators(etag='W/"1"', last_modified="Wed, 10 Jan 2024 07:00:00 GMT")
    with Store.open(store_path) as store:
        with store.run(started_at=DAY1) as run:
            assert run.validators(SOURCE_URL) == Validators()
            run.set_validators(SOURCE_URL, wanted)
        with store.run(started_at=DAY2) as run:
            assert run.validators(SOURCE_URL) == wanted
            run.set_validators(SOURCE_URL, Validators())
        with store.run(started_at=DAY3) as run:
            assert run.validators(SOURCE_URL) == Validators()


def test_exception_inside_a_run_rolls_everything_back(store_path: Path) -> None:
    with Store.open(store_path) as store:
        check_once(store, window(1), at=DAY1)
        with pytest.raises(RuntimeError):
            with store.run(started_at=DAY2) as run:
                state = run.previous(SOURCE, [])
                from cnca_watch import diff

                current = window(2, 1)
                run.record_observations(SOURCE, SOURCE_URL, current, diff.diff_source(SOURCE, state.snapshots, current))
                raise RuntimeError("boom")
        assert len(store.history()) == 1
        assert len(store.pending("report")) == 1
    assert count(store_path, "announcements") == 1


# --------------------------------------------------------------------------- outbox


def test_outbox_pending_and_mark_delivered_across_runs(store_path: Path) -> None:
    with Store.open(store_path) as store:
        day1 = check_once(store, window(2, 1), at=DAY1, channels=("report", "email"))
        # The report went out, the email did not (e.g. SMTP down).
        store.mark_delivered("report", [c.id for c in day1 if c.id], "2024-01-10T07:01:00Z")
        day2 = check_once(store, window(3, 2, 1), at=DAY2, channels=("report", "email"))
        assert [c.id for c in store.pending("report")] == [c.id for c in day2]
        assert [c.id for c in store.pending("email")] == [c.id for c in (*day1, *day2)]
        assert store.pending("webhook") == ()
        pending = store.pending("email")[0]
        assert (pending.kind, pending.source, pending.url, pending.attachments, pending.areas) == (
            ChangeKind.NEW,
            SOURCE,
            day1[0].url,
            day1[0].attachments,
            (TAG,),
        )
        store.mark_delivered("email", [c.id for c in store.pending("email") if c.id], "2024-01-11T07:01:00Z")
        store.mark_delivered("email", [], "2024-01-11T07:02:00Z")  # nothing to do: no error
        assert store.pending("email") == ()
        assert len(store.pending("report")) == 1


def test_a_run_that_committed_but_never_reported_leaves_its_changes_pending(store_path: Path) -> None:
    with Store.open(store_path) as store:
        first = check_once(store, window(1), at=DAY1)
    # The process died after the commit, before printing: the next open still has them, once.
    with Store.open(store_path) as store:
        second = check_once(store, window(2, 1), at=DAY2)
        pending = store.pending("report")
    assert [c.id for c in pending] == [c.id for c in (*first, *second)]
    assert len({c.id for c in pending}) == 2


# --------------------------------------------------------------------------- queries


def test_history_newest_first_with_counts(store_path: Path) -> None:
    with Store.open(store_path) as store:
        check_once(store, window(3, 2, 1), at=DAY1)
        check_once(store, [ann(4, 0), ann(3, 1, title="改了"), ann(1, 2)], at=DAY2)
        with store.run(started_at=DAY3) as run:
            run.record_source(SourceResult(name="samr", url="https://www.samr.gov.cn/", status=SourceStatus.BLOCKED))
            run.finish("2024-01-12T07:00:05Z", "partial")
        runs = store.history()
        assert [r.started_at for r in store.history(limit=2)] == [DAY3, DAY2]
    assert [(r.started_at, r.status, r.new, r.changed, r.removed) for r in runs] == [
        (DAY3, "partial", 0, 0, 0),
        (DAY2, "ok", 1, 1, 1),
        (DAY1, "ok", 3, 0, 0),
    ]
    assert (runs[0].sources_ok, runs[0].sources_failed, runs[0].finished_at) == (0, 1, "2024-01-12T07:00:05Z")
    assert (runs[1].sources_ok, runs[1].sources_failed) == (1, 0)


def test_changes_filters(store_path: Path) -> None:
    other_tag = AreaTag(id="credit", label_en="Credit", label_zh="信用", score=1.0)
    with Store.open(store_path) as store:
        check_once(store, [ann(1, 0, date="2023-12-01")], at=DAY1)
        check_once(store, [ann(2, 0, date="2024-01-05", areas=(other_tag,)), ann(1, 1, date="2023-12-01")], at=DAY2)
        check_once(store, window(3), at=DAY3, source="samr-rzjgs")
        assert [c.url for c in store.changes()] == [ann(n, 0).url for n in (1, 2, 3)]
        assert [c.url for c in store.changes(since=DAY2)] == [ann(2, 0).url, ann(3, 0).url]
        assert [c.url for c in store.changes(since=DAY1, until=DAY2)] == [ann(1, 0).url]
        assert [c.url for c in store.changes(area="credit")] == [ann(2, 0).url]
        assert [c.url for c in store.changes(source="samr-rzjgs")] == [ann(3, 0).url]
        published = store.changes(since="2024-01-01", until="2024-01-06", by="published")
        # Ordered by publication date: item 3 is dated 2024-01-04, item 2 2024-01-05.
        assert [c.url for c in published] == [ann(3, 0).url, ann(2, 0).url]
        assert store.source_names() == [SOURCE, "samr-rzjgs"]
        with pytest.raises(ValueError):
            store.changes(by="sideways")


def test_announcement_by_id_and_unknown_key(store_path: Path) -> None:
    with Store.open(store_path) as store:
        check_once(store, window(1), at=DAY1)
        by_url = store.announcement(ann(1, 0).url)
        assert by_url is not None
        by_id = store.announcement(str(by_url.id))
        assert store.announcement("https://nowhere.test/x") is None
    assert by_id == by_url
    assert (by_url.source, by_url.first_seen_run, by_url.listed) == (SOURCE, 1, True)


def test_retag_replaces_latest_tags_and_keeps_the_old_ones(store_path: Path) -> None:
    new_tag = AreaTag(id="credit", label_en="Credit", label_zh="信用", score=1.0)

    def classify(title: str, body: str) -> Classification:
        if "第2号" in title:
            return Classification((new_tag,), "in the domain", True)
        return Classification((TAG,), "in the domain", True)

    with Store.open(store_path) as store:
        check_once(store, window(3, 2, 1), at=DAY1)
        result = store.retag(classify, at=DAY2, vocabulary_hash="abc123")
        assert (result.total, result.changed, result.vocabulary_hash) == (3, 1, "abc123")
        again = store.retag(classify, at=DAY3, vocabulary_hash="abc123")
        assert (again.total, again.changed) == (3, 0)
        history = store.announcement(ann(2, 0).url)
        assert store.retags() == [result, again]  # the log keeps what each re-tagging reported
        # The next healthy check sees the new tags (and their reason) as the stored ones: no new version.
        why = "in the domain"
        check_once(store, [ann(3, 0, area_reason=why), ann(2, 1, areas=(new_tag,), area_reason=why), ann(1, 2, area_reason=why)], at=DAY3)
    assert history is not None
    (version,) = history.versions
    assert version.areas == (new_tag,)
    assert reasons(store_path) == {"in the domain"}  # the re-tagging recorded why, for every version
    assert [(p.retag_id, p.vocabulary_hash, p.areas) for p in version.previous_tags] == [(result.id, "abc123", (TAG,))]
    assert count(store_path, "versions") == 3


def reasons(target: Path | str) -> set[str | None]:
    return {reason for (reason,) in query(target, "SELECT area_reason FROM versions")}  # type: ignore[misc]


def test_previous_uses_indexes_not_table_scans(sqlite_file: Path) -> None:
    with Store.open(sqlite_file) as store:
        check_once(store, window(1), at=DAY1)
    conn = sqlite3.connect(sqlite_file)
    plans = []
    for where, params in (
        (" WHERE a.source_id = ? AND a.listed = 1 AND a.removed = 0", (1,)),
        (" WHERE a.source_id = ? AND a.url IN (?, ?)", (1, "u1", "u2")),
    ):
        rows = conn.execute("EXPLAIN QUERY PLAN " + SNAPSHOT_SELECT + where, params).fetchall()
        plans.append(" | ".join(r[-1] for r in rows))
    conn.close()
    for plan in plans:
        assert "SCAN" not in plan, plan


def test_previous_on_a_large_store_returns_the_window_and_the_asked_urls(tmp_path: Path) -> None:
    # 100,000 announcements x 3 versions written directly (the API would take longer to fill);
    # previous() for a window of 100 must stay in the millisecond range.
    path = tmp_path / "big.db"
    with Store.open(path):
        pass
    conn = sqlite3.connect(path)
    with conn:
        conn.execute("INSERT INTO runs (id, started_at, status) VALUES (1, ?, 'ok')", (DAY1,))
        conn.executemany(
            "INSERT INTO sources (id, name, url) VALUES (?, ?, ?)", [(i, f"s{i}", f"https://s{i}.test/") for i in range(1, 11)]
        )
        conn.executemany(
            "INSERT INTO announcements (id, source_id, url, first_seen_run, listed, position) VALUES (?, ?, ?, 1, ?, ?)",
            [(i, i % 10 + 1, f"https://s.test/{i}", int(i % 2000 < 100), i % 2000) for i in range(1, 100001)],
        )
        conn.executemany(
            "INSERT INTO versions (announcement_id, run_id, seen_at, title, date, body, attachments_json,"
            " list_title, list_date, areas_json) VALUES (?, 1, ?, ?, '2024-01-01', ?, '[]', ?, '2024-01-01', '[]')",
            [(i, DAY1, f"t{i}-{v}", "正文" * 20, f"t{i}-{v}") for i in range(1, 100001) for v in range(3)],
        )
        conn.execute("UPDATE announcements SET latest_version_id = (SELECT MAX(id) FROM versions v WHERE v.announcement_id = announcements.id)")
    conn.close()
    with Store.open(path) as store, store.run(started_at=DAY2) as run:
        urls = [f"https://s.test/{i}" for i in range(110, 2010, 20)]  # none of them listed
        state = run.previous("s1", urls)
    # Speed is bench/bench_scale.py's job (and the query-plan test above guards the indexes);
    # here: on a large store previous() returns exactly the listed window plus the asked-for URLs.
    assert len(state.snapshots) == 500 + 95


# --------------------------------------------------------------------------- refusing files


def test_a_foreign_sqlite_file_is_refused_and_left_untouched(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)")
    conn.execute("INSERT INTO customers (name) VALUES ('x')")
    conn.commit()
    conn.close()
    before = path.read_bytes()
    with pytest.raises(StoreError) as caught:
        Store.open(path)
    assert str(caught.value).startswith(f"{path} is not a cnca-watch store (")
    assert "point --store elsewhere" in str(caught.value)
    assert path.read_bytes() == before


@pytest.mark.parametrize(
    "content",
    [b"[store]\npath = 'x'\n", b"\x00\x01garbage" * 100, b"SQLite format 3\x00" + b"\xff" * 4000],
    ids=["text", "binary", "corrupt-sqlite"],
)
def test_a_non_store_file_is_refused_and_left_untouched(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "notes.txt"
    path.write_bytes(content)
    with pytest.raises(StoreError) as caught:
        Store.open(path)
    assert "is not a cnca-watch store" in str(caught.value)
    assert path.read_bytes() == content
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_a_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="directory"):
        Store.open(tmp_path)


def test_an_empty_file_becomes_a_store(tmp_path: Path) -> None:
    path = tmp_path / "empty.db"
    path.touch()
    with Store.open(path) as store:
        assert store.history() == []


def test_a_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "future.db"
    with Store.open(path):
        pass
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    before = path.read_bytes()
    with pytest.raises(StoreError) as caught:
        Store.open(path)
    assert "newer cnca-watch" in str(caught.value) and "upgrade cnca-watch" in str(caught.value)
    assert path.read_bytes() == before


# --------------------------------------------------------------------------- schema fixtures


@pytest.mark.parametrize("fixture", ["schema-v1.db", "schema-v2.db"])
def test_every_released_schema_fixture_opens_and_reads_back(tmp_path: Path, fixture: str) -> None:
    path = tmp_path / fixture
    shutil.copyfile(FIXTURES / fixture, path)
    with Store.open(path) as store:
        runs = store.history()
        assert [(r.new, r.changed, r.removed) for r in runs] == [(0, 0, 0), (1, 1, 1), (3, 0, 0)]
        pending = store.pending("report")
        assert [c.kind.value for c in pending] == ["new", "changed", "removed"]
        history = store.announcement(ann(3, 0).url)
        assert history is not None
        assert [v.body for v in history.versions] == ["第3号公告正文。", "第3号公告正文（修订）。"]
        assert history.versions[0].areas == (TAG,)
        assert history.versions[0].attachments == (PDF,)
        with store.run(started_at=DAY3) as run:
            assert run.validators(SOURCE_URL).etag == '"abc"'
            state = run.previous(SOURCE, [])
        # And it keeps working: a new run on the old store diffs against its content.
        assert check_once(store, [ann(4, 0), ann(3, 1, body="第3号公告正文（修订）。"), ann(1, 2)], at=DAY3) == ()
    assert {url for url, s in state.snapshots.items() if s.listed} == {ann(n, 0).url for n in (4, 3, 1)}


def test_migrations_upgrade_an_old_store_in_one_transaction(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "v1.db"
    shutil.copyfile(FIXTURES / "schema-v1.db", path)
    future = SCHEMA_VERSION + 1  # a migration after every real one, run from v1 with them

    def to_future(conn: sqlite3.Connection) -> None:
        conn.execute("ALTER TABLE runs ADD COLUMN note TEXT")
        conn.execute("UPDATE runs SET note = 'migrated'")

    def broken(conn: sqlite3.Connection) -> None:
        to_future(conn)
        conn.execute("SELECT * FROM no_such_table")

    monkeypatch.setattr(migrations, "SCHEMA_VERSION", future)
    monkeypatch.setattr(migrations, "MIGRATIONS", {**migrations.MIGRATIONS, future: broken})
    with pytest.raises(StoreError):
        Store.open(path)
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 1  # not even the real ones
    assert "note" not in [r[1] for r in conn.execute("PRAGMA table_info(runs)")]
    conn.close()

    monkeypatch.setattr(migrations, "MIGRATIONS", {**migrations.MIGRATIONS, future: to_future})
    with Store.open(path) as store:
        assert len(store.history()) == 3
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == future
    assert conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0] == str(future)
    assert {r[0] for r in conn.execute("SELECT note FROM runs")} == {"migrated"}
    conn.close()


def test_hostile_text_is_stored_exactly_as_received(store_path: Path) -> None:
    hostile = "\x1b[31m红\x1b]8;;http://evil.test\x07链接\x1b]8;;\x07[bold red]x[/]\u202e反转\x00NUL\n第二行"
    with Store.open(store_path) as store:
        check_once(store, [ann(1, 0, title=hostile, body=hostile, list_title=hostile)], at=DAY1)
        (change,) = store.pending("report")
        with store.run(started_at=DAY2) as run:
            snap = run.previous(SOURCE, [ann(1, 0).url]).snapshots[ann(1, 0).url]
    # PostgreSQL text cannot hold NUL: it stores U+FFFD there, as an HTML parser would.
    kept = hostile if isinstance(store_path, Path) else hostile.replace("\x00", "\ufffd")
    assert change.title == kept
    assert (snap.title, snap.body, snap.list_title) == (kept, kept, kept)


def test_v2_respells_raw_non_ascii_urls_so_announcements_keep_their_identity(tmp_path: Path) -> None:
    from urllib.parse import quote

    raw = "https://www.cnca.gov.cn/zwxx/gg/公告.html"
    encoded = "https://www.cnca.gov.cn/zwxx/gg/" + quote("公告") + ".html"
    raw_file = Attachment(url="https://www.cnca.gov.cn/files/附件1.pdf?fileName=附件1.pdf", name="附件1.pdf")
    encoded_file = Attachment(url="https://www.cnca.gov.cn/files/" + quote("附件1") + ".pdf?fileName=" + quote("附件1.pdf"), name="附件1.pdf")
    twice = "https://www.cnca.gov.cn/zwxx/gg/" + quote("两次") + ".html"  # the site used both spellings
    path = tmp_path / "old.db"
    with Store.open(path) as store:
        check_once(store, [ann(1, 0, url=encoded, attachments=(encoded_file,)), ann(2, 1), ann(3, 2, url=twice)], at=DAY1)
    # what cnca-watch 0.1 (schema v1) wrote: the URLs exactly as the page spelled them
    conn = sqlite3.connect(path)
    conn.execute("UPDATE announcements SET url = ? WHERE url = ?", (raw, encoded))
    conn.execute(
        "UPDATE versions SET attachments_json = ? WHERE announcement_id = (SELECT id FROM announcements WHERE url = ?)",
        (json.dumps([{"url": raw_file.url, "name": raw_file.name}], ensure_ascii=False), raw),
    )
    source_id = conn.execute("SELECT source_id FROM announcements LIMIT 1").fetchone()[0]
    conn.execute(
        "INSERT INTO announcements (source_id, url, first_seen_run, listed, position) VALUES (?, ?, 1, 1, 3)",
        (source_id, "https://www.cnca.gov.cn/zwxx/gg/两次.html"),
    )
    strip_to_v2_layout(conn)
    conn.execute("PRAGMA user_version = 1")
    conn.commit()
    conn.close()
    with Store.open(path) as store:
        announcement = store.announcement(encoded)
        assert announcement is not None and announcement.versions[-1].attachments == (encoded_file,)
        # the same page and files read by the new code: nothing changed, nothing new or removed
        again = [ann(1, 0, url=encoded, attachments=(encoded_file,)), ann(2, 1), ann(3, 2, url=twice)]
        assert check_once(store, again, at=DAY3) == ()
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert conn.execute("SELECT count(*) FROM announcements WHERE url = ?", (raw,)).fetchone() == (0,)
    # the leftover raw twin of an already encoded row stays as history, out of the window
    assert conn.execute(
        "SELECT listed FROM announcements WHERE url = ?", ("https://www.cnca.gov.cn/zwxx/gg/两次.html",)
    ).fetchone() == (0,)


def test_a_run_without_channels_queues_its_changes_for_the_report(store_path: Path) -> None:
    from cnca_watch.diff import diff_source

    with Store.open(store_path) as store:
        with store.run(started_at=DAY1) as run:
            current = window(1)
            result = diff_source(SOURCE, {}, current, detected_at=DAY1)
            stored = run.record_observations(SOURCE, SOURCE_URL, current, result)
            run.finish(DAY1, "ok")
        assert run.channels == ("report",)
        assert [c.id for c in store.pending("report")] == [c.id for c in stored]
        assert len(stored) == len(current)


def test_changes_without_baseline_leave_out_what_a_first_run_recorded(store_path: Path) -> None:
    with Store.open(store_path) as store:
        check_once(store, window(2, 1), at=DAY1)  # the source's first run: the baseline
        (news,) = check_once(store, window(3, 2, 1), at=DAY2)
        assert len(store.changes()) == 3
        assert [c.url for c in store.changes(baseline=False)] == [news.url] == [ann(3, 0).url]


def test_an_id_beyond_sqlite_integers_is_looked_up_as_a_url_not_an_overflow(store_path: Path) -> None:
    with Store.open(store_path) as store:
        check_once(store, window(1), at=DAY1)
        assert store.announcement(str(2**63)) is None
        assert store.announcement(str(2**63 - 1)) is None
        assert store.url_of_change(2**63) is None


def test_a_change_keeps_its_own_detection_time_and_falls_back_to_the_run_start(store_path: Path) -> None:
    from dataclasses import replace

    from cnca_watch.diff import diff_source

    with Store.open(store_path) as store:
        with store.run(started_at=DAY1) as run:
            current = window(2, 1)
            result = diff_source(SOURCE, {}, current, detected_at=DAY2)
            result = replace(result, changes=(result.changes[0], replace(result.changes[1], detected_at=None)))
            stored = run.record_observations(SOURCE, SOURCE_URL, current, result)
            run.finish(DAY1, "ok")
        assert [c.detected_at for c in stored] == [DAY2, DAY1]
        assert sorted(c.detected_at for c in store.changes()) == [DAY1, DAY2]
