"""Every command a desk uses, through the CLI, on both backends (SQLite file and PostgreSQL):
check, notify, history, show, report, feed, classify --stored.  Expected values are the
mirror's day-2 story (mirror_helpers.DAY2_CHANGES), written by hand."""

from __future__ import annotations

import json
from pathlib import Path

from mirror_helpers import DAY2_CHANGES, TZ, write_config
from notify_helpers import running_smtp_server
from typer.testing import CliRunner

from cnca_watch.cli import app

runner = CliRunner()


def run(*args: str) -> str:
    outcome = runner.invoke(app, list(args))
    assert outcome.exit_code == 0, (args, outcome.output)
    return outcome.output


def test_every_command_works_the_same_on_both_backends(mirror, tmp_path: Path, store_url: Path | str) -> None:
    with running_smtp_server() as (controller, smtp):
        extra = f'[email]\nhost = "127.0.0.1"\nport = {controller.port}\nsecurity = "none"\nto = ["desk@example.org"]\n'
        config = str(write_config(tmp_path / "c.toml", mirror.base_url, store_url, extra))
        run("check", "--config", config, "--json")
        mirror.set_day(2)
        day2 = json.loads(run("check", "--config", config, "--notify", "--json"))
        got = {(c["kind"], c["source"], c["url"].removeprefix(mirror.base_url), c["title"], c["date"]) for c in day2["changes"]}
        assert got == DAY2_CHANGES

        assert len(smtp.envelopes) == 1  # the day-2 changes, in one message
        run("notify", "--config", config)
        assert len(smtp.envelopes) == 1, "nothing is sent twice"

    runs = json.loads(run("history", "--config", config, "--json"))
    assert [r["id"] for r in runs] == [2, 1]
    assert {k: runs[0][k] for k in ("new", "changed", "removed", "sources_failed")} == {
        "new": 3, "changed": 1, "removed": 1, "sources_failed": 0
    }

    changed_url = mirror.base_url + TZ + "art_3751c23bf913548b6c3cf01fa1fb1527.html"
    shown = json.loads(run("show", changed_url, "--config", config, "--json"))
    assert len(shown["versions"]) == 2 and shown["url"] == changed_url

    report = run("report", "--config", config, "--since", "2000-01-01", "--format", "markdown")
    feed = run("feed", "--config", config)
    for _, _, path, title, _ in DAY2_CHANGES:
        assert title in report
        assert path.replace("&", "&amp;") in feed

    retag = json.loads(run("classify", "--stored", "--config", config, "--json"))
    assert retag["total"] > 0


# STORY.md, "The archive": items each column lists back to 2023 (hand-counted there)
ARCHIVE_LISTED = {"cnca-notices": 32, "cnca-announcements": 25, "samr-certification": 27, "province-notices": 26}


def test_backfill_review_and_source_health_give_the_same_answers_on_both_backends(
    tmp_path: Path, pg_store: str
) -> None:
    from cnca_watch.demo.server import MirrorServer
    from store_helpers import query

    answers = {}
    with MirrorServer(day=1, archive=True) as mirror:
        for name, store in (("sqlite", tmp_path / "s.db"), ("postgresql", pg_store)):
            config = write_config(tmp_path / f"{name}.toml", mirror.base_url, store)
            config.write_text(config.read_text().replace("[fetch]\n", "[fetch]\nbackfill_pause = 0\n", 1))
            run("backfill", "--since", "2023-01-01", "--config", str(config), "--json")
            per_source = dict(
                query(store, "SELECT s.name, COUNT(*) FROM announcements a JOIN sources s ON s.id = a.source_id"
                             " WHERE a.backfilled = 1 GROUP BY s.name")
            )
            assert per_source == ARCHIVE_LISTED, name
            run("check", "--config", str(config), "--json")  # a daily check beside the backfill
            answers[name] = (
                json.loads(run("review", "--year", "2024", "--config", str(config), "--json")),
                json.loads(run("sources", "health", "--config", str(config), "--json")),
                json.loads(run("history", "--config", str(config), "--json")),
            )
    sqlite_review, sqlite_health, sqlite_history = answers["sqlite"]
    pg_review, pg_health, pg_history = answers["postgresql"]
    assert pg_review == sqlite_review
    def timeless(health: list[dict[str, object]]) -> list[dict[str, object]]:  # when each run happened differs
        return [{k: v for k, v in source.items() if k not in ("last_success", "last_run")} for source in health]

    assert timeless(pg_health) == timeless(sqlite_health) and len(pg_health) == len(ARCHIVE_LISTED)
    assert [r["id"] for r in pg_history] == [r["id"] for r in sqlite_history] == [2]  # backfills are not runs of news
