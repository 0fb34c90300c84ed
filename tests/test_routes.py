"""Routes and chat channels end to end: the mirror's day 2 through three routes, a WeCom and
a signed DingTalk robot (tests/chat_server.py) and a real SMTP server, via the CLI."""

from __future__ import annotations

import email
import email.policy
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from chat_server import ChatServer
from mirror_helpers import write_config
from notify_helpers import running_smtp_server
from typer.testing import CliRunner

from cnca_watch.cli import app
from cnca_watch.demo.server import MirrorServer

runner = CliRunner()
SECRET = "SECtest-dingtalk-secret"

SMALL_FIRMS = "关于进一步做好小微企业质量管理体系认证提升行动有关工作的通知"
SPOT_CHECKS = "关于开展2024年认证机构“双随机、一公开”监督抽查工作的通知"
PROVINCE = "关于2024年第二季度检验检测机构资质认定监督抽查结果的通告"
CHANGED = "关于印发《认证机构资质审批工作指南》的通知（更正）"
REMOVED = "市场监管总局办公厅关于进一步规范强制性产品认证目录外产品宣传用语的通知"


def routes_toml(smtp_port: int, chat: ChatServer) -> str:
    return f"""
[email]
host = "127.0.0.1"
port = {smtp_port}
security = "none"
from = "watch@example.org"
to = ["desk@example.org"]

[[webhooks]]
name = "quality-room"
format = "wecom"
url = "{chat.url('wecom')}?key=WECOMKEY"

[[webhooks]]
name = "audit-robot"
format = "dingtalk"
url = "{chat.url('dingtalk')}?access_token=DINGTOKEN"
secret_env = "TEST_DING_SECRET"

[[routes]]
name = "ccc"
kinds = ["removed"]
terms = ["强制性产品认证"]
email = ["ccc@example.org"]

[[routes]]
name = "quality"
kinds = ["new"]
terms = ["小微企业"]
webhooks = ["quality-room"]

[[routes]]
name = "audits"
kinds = ["new"]
terms = ["监督抽查", "小微企业"]
webhooks = ["audit-robot"]
"""


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Path, MirrorServer, ChatServer, object]]:
    monkeypatch.setenv("TEST_DING_SECRET", SECRET)
    with MirrorServer(day=1) as mirror, ChatServer(secret=SECRET) as chat, running_smtp_server() as (controller, mails):
        config = write_config(tmp_path / "c.toml", mirror.base_url, tmp_path / "s.db", routes_toml(controller.port, chat))
        first = runner.invoke(app, ["check", "--config", str(config), "--json"])
        assert first.exit_code == 0, first.stderr
        mirror.set_day(2)
        yield config, mirror, chat, mails


def texts(chat: ChatServer, platform: str) -> str:
    return json.dumps(chat.received.get(platform, []), ensure_ascii=False)


def mails_to(mails, address: str) -> list[str]:  # type: ignore[no-untyped-def]
    """The plain-text part of every message delivered to ``address``."""
    texts = []
    for envelope in mails.envelopes:
        if address in envelope.rcpt_tos:
            message = email.message_from_bytes(envelope.content, policy=email.policy.default)
            texts.append(message.get_body(preferencelist=("plain",)).get_content())
    return texts


def pending(store: Path) -> dict[str, int]:
    with sqlite3.connect(store) as conn:
        rows = conn.execute(
            "SELECT channel, count(*) FROM outbox WHERE delivered_at IS NULL AND channel != 'report' GROUP BY channel"
        ).fetchall()
    return {channel.split("?")[0]: n for channel, n in rows}


def test_each_change_reaches_every_target_of_its_routes_once(world) -> None:  # type: ignore[no-untyped-def]
    config, _mirror, chat, mails = world
    result = runner.invoke(app, ["check", "--config", str(config), "--notify", "--json"])
    assert result.exit_code == 0, result.stderr
    wecom, ding = texts(chat, "wecom"), texts(chat, "dingtalk")
    # the small-firms notice matches two routes: one message on each robot, once
    assert wecom.count("小微企业质量管理体系") == 1 and ding.count("小微企业质量管理体系") == 1
    assert ding.count("双随机") == 1 and ding.count("资质认定监督抽查结果") == 1
    assert "双随机" not in wecom and "资质审批" not in wecom + ding
    assert chat.rejected == {}  # the DingTalk signature held
    ding_query = next(q for p, q, _ in chat.requests if p == "dingtalk")
    assert ding_query["access_token"] == ["DINGTOKEN"] and ding_query["sign"]
    ccc = mails_to(mails, "ccc@example.org")
    desk = mails_to(mails, "desk@example.org")
    assert len(ccc) == 1 and len(desk) == 1
    # the change no route matched goes to the default [email]; the routed ones do not
    assert "资质审批工作指南" in desk[0] and "目录外产品" not in desk[0] and "小微企业" not in desk[0]
    assert "目录外产品" in ccc[0] and "资质审批" not in ccc[0]
    assert pending(config.parent / "s.db") == {}
    sent = len(chat.requests)
    again = runner.invoke(app, ["notify", "--config", str(config)])
    assert again.exit_code == 0, again.stderr
    assert len(chat.requests) == sent and len(mails.envelopes) == 2  # delivered exactly once


def test_a_refusing_robot_keeps_only_its_own_deliveries_queued(world) -> None:  # type: ignore[no-untyped-def]
    config, _mirror, chat, mails = world
    chat.fail["dingtalk"] = True  # answers HTTP 200 {"errcode": 310000, …}
    result = runner.invoke(app, ["check", "--config", str(config), "--notify", "--json"])
    assert result.exit_code == 4
    assert "audit-robot" in result.stderr and "errcode 310000" in result.stderr
    assert "DINGTOKEN" not in result.stderr and SECRET not in result.stderr
    store = config.parent / "s.db"
    left = pending(store)
    assert list(left) == ["webhook:" + chat.url("dingtalk")] and left["webhook:" + chat.url("dingtalk")] == 3
    assert texts(chat, "wecom").count("小微企业") == 1 and len(mails.envelopes) == 2
    chat.fail["dingtalk"] = False
    retry = runner.invoke(app, ["notify", "--config", str(config)])
    assert retry.exit_code == 0, retry.stderr
    assert pending(store) == {}
    assert texts(chat, "dingtalk").count("双随机") == 1 and texts(chat, "wecom").count("小微企业") == 1


def test_an_unset_secret_variable_is_named_and_the_changes_wait(world, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    config, _mirror, chat, _mails = world
    monkeypatch.delenv("TEST_DING_SECRET")
    result = runner.invoke(app, ["check", "--config", str(config), "--notify", "--json"])
    assert result.exit_code == 4
    assert "TEST_DING_SECRET" in result.stderr and "not set" in result.stderr
    assert "dingtalk" not in chat.received
    assert pending(config.parent / "s.db") == {"webhook:" + chat.url("dingtalk"): 3}


def test_a_digest_split_in_parts_marks_delivered_only_the_parts_accepted(tmp_path: Path) -> None:
    with MirrorServer(day=1) as mirror, ChatServer() as chat:
        extra = f'[[webhooks]]\nformat = "wecom"\nurl = "{chat.url("wecom")}"\n'
        config = write_config(tmp_path / "c.toml", mirror.base_url, tmp_path / "s.db", extra)
        chat.fail_after["wecom"] = 1
        first = runner.invoke(app, ["check", "--config", str(config), "--notify", "--json"])
        assert first.exit_code == 4, first.stderr
        queued = sum(1 for _ in json.loads(first.stdout)["changes"])
        accepted = texts(chat, "wecom").count("**New**")
        assert 0 < accepted < queued  # the digest did not fit one 4096-byte message
        assert pending(tmp_path / "s.db") == {"webhook:" + chat.url("wecom"): queued - accepted}
        chat.fail_after.clear()
        retry = runner.invoke(app, ["notify", "--config", str(config)])
        assert retry.exit_code == 0, retry.stderr
        assert pending(tmp_path / "s.db") == {}
        everything = texts(chat, "wecom")
        assert everything.count("**New**") == queued  # every change once, none twice


def test_routes_test_shows_where_stored_changes_would_go_and_sends_nothing(world) -> None:  # type: ignore[no-untyped-def]
    import jsonschema

    from cnca_watch.render.json import load_schema

    config, _mirror, chat, mails = world
    assert runner.invoke(app, ["check", "--config", str(config)]).exit_code == 0  # day 2, not delivered
    result = runner.invoke(app, ["routes", "test", "--since", "3650d", "--config", str(config), "--json"])
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    jsonschema.Draft202012Validator(load_schema("routes-test-output.schema.json")).validate(document)
    fate = {c["title"]: (c["fate"], c["routes"], c["targets"]) for c in document["changes"]}
    assert fate[SMALL_FIRMS] == ("routed", ["quality", "audits"], ["webhook:quality-room", "webhook:audit-robot"])
    assert fate[SPOT_CHECKS][1] == ["audits"] and fate[PROVINCE][1] == ["audits"]
    assert fate[REMOVED] == ("routed", ["ccc"], ["email:ccc@example.org"])
    assert fate[CHANGED] == ("default", [], ["email:desk@example.org"])
    assert {r["name"]: r["changes"] for r in document["routes"]} == {"ccc": 1, "quality": 1, "audits": 3}
    assert chat.requests == [] and mails.envelopes == []
    text = runner.invoke(app, ["routes", "test", "--since", "3650d", "--config", str(config)])
    assert text.exit_code == 0 and f"{SMALL_FIRMS}  -> quality, audits" in text.stdout
    config.write_text(config.read_text("utf-8") + '\n[routing]\nunmatched = "drop"\n', encoding="utf-8")
    dropped = json.loads(runner.invoke(app, ["routes", "test", "--since", "3650d", "--config", str(config), "--json"]).stdout)
    changed = next(c for c in dropped["changes"] if c["title"] == CHANGED)
    assert (changed["fate"], changed["targets"], dropped["dropped"]) == ("dropped", [], 1)


@pytest.mark.parametrize(
    ("route", "expected"),
    [
        ('name = "x"\nemail = ["a@example.org"]\ncolour = "red"', "unknown key 'colour' in [[routes]] #1"),
        ('name = "x"\nareas = ["ccc"]\nemail = ["a@example.org"]', "unknown area id 'ccc'; use one of"),
        ('name = "x"\nwebhooks = ["nobody"]', "webhooks names no [[webhooks]] 'nobody'"),
        ('name = "x"\nterms = ["(unclosed"]\nemail = ["a@example.org"]', "'(unclosed' is not a valid regular expression"),
        ('name = "x"\nkinds = ["moved"]\nemail = ["a@example.org"]', "kinds has 'moved'; use any of new, changed, removed"),
        ('name = "x"', "has no target; add email"),
    ],
)
def test_a_bad_route_is_one_line_naming_the_key_and_the_fix(tmp_path: Path, route: str, expected: str) -> None:
    config = tmp_path / "c.toml"
    config.write_text(
        f'[email]\nhost = "127.0.0.1"\nto = ["d@example.org"]\n[[routes]]\n{route}\n', encoding="utf-8"
    )
    result = runner.invoke(app, ["routes", "test", "--config", str(config)])
    assert result.exit_code == 2
    assert expected in result.stderr and str(config) in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr


def test_a_webhook_format_or_secret_env_that_cannot_work_is_refused(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    for body, expected in (
        ('format = "telegram"', "format = 'telegram'; use one of json, wecom"),
        ('format = "wecom"\nsecret_env = "X"', "secret_env is for signed robots"),
        ('format = "dingtalk"\nsecret_env = "SEC123 abc"', "is not an environment variable name"),
    ):
        config.write_text(f'[[webhooks]]\nurl = "http://127.0.0.1:9/hook"\n{body}\n', encoding="utf-8")
        result = runner.invoke(app, ["sources", "health", "--config", str(config)])
        assert result.exit_code == 2 and expected in result.stderr, result.stderr


def test_the_example_config_routes_block_parses_with_every_key() -> None:
    import tomllib

    from cnca_watch.config import parse_config

    example = (Path(__file__).resolve().parents[1] / "config.example.toml").read_text("utf-8")
    block = example.split("# --- teams and channels")[1].split("# --- end of teams and channels")[0]
    lines = [line[2:] if line.startswith("# ") else "" for line in block.splitlines()[1:]]
    base = '[email]\nhost = "smtp.example.org"\nto = ["desk@example.org"]\n'
    config = parse_config(tomllib.loads(example.split("# --- teams")[0] + base + "\n".join(lines)))
    assert [r.name for r in config.routing.routes] == ["ccc-team", "lab-managers"]
    ccc = config.routing.routes[0]
    assert ccc.match.has_deadline is True and ccc.match.not_terms and ccc.webhooks == ("ccc-room",)
    assert [(w.name, w.format, w.default) for w in config.webhooks] == [("ccc-room", "wecom", False), ("lab-robot", "dingtalk", False)]
    assert config.routing.unmatched == "default" and config.alerts.failing_runs == 3


def test_the_readme_worked_config_parses() -> None:
    import tomllib

    from cnca_watch.config import parse_config

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text("utf-8")
    section = readme.split("## Teams and channels")[1]
    block = section.split("```toml\n")[1].split("```")[0]
    config = parse_config(tomllib.loads(block))
    assert [r.name for r in config.routing.routes] == ["lab-managers", "ccc-team", "china-desk"]
    assert {w.name: w.format for w in config.webhooks} == {"ccc-wecom": "wecom", "desk-dingtalk": "dingtalk"}


def test_routed_change_reads_doc_type_and_deadlines_from_fields_when_the_change_has_them() -> None:
    from types import SimpleNamespace

    from notify_helpers import new_change

    from cnca_watch.models import Attachment
    from cnca_watch.routing import routed_change

    plain = routed_change(new_change(), body="正文")
    assert plain.doc_type is None and plain.has_deadline is False
    assert plain.areas == ("unified-management", "regulation") and plain.kind == "new" and "正文" in plain.text
    change = new_change()
    with_fields = SimpleNamespace(
        kind=change.kind, source=change.source, title=change.title, areas=change.areas,
        attachments=(Attachment("https://x.invalid/a.pdf", "实施规则.pdf"),),
        fields=SimpleNamespace(doc_type="公告", deadlines=("2024-12-31",)),
    )
    facts = routed_change(with_fields)
    assert facts.doc_type == "公告" and facts.has_deadline is True and "实施规则.pdf" in facts.text
    as_dict = routed_change(SimpleNamespace(**{**vars(with_fields), "fields": {"doc_type": "通知", "deadlines": []}}))
    assert as_dict.doc_type == "通知" and as_dict.has_deadline is False
