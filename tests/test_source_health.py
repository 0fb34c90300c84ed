"""Sources that watch themselves: `sources health`, and one alert (then one "recovered"
note) through the default channel when a source fails `[alerts] failing_runs` runs in a row."""

from __future__ import annotations

import email
import email.policy
import json
from datetime import date
from pathlib import Path

import jsonschema
from chat_server import ChatServer
from notify_helpers import running_smtp_server
from typer.testing import CliRunner

from cnca_watch.cli import app
from cnca_watch.demo.server import MirrorServer
from cnca_watch.health import RunOutcome, judge
from cnca_watch.render.json import load_schema

runner = CliRunner()


def config_text(store: Path, url: str, smtp_port: int, chat: ChatServer) -> str:
    return f"""
[store]
path = "{store}"
[fetch]
retries = 0
read_timeout = 5.0
[alerts]
failing_runs = 2
[[sources]]
name = "watched"
url = "{url}"
[email]
host = "127.0.0.1"
port = {smtp_port}
security = "none"
from = "watch@example.org"
to = ["desk@example.org"]
[[webhooks]]
format = "wecom"
url = "{chat.url('wecom')}"
"""


def subjects(mails) -> list[str]:  # type: ignore[no-untyped-def]
    found = []
    for envelope in mails.envelopes:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        if "source watched" in message["Subject"]:
            found.append(message["Subject"])
    return found


def test_one_alert_after_n_failures_and_one_recovered_note(tmp_path: Path) -> None:
    with MirrorServer(day=1) as mirror, ChatServer() as chat, running_smtp_server() as (controller, mails):
        config = tmp_path / "c.toml"
        store = tmp_path / "s.db"
        broken = mirror.base_url + "/no-such-column/index.html"
        config.write_text(config_text(store, broken, controller.port, chat), encoding="utf-8")
        codes = []
        for _ in range(4):  # fails 4 runs in a row: the alert goes out at the 2nd, once
            codes.append(runner.invoke(app, ["check", "--config", str(config), "--notify", "--json"]).exit_code)
        assert codes == [1, 1, 1, 1]
        assert subjects(mails) == ["cnca-watch: source watched has failed 2 runs in a row"]
        alerts = [m for m in chat.received.get("wecom", []) if "watched" in m["markdown"]["content"]]
        assert len(alerts) == 1 and "failed 2 runs" in alerts[0]["markdown"]["content"]

        health = runner.invoke(app, ["sources", "health", "--config", str(config), "--json"])
        assert health.exit_code == 0, health.stderr
        document = json.loads(health.stdout)
        jsonschema.Draft202012Validator(load_schema("sources-health-output.schema.json")).validate(document)
        (watched,) = document
        assert watched["status"] == "never-ok" and watched["consecutive_failures"] == 4
        assert watched["items_seen"] == [0, 0, 0, 0] and "failed the last 4 run(s)" in watched["flags"][0]

        working = mirror.base_url + "/province/gg/index.html"
        config.write_text(config_text(store, working, controller.port, chat), encoding="utf-8")
        for _ in range(2):  # back: one "works again" note, not one per run
            result = runner.invoke(app, ["check", "--config", str(config), "--notify", "--json"])
            assert result.exit_code == 0, result.stderr
        assert subjects(mails) == [
            "cnca-watch: source watched has failed 2 runs in a row",
            "cnca-watch: source watched works again",
        ]
        wecom = [m["markdown"]["content"] for m in chat.received["wecom"] if "source watched" in m["markdown"]["content"]]
        assert len(wecom) == 2 and "works again" in wecom[1]
        text = runner.invoke(app, ["sources", "health", "--config", str(config)])
        assert text.exit_code == 0 and "watched: ok" in text.stdout and "0 failure(s) in a row" in text.stdout


def test_a_refused_alert_is_tried_again_and_then_sent_once(tmp_path: Path) -> None:
    with MirrorServer(day=1) as mirror, ChatServer() as chat, running_smtp_server() as (controller, mails):
        config = tmp_path / "c.toml"
        config.write_text(config_text(tmp_path / "s.db", mirror.base_url + "/gone/", controller.port, chat), encoding="utf-8")
        chat.fail["wecom"] = True
        codes = [runner.invoke(app, ["check", "--config", str(config), "--notify"]).exit_code for _ in range(2)]
        assert codes == [1, 4]  # the 2nd run's alert was refused by the robot (errcode in a 200)
        chat.fail["wecom"] = False
        third = runner.invoke(app, ["check", "--config", str(config), "--notify"])
        fourth = runner.invoke(app, ["check", "--config", str(config), "--notify"])
        assert (third.exit_code, fourth.exit_code) == (1, 1)
        assert len(chat.received["wecom"]) == 1  # sent on the retry, never again


def test_health_flags_a_year_in_the_url_a_quiet_column_and_a_redirect() -> None:
    outcomes = [RunOutcome(i, f"2025-01-0{i}T07:00:00Z", "ok", 10) for i in range(1, 4)]
    published = ["2024-01-01", "2024-01-08", "2024-01-15", "2024-01-22"]
    health = judge(
        "old-column", "https://www.cnca.gov.cn/zwxx/tz/2024/index.html", outcomes, published,
        today=date(2025, 3, 1), final_url="https://www.cnca.gov.cn/zwxx/tz/index.html",
    )
    flags = " | ".join(health.flags)
    assert "names the year 2024" in flags and "no new item for 404 days" in flags and "redirects to" in flags
    assert health.status == "ok" and health.consecutive_failures == 0


def test_a_list_page_that_now_redirects_is_flagged_with_its_new_address(tmp_path: Path) -> None:
    from urllib.parse import quote

    from faultserver import FaultServer

    with MirrorServer(day=1) as mirror, FaultServer() as moved:
        target = mirror.base_url + "/province/gg/index.html"
        url = moved.url("/redirect?to=" + quote(target, safe=""))
        config = tmp_path / "c.toml"
        config.write_text(
            f'[store]\npath = "{tmp_path / "s.db"}"\n[fetch]\nretries = 0\n[[sources]]\nname = "moved"\nurl = "{url}"\n',
            encoding="utf-8",
        )
        assert runner.invoke(app, ["check", "--config", str(config)]).exit_code == 0
        result = runner.invoke(app, ["sources", "health", "--config", str(config), "--json"])
        (moved_source,) = json.loads(result.stdout)
        assert moved_source["status"] == "ok"
        assert any(f"redirects to {target}" in flag for flag in moved_source["flags"])
