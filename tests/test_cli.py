"""The CLI as a user meets it: exit codes, one-line errors, output per destination,
email with delivered-after-acceptance, history/show/report/feed over a real store."""

from __future__ import annotations

import email
import email.policy
import json
import re
import subprocess
import sys
from email.header import decode_header, make_header
from dataclasses import replace
from pathlib import Path

import feedparser
import pytest
from notify_helpers import running_smtp_server
from mirror_helpers import DAY2_CHANGES, write_config
from typer.testing import CliRunner

from cnca_watch.cli import app

ANSI = re.compile(r"\x1b\[")
runner = CliRunner()


def invoke(*args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, list(args), catch_exceptions=False)


@pytest.fixture
def config_file(tmp_path: Path, mirror, store_path: Path) -> Path:
    return write_config(tmp_path / "config.toml", mirror.base_url, store_path)


# -- help, version, usage errors ------------------------------------------------


def test_every_command_has_help() -> None:
    commands = ["check", "demo", "init", "classify", "eval", "report", "history", "show", "feed", "notify"]
    for command in commands:
        result = invoke(command, "--help")
        assert result.exit_code == 0, command
        assert "Usage:" in result.output and len(result.output.splitlines()) > 4, command
    top = invoke("--help").output
    for command in commands + ["sources"]:
        assert command in top
    assert "Exit status" in top and "5 only with --exit-code" in " ".join(top.split())
    assert invoke("sources", "test", "--help").exit_code == 0


def test_version_via_python_dash_m() -> None:
    done = subprocess.run([sys.executable, "-m", "cnca_watch", "--version"], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0 and re.fullmatch(r"cnca-watch \d+\.\d+\.\d+\n", done.stdout)


def test_bad_flag_is_usage_error_exit_2() -> None:
    done = subprocess.run([sys.executable, "-m", "cnca_watch", "check", "--colour"], capture_output=True, text=True, timeout=30)
    assert done.returncode == 2
    assert "No such option: --colour" in done.stderr and "Traceback" not in done.stderr


def test_bad_config_is_one_line_exit_2_no_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[[sources]]\nname = 'x'\nurl = 'not a url'\n", encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "cnca_watch", "check", "--config", str(bad)],
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1
    assert str(bad) in done.stderr and "url" in done.stderr and "http(s)" in done.stderr
    assert done.stdout == ""


def test_unknown_source_and_conflicting_formats(config_file: Path) -> None:
    result = invoke("check", "--config", str(config_file), "--source", "nope")
    assert result.exit_code == 2 and "no source named 'nope'" in result.output
    result = invoke("check", "--config", str(config_file), "--json", "--format", "text")
    assert result.exit_code == 2 and "--json and --format" in result.output


def test_foreign_store_is_refused_untouched(config_file: Path, tmp_path: Path) -> None:
    foreign = tmp_path / "notes.db"
    foreign.write_bytes(b"my own notes, not sqlite")
    result = invoke("check", "--config", str(config_file), "--store", str(foreign))
    assert result.exit_code == 3
    assert "is not a cnca-watch store" in result.output
    assert foreign.read_bytes() == b"my own notes, not sqlite"


# -- check: output per destination, quiet, exit codes ---------------------------------


def test_check_plain_text_when_not_a_tty_and_exit_codes(config_file: Path, mirror) -> None:
    first = invoke("check", "--config", str(config_file))
    assert first.exit_code == 0
    assert not ANSI.search(first.output)
    assert not re.search("[┏━┃│─]", first.output)
    assert "cnca-notices: first run, 10 announcements recorded as the baseline" in first.output

    quiet = invoke("check", "--config", str(config_file), "--quiet", "--exit-code")
    assert quiet.exit_code == 0 and quiet.output == ""

    mirror.set_day(2)
    second = invoke("check", "--config", str(config_file), "--quiet", "--exit-code")
    assert second.exit_code == 5
    assert "CHANGED: 关于印发《认证机构资质审批工作指南》的通知（更正）" in second.output
    assert "REMOVED: 市场监管总局办公厅关于进一步规范强制性产品认证目录外产品宣传用语的通知" in second.output
    assert "{+（更正）+}" in second.output


def test_check_json_on_stdout_is_the_document(config_file: Path, mirror) -> None:
    invoke("check", "--config", str(config_file))
    mirror.set_day(2)
    result = invoke("check", "--config", str(config_file), "--json")
    document = json.loads(result.output)
    got = {(c["kind"], c["source"], c["url"].removeprefix(mirror.base_url), c["title"], c["date"])
           for c in document["changes"]}
    assert got == DAY2_CHANGES


def test_failed_source_exit_1_and_the_rest_still_reported(tmp_path: Path, mirror, store_path: Path) -> None:
    extra = '[[sources]]\nname = "dead"\nurl = "http://127.0.0.1:9/nothing/"\n'
    config = write_config(tmp_path / "c.toml", mirror.base_url, store_path, extra)
    result = invoke("check", "--config", str(config), "--json")
    assert result.exit_code == 1
    document = json.loads(result.output)
    dead = next(s for s in document["sources"] if s["name"] == "dead")
    assert dead["status"] == "error" and "127.0.0.1:9" in dead["error"]
    assert len(document["changes"]) == 32


def test_source_pointed_at_an_announcement_page_is_refused_with_the_fix(
    tmp_path: Path, mirror, store_path: Path
) -> None:
    listed = json.loads(invoke("sources", "test", mirror.base_url + "/zwxx/gg/index.html", "--json").output)
    article = listed["items"][0]["url"]  # a CNCA announcement: one attachment link, no list
    preview = invoke("sources", "test", article)
    assert preview.exit_code == 1
    assert f"{article} is an announcement page, not a list" in preview.stderr
    assert "list page of its column" in preview.stderr
    extra = f'[[sources]]\nname = "article"\nurl = "{article}"\n'
    config = write_config(tmp_path / "c.toml", mirror.base_url, store_path, extra)
    result = invoke("check", "--config", str(config), "--json")
    assert result.exit_code == 1
    document = json.loads(result.output)
    failed = next(s for s in document["sources"] if s["name"] == "article")
    assert failed["status"] == "error" and "announcement page, not a list" in failed["error"]
    # its attachment was not taken for an announcement; the real sources were still checked
    assert not [c for c in document["changes"] if c["source"] == "article"]
    assert len(document["changes"]) == 32


def test_terminal_output_on_a_tty_uses_rich_and_escapes(config_file: Path) -> None:
    from io import StringIO

    from rich.console import Console

    from cnca_watch.models import Change, ChangeKind, RunResult, SourceResult, SourceStatus
    from cnca_watch.render.terminal import render_terminal

    hostile = "\x1b]8;;http://evil\x07click\x1b]8;;\x07 [bold red]x[/] \u202etxet\u202c"
    result = RunResult(1, "2024-01-12T00:00:00Z", "2024-01-12T00:00:01Z",
                       (SourceResult("s", "http://x/", SourceStatus.OK, items_seen=1, changed=1),),
                       (Change(ChangeKind.CHANGED, "s", "http://x/1", hostile, "2024-01-12",
                               fields_changed=("title",), diff="title: [-a-]{+b+}"),))
    out = StringIO()
    render_terminal(result, Console(file=out, force_terminal=True, width=120))
    text = out.getvalue()
    assert "[bold red]x[/]" in text  # shown literally, not interpreted
    assert "\x1b]8;;http://evil" not in text and "\u202e" not in text
    plain = Console(file=StringIO(), width=40, color_system=None)
    render_terminal(replace(result, changes=(replace(result.changes[0], url="http://x/" + "a" * 60),)), plain)
    lines = plain.file.getvalue().splitlines()  # type: ignore[attr-defined]
    assert "  2024-01-12  ·  s" in lines and not any(line.rstrip().endswith("·") for line in lines)
    assert any(line.startswith("  http://x/aaaa") for line in lines)  # the link starts its own line


# -- init / sources ----------------------------------------------------------------


def test_init_writes_a_config_and_refuses_to_overwrite(tmp_path: Path) -> None:
    target = tmp_path / "cfg" / "config.toml"
    assert invoke("init", str(target)).exit_code == 0
    assert "cnca-announcements" in target.read_text("utf-8")
    again = invoke("init", str(target))
    assert again.exit_code == 2 and "--force" in again.output
    listed = invoke("sources", "list", "--config", str(target))
    assert listed.exit_code == 0 and "https://www.samr.gov.cn/zw/zfxxgk/fdzdgknr/rkjcs/" in listed.output


def test_sources_test_shows_items_and_first_detail_without_a_store(config_file: Path, mirror, store_path: Path) -> None:
    result = invoke("sources", "test", "samr-certification", "--config", str(config_file))
    assert result.exit_code == 0
    assert "9 items" in result.output
    assert "2024-06-14  市场监管总局办公厅关于开展2024年认证活动“双随机、一公开”监管工作暨认证有效性抽查的通知" in result.output
    assert "file: 附件1：2024年认证有效性抽查工作方案.pdf" in result.output
    assert not store_path.exists()
    by_url = invoke("sources", "test", mirror.base_url + "/province/gg/index.html", "--json")
    document = json.loads(by_url.output)
    assert len(document["items"]) == 6 and document["items"][1]["title"].startswith("关于撤销杭州喆华")


def test_demo_runs_two_days_offline() -> None:
    result = invoke("demo")
    assert result.exit_code == 0
    assert "Day 1" in result.output and "Day 2" in result.output
    # the demo revalidates every attachment: day 2's replaced PDF and grown sheet are two more
    # changes (STORY.md, "Day 2 in the attachment files")
    assert "3 new, 3 changed, 1 removed" in result.output
    assert "2 rows added (key 机构类型)" in result.output and "{+初始工厂检查加+}" in result.output


# -- email: delivered only after acceptance ---------------------------------------------


def test_email_is_sent_and_a_refused_send_is_delivered_next_time(tmp_path: Path, mirror, store_path: Path) -> None:
    with running_smtp_server(refuse="550 mailbox unavailable") as (controller, handler):
        extra = (
            f'[email]\nhost = "127.0.0.1"\nport = {controller.port}\nsecurity = "none"\n'
            f'from = "watch@example.org"\nto = ["analyst@example.org"]\n'
        )
        config = write_config(tmp_path / "c.toml", mirror.base_url, store_path, extra)
        invoke("check", "--config", str(config))  # baseline, no email queued
        mirror.set_day(2)
        refused = invoke("check", "--config", str(config), "--email")
        assert refused.exit_code == 4
        assert "email not sent, 5 change(s) stay queued" in refused.output
        assert handler.envelopes == []

        handler.refuse = None
        delivered = invoke("check", "--config", str(config), "--email")  # nothing new: the backlog goes out
        assert delivered.exit_code == 0, delivered.output
        envelopes = handler.envelopes
        assert len(envelopes) == 1
        message = email.message_from_bytes(envelopes[0].content, policy=email.policy.default)
        subject = str(make_header(decode_header(message["Subject"])))
        assert subject.startswith("cnca-watch: 3 new, 1 changed, 1 removed")
        text = message.get_body(("plain",)).get_content()
        html = message.get_body(("html",)).get_content()
        assert "关于印发《认证机构资质审批工作指南》的通知（更正）" in text
        assert mirror.base_url + "/province/gg/2024/t20240618_4125907.html" in html

        nothing = invoke("notify", "--config", str(config), "--email")
        assert nothing.exit_code == 0 and len(handler.envelopes) == 1, "delivered changes are not sent twice"


# -- looking back ----------------------------------------------------------------------------


def test_history_show_report_feed_over_a_real_store(config_file: Path, mirror) -> None:
    invoke("check", "--config", str(config_file))
    mirror.set_day(2)
    invoke("check", "--config", str(config_file))

    history = json.loads(invoke("history", "--config", str(config_file), "--json").output)
    assert [(r["new"], r["changed"], r["removed"]) for r in history] == [(3, 1, 1), (32, 0, 0)]

    url = mirror.base_url + "/zwxx/tz/2024/art/2024/art_3751c23bf913548b6c3cf01fa1fb1527.html"
    shown = json.loads(invoke("show", url, "--config", str(config_file), "--json").output)
    assert [v["title"] for v in shown["versions"]] == [
        "关于印发《认证机构资质审批工作指南》的通知", "关于印发《认证机构资质审批工作指南》的通知（更正）"]
    text = invoke("show", url, "--config", str(config_file)).output
    assert "versions (2):" in text and "changed (title, body, " in text  # then the fields that moved
    assert "effective_date: 2024-06-01 → 2024-07-01" in text
    assert "{+（更正）+}" in text and "body (latest version):" in text and "特此更正" in text
    missing = invoke("show", "https://nowhere.invalid/x", "--config", str(config_file))
    assert missing.exit_code == 2 and "no announcement" in missing.output

    report = json.loads(invoke("report", "--since", "1d", "--config", str(config_file), "--json").output)
    assert (report["total"], report["kinds"]) == (5, {"new": 3, "changed": 1, "removed": 1})  # news, not the baseline
    with_baseline = json.loads(
        invoke("report", "--since", "1d", "--baseline", "--config", str(config_file), "--json").output)
    assert with_baseline["total"] == 37
    text_report = invoke("report", "--since", "2024-01-01", "--config", str(config_file), "--format", "markdown")
    assert text_report.exit_code == 0 and "|" in text_report.output
    bad = invoke("report", "--since", "last tuesday", "--config", str(config_file))
    assert bad.exit_code == 2 and "give 7d, 2w" in bad.output

    feed = feedparser.parse(invoke("feed", "--since", "1d", "--config", str(config_file)).output)
    assert feed.bozo == 0
    assert len(feed.entries) == 37
    assert any(t.term == "regulation" for e in feed.entries for t in e.get("tags", []))


def test_notify_posts_the_json_document_to_webhooks_after_a_2xx(tmp_path: Path, mirror, store_path: Path) -> None:
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    received: list[dict] = []
    answers = [500, 204]

    class Hook(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_POST(self) -> None:  # noqa: N802
            body = self.rfile.read(int(self.headers["Content-Length"]))
            status = answers.pop(0) if answers else 204
            if status < 300:
                received.append(json.loads(body))
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        hook_url = f"http://127.0.0.1:{server.server_address[1]}/hook"
        extra = (
            '[email]\nhost = "127.0.0.1"\nport = 9\nsecurity = "none"\nto = ["a@example.org"]\n'
            f'[[webhooks]]\nurl = "{hook_url}"\n'
        )
        config = write_config(tmp_path / "c.toml", mirror.base_url, store_path, extra)
        invoke("check", "--config", str(config))
        mirror.set_day(2)
        first = invoke("check", "--config", str(config), "--notify", "--json")
        assert first.exit_code == 4  # the SMTP port is closed and the webhook answered 500
        assert "webhook not delivered, 5 change(s) stay queued" in first.output
        assert received == []
        second = invoke("notify", "--config", str(config))  # email still fails; the webhook now takes it
        assert second.exit_code == 4
        assert len(received) == 1
        assert received[0]["schema_version"] == 1
        got = {(c["kind"], c["source"], c["url"].removeprefix(mirror.base_url), c["title"], c["date"])
               for c in received[0]["changes"]}
        assert got == DAY2_CHANGES
        invoke("notify", "--config", str(config))
        assert len(received) == 1, "a delivered change is not posted again"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_classify_stored_retags_the_store_and_keeps_the_old_tags(tmp_path: Path, mirror, store_path: Path) -> None:
    config = write_config(tmp_path / "c.toml", mirror.base_url, store_path)
    invoke("check", "--config", str(config))
    url = mirror.base_url + "/zwxx/tz/2024/art/2024/art_1c15a53e64662c884732d7f39d0378f2.html"  # 世界认可日
    before = json.loads(invoke("show", url, "--config", str(config), "--json").output)
    assert "benefit" in [a["id"] for a in before["versions"][-1]["areas"]]

    disabled = write_config(tmp_path / "d.toml", mirror.base_url, store_path, "[areas.benefit]\nenabled = false\n")
    result = invoke("classify", "--stored", "--config", str(disabled), "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["total"] == 32 and summary["changed"] >= 1

    after = json.loads(invoke("show", url, "--config", str(config), "--json").output)
    latest = after["versions"][-1]
    assert "benefit" not in [a["id"] for a in latest["areas"]]
    assert "benefit" in json.dumps(latest["previous_tags"], ensure_ascii=False)
    assert len(after["versions"]) == len(before["versions"]), "re-tagging is recorded, not a new version"


def test_delivery_flags_need_a_configured_channel(config_file: Path) -> None:
    email = invoke("check", "--config", str(config_file), "--email")
    assert email.exit_code == 2 and "--email needs an [email] table" in email.output
    notify = invoke("check", "--config", str(config_file), "--notify")
    assert notify.exit_code == 2 and "--notify needs an [email] table or [[webhooks]]" in notify.output


def test_an_internal_error_is_one_line_and_exit_70(config_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import cnca_watch.check_run as check_run  # where the command's run starts

    def broken(*args: object, **kwargs: object) -> None:
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(check_run, "check", broken)
    result = invoke("check", "--config", str(config_file))
    assert result.exit_code == 70
    assert "internal error: ZeroDivisionError: division by zero" in result.output
    assert "Traceback" not in result.output


def test_no_color_is_honoured_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    from io import StringIO

    from rich.console import Console

    from cnca_watch.models import Change, ChangeKind, RunResult, SourceResult, SourceStatus
    from cnca_watch.render.terminal import render_terminal

    result = RunResult(1, "2024-01-12T00:00:00Z", "2024-01-12T00:00:01Z",
                       (SourceResult("s", "http://x/", SourceStatus.ERROR, error="boom"),),
                       (Change(ChangeKind.NEW, "s", "http://x/1", "标题", "2024-01-12"),))
    monkeypatch.setenv("NO_COLOR", "1")
    out = StringIO()
    render_terminal(result, Console(file=out, force_terminal=True, width=100))
    assert "标题" in out.getvalue()
    assert not re.search(r"\x1b\[[0-9;]*3[0-7]m", out.getvalue()), "no colour codes under NO_COLOR"


def test_looking_back_rejects_what_cannot_match(config_file: Path, mirror, tmp_path: Path) -> None:
    invoke("check", "--config", str(config_file))
    mirror.set_day(2)
    second = json.loads(invoke("check", "--config", str(config_file), "--json").output)
    changed = next(c for c in second["changes"] if c["kind"] == "changed")

    # `show` takes the change id that --json prints, and URLs as a browser shows them
    by_id = json.loads(invoke("show", str(changed["id"]), "--config", str(config_file), "--json").output)
    assert by_id["url"] == changed["url"]
    by_url = json.loads(invoke("show", changed["url"] + "#top", "--config", str(config_file), "--json").output)
    assert by_url["url"] == changed["url"]
    assert invoke("show", "9" * 30, "--config", str(config_file)).exit_code == 2

    cases = [
        (["report", "--area", "regulations"], 2, "no task area 'regulations'"),
        (["report", "--source", "nope"], 2, "no source named 'nope' in the store"),
        (["report", "--since", "2024-06-18", "--until", "2024-01-01"], 2, "is not after --since"),
        (["report", "--since", "10000000d"], 2, "is not a period cnca-watch can use"),
        (["feed", "--since", "99999999999999999999d"], 2, "is not a period cnca-watch can use"),
    ]
    for args, code, message in cases:
        result = invoke(*args, "--config", str(config_file))
        assert (result.exit_code, message in result.output) == (code, True), (args, result.output)

    missing = tmp_path / "typo.db"
    for command in (["history"], ["report"], ["feed"], ["show", "1"], ["classify", "--stored"]):
        result = invoke(*command, "--config", str(config_file), "--store", str(missing))
        assert result.exit_code == 3 and "no store at" in result.output, command
    assert not missing.exists(), "a read-only command never creates a store"


def test_classify_and_eval_refuse_non_utf8_instead_of_garbling(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "cnca_watch", "classify", "--json"],
                          input="关于认证".encode("gb18030") + b"\n", capture_output=True, timeout=30)
    assert done.returncode == 2 and b"standard input is not UTF-8" in done.stderr
    bom = subprocess.run([sys.executable, "-m", "cnca_watch", "classify", "--json"],
                         input="\ufeff认证机构监督抽查\n".encode(), capture_output=True, timeout=30)
    assert json.loads(bom.stdout)["text"] == "认证机构监督抽查"
    tsv = tmp_path / "gbk.tsv"
    tsv.write_bytes("title\tareas\n认证\tregulation\n".encode("gb18030"))
    result = invoke("eval", str(tsv))
    assert result.exit_code == 2 and "not UTF-8 text" in result.output


def test_classify_text_output_is_inert() -> None:
    result = invoke("classify", "x\u202ey\x1b[31mq认证")
    assert result.exit_code == 0
    assert "\x1b[31m" not in result.output and "\u202e" not in result.output
