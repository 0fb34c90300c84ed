"""Attachment notes reach the analyst: a check that meets hostile files (an encrypted PDF, a
file over max_attachment_bytes) says so in its text and terminal output, in Markdown and HTML,
and in the email — not only in --json."""

from __future__ import annotations

import email
import email.policy
import os
from pathlib import Path

import attachment_files as files
from notify_helpers import running_smtp_server
from page_server import PageServer, Pages, one_announcement
from typer.testing import CliRunner

from cnca_watch.cli import app
from cnca_watch.clock import utc_now

TITLE = "关于发布强制性产品认证实施规则的公告"
TODAY = utc_now()[:10]
ENCRYPTED = "text not extracted: encrypted PDF"
OVERSIZED = "skipped: over max_attachment_bytes"


def site_pages(rules: bytes) -> Pages:
    links = {"/files/rules.pdf": "附件1：实施规则.pdf", "/files/scan.pdf": "附件2：扫描件.pdf"}
    return {
        **one_announcement(TITLE, TODAY, "现予以发布。", links),
        "/files/rules.pdf": (rules, {"Content-Type": "application/pdf"}),
        "/files/scan.pdf": (os.urandom(300_000), {"Content-Type": "application/pdf"}),
    }


def write_config(path: Path, site: PageServer, store: Path, extra: str = "") -> Path:
    path.write_text(
        f'[store]\npath = "{store}"\n\n'
        "[fetch]\nretries = 0\nread_timeout = 5.0\nmax_attachment_bytes = 200000\nrecheck_attachments_every_hours = 0\n\n"
        f'[[sources]]\nname = "site"\nurl = "{site.url("/list.html")}"\n\n{extra}',
        encoding="utf-8",
    )
    return path


def invoke(*args: str):  # type: ignore[no-untyped-def]
    # wide enough that rich does not wrap a note line in the middle of the words asserted on
    return CliRunner().invoke(app, list(args), catch_exceptions=False, env={"COLUMNS": "400"})


def test_text_terminal_markdown_and_html_show_the_notes_of_hostile_files(tmp_path: Path) -> None:
    with PageServer(site_pages(files.pdf((TITLE,), user_password="secret"))) as site:
        outputs = {}
        for fmt in ("text", "terminal", "markdown", "html"):
            config = write_config(tmp_path / f"{fmt}.toml", site, tmp_path / f"{fmt}.db")
            done = invoke("check", "--config", str(config), "--format", fmt)
            assert done.exit_code == 0, done.output
            outputs[fmt] = done.output
    outputs["markdown"] = outputs["markdown"].replace("\\", "")  # max\_attachment\_bytes is escaped there
    for fmt, output in outputs.items():
        assert f"/files/rules.pdf: {ENCRYPTED}" in output, fmt
        assert f"/files/scan.pdf: {OVERSIZED}" in output, fmt
    assert "attachment notes" in outputs["text"] and "Attachment notes" in outputs["terminal"]
    assert "## Attachment notes" in outputs["markdown"] and "<h2" in outputs["html"]


def test_the_email_of_a_run_that_met_a_hostile_replacement_shows_its_note(tmp_path: Path) -> None:
    with PageServer(site_pages(files.pdf((TITLE,)))) as site, running_smtp_server() as (controller, handler):
        extra = (
            f'[email]\nhost = "127.0.0.1"\nport = {controller.port}\nsecurity = "none"\n'
            'from = "watch@example.org"\nto = ["analyst@example.org"]\n'
        )
        config = write_config(tmp_path / "c.toml", site, tmp_path / "store.db", extra)
        assert invoke("check", "--config", str(config)).exit_code == 0  # the baseline
        site.pages["/files/rules.pdf"] = (files.pdf((TITLE, "修订"), user_password="secret"), {})
        sent = invoke("check", "--config", str(config), "--email", "--format", "text")
        assert sent.exit_code == 0, sent.output
    assert f"/files/rules.pdf: {ENCRYPTED}" in sent.output
    assert len(handler.envelopes) == 1
    message = email.message_from_bytes(handler.envelopes[0].content, policy=email.policy.default)
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "ATTACHMENT NOTES" in text and f"/files/rules.pdf: {ENCRYPTED}" in text
    assert f"/files/rules.pdf: {ENCRYPTED}" in html
    assert "file replaced under the same link" in text  # the change itself is not lost
