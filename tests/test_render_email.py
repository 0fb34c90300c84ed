"""render/email.py: the message as composed (delivery is tested in test_notify.py)."""

from __future__ import annotations

import email
import email.policy

from cnca_watch.render.email import compose_email, subject_line
from cnca_watch.settings import EmailSettings
from notify_helpers import HOSTILE_TITLE, changed_change, failed_source, new_change, removed_change

SETTINGS = EmailSettings(host="127.0.0.1", sender="cnca-watch <watch@example.org>", to=("a@example.org",))


def roundtrip(message):
    return email.message_from_bytes(bytes(message), policy=email.policy.default)


def test_subject_summary_counts_and_date():
    message = compose_email([new_change(), new_change(id=2), changed_change(), removed_change()],
                            [failed_source(), failed_source()], SETTINGS, today="2024-01-12")
    assert roundtrip(message)["Subject"] == "cnca-watch: 2 new, 1 changed, 1 removed, 2 sources failed — 2024-01-12"


def test_subject_template_with_chinese_is_rfc2047_encoded():
    settings = EmailSettings(host="h", to=("a@example.org",), subject="认证认可动态 {date}: {summary}")
    message = compose_email([new_change()], [], settings, today="2024-01-12")
    raw = bytes(message)
    assert raw.isascii()
    assert roundtrip(message)["Subject"] == "认证认可动态 2024-01-12: 1 new"


def test_a_broken_template_does_not_crash():
    assert subject_line("{oops} {summary}", summary_text="1 new", today="2024-01-12") == "{oops} 1 new"
    assert subject_line("\r\n", summary_text="1 new", today="d") == "cnca-watch: 1 new"


def test_header_injection_through_the_subject_is_impossible():
    settings = EmailSettings(host="h", to=("a@example.org",), subject="{summary} " + HOSTILE_TITLE)
    received = roundtrip(compose_email([new_change(HOSTILE_TITLE)], [], settings, today="2024-01-12"))
    assert received["Bcc"] is None
    assert "\n" not in received["Subject"] and "\x1b" not in received["Subject"]


def test_parts_and_grouping():
    received = roundtrip(compose_email([removed_change(), changed_change(), new_change()], [failed_source()],
                                       SETTINGS, today="2024-01-12"))
    assert received.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in received.iter_parts()] == ["text/plain", "text/html"]
    assert all(p.get_content_charset() == "utf-8" for p in received.iter_parts())
    text = received.get_body(("plain",)).get_content()
    assert text.index("SOURCES THAT FAILED") < text.index("== Unified management") < text.index("== Improving regulation") < text.index("== No task area")
    assert "Unified mgmt 统一管理, Regulation 监管" in text and "2024-01-12" in text
    assert received["Message-ID"].endswith("@example.org>")
    assert received["Auto-Submitted"] == "auto-generated"


def test_hostile_title_in_the_body_is_inert():
    received = roundtrip(compose_email([new_change(HOSTILE_TITLE, url="javascript:alert(1)")], [], SETTINGS, today="d"))
    text = received.get_body(("plain",)).get_content()
    html = received.get_body(("html",)).get_content()
    for body in (text, html):
        assert "\x1b" not in body and "\x00" not in body and "\u202e" not in body
    assert "<script>" not in html and "&lt;script&gt;" in html and 'href="javascript' not in html
