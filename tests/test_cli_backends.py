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
