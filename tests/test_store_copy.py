"""`cnca-watch store copy`: a whole history SQLite -> PostgreSQL -> SQLite, verified by what
each store answers afterwards (not only by the counts and checksums the command prints)."""

from __future__ import annotations

from pathlib import Path

from mirror_helpers import make_config, run_and_ack
from store_helpers import check_once, count, window
from typer.testing import CliRunner

from cnca_watch.cli import app
from cnca_watch.operations import retag_store
from cnca_watch.store import Store

runner = CliRunner()
TABLES = ("runs", "sources", "run_sources", "announcements", "versions", "changes", "outbox", "http_cache", "retags")


def answers(target: Path | str) -> tuple[object, ...]:
    with Store.open(target, read_only=True) as store:
        first = store.changes()[0]
        return (
            store.history(),
            store.changes(),
            store.pending("report"),
            store.announcement(str(first.url)),
            store.retags(),
            store.source_names(),
        )


def test_a_history_goes_to_postgresql_and_back_unchanged(mirror, tmp_path: Path, pg_store: str) -> None:
    original = tmp_path / "laptop.db"
    config = make_config(mirror.base_url, original)
    run_and_ack(config)
    mirror.set_day(2)
    from cnca_watch.pipeline import check

    check(config)  # day 2 stays unreported: its changes are still pending afterwards
    retag_store(config)
    before = answers(original)
    assert before[2], "the day-2 changes are pending"

    there = runner.invoke(app, ["store", "copy", str(original), pg_store])
    assert there.exit_code == 0, there.output
    lines = there.output.splitlines()
    printed = {line.split()[0]: line.split()[1:] for line in lines[2:-1]}
    assert set(TABLES) | {"retagged_areas"} <= set(printed)
    assert lines[-1] == f"all {len(printed)} tables match"
    for table in TABLES:  # rows from == rows to, checksum from == checksum to, as counted here
        rows_from, rows_to, sum_from, sum_to = printed[table]
        assert int(rows_from) == int(rows_to) == count(original, table) and sum_from == sum_to
    for table in TABLES:
        assert count(pg_store, table) == count(original, table) > 0
    assert answers(pg_store) == before

    back = tmp_path / "back.db"
    again = runner.invoke(app, ["store", "copy", pg_store, f"sqlite:///{back}"])
    assert again.exit_code == 0, again.output
    assert answers(back) == before

    # the team store goes on from where the laptop stopped: new ids follow the copied ones
    with Store.open(pg_store) as store:
        latest = store.history(1)[0].id
        check_once(store, window(1), at="2030-01-01T00:00:00Z", source="copied-on")
        assert store.history(1)[0].id == latest + 1


def test_copying_into_a_store_that_has_runs_is_refused_and_changes_nothing(tmp_path: Path, pg_store: str) -> None:
    source, target = tmp_path / "a.db", tmp_path / "b.db"
    for path, numbers in ((source, (1, 2)), (target, (3,))):
        with Store.open(path) as store:
            check_once(store, window(*numbers), at="2024-01-10T07:00:00Z")
    refused = runner.invoke(app, ["store", "copy", str(source), str(target)])
    assert refused.exit_code == 3
    assert "already holds 1 run(s); copy into a new, empty store" in refused.output
    assert count(target, "announcements") == 1
    same = runner.invoke(app, ["store", "copy", pg_store, pg_store])
    assert same.exit_code == 3 and "is both the source and the target" in same.output
