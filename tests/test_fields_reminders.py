"""Reminders 7 days and 1 day before a deadline, and the "coming up" section, through the
delivered-after-acceptance outbox: sent once, repeated after a refusal, never twice.
Real SMTP (aiosmtpd on 127.0.0.1), a real store filled from the mirror."""

from __future__ import annotations

import email
import email.policy
from dataclasses import replace
from pathlib import Path

import pytest

from cnca_watch.delivery import deliver_pending
from cnca_watch.operations import ReportQuery, build_period_report
from cnca_watch.render.report import report_json, report_text
from cnca_watch.settings import EmailSettings
from mirror_helpers import make_config, run_and_ack
from notify_helpers import running_smtp_server

GUIDE_TITLE = "关于印发《认证机构资质审批工作指南》的通知（更正）"  # in force 2024-07-01 after day 2


@pytest.fixture
def store_after_day2(mirror, tmp_path: Path):  # type: ignore[no-untyped-def]
    config = make_config(mirror.base_url, tmp_path / "store.db")
    run_and_ack(config)
    mirror.set_day(2)
    run_and_ack(config)
    return config


def with_email(config, port: int):  # type: ignore[no-untyped-def]
    settings = EmailSettings(host="127.0.0.1", port=port, security="none", sender="watch@example.org",
                             to=("analyst@example.org",), timeout=5.0)
    return replace(config, email=settings)


def body_of(envelope) -> str:  # type: ignore[no-untyped-def]
    message = email.message_from_bytes(envelope.content, policy=email.policy.default)
    return message.get_body(("plain",)).get_content()


def test_a_reminder_goes_out_once_a_week_before_and_once_the_day_before(store_after_day2) -> None:  # type: ignore[no-untyped-def]
    with running_smtp_server() as (controller, collector):
        config = with_email(store_after_day2, controller.port)
        assert deliver_pending(config, email=True, webhooks=False, today="2024-06-24") == []
        assert len(collector.envelopes) == 1
        week = body_of(collector.envelopes[0])
        assert "REMINDERS" in week and f"2024-07-01 (in 7 days)  takes effect: {GUIDE_TITLE}" in week
        assert "COMING UP (next 7 days)" in week
        # the same day again, and the next: nothing new to remind of
        deliver_pending(config, email=True, webhooks=False, today="2024-06-24")
        deliver_pending(config, email=True, webhooks=False, today="2024-06-25")
        assert len(collector.envelopes) == 1
        deliver_pending(config, email=True, webhooks=False, today="2024-06-30")
        assert len(collector.envelopes) == 2
        assert f"2024-07-01 (tomorrow)  takes effect: {GUIDE_TITLE}" in body_of(collector.envelopes[1])
        deliver_pending(config, email=True, webhooks=False, today="2024-06-30")
        assert len(collector.envelopes) == 2


def test_a_refused_reminder_is_not_lost(store_after_day2) -> None:  # type: ignore[no-untyped-def]
    with running_smtp_server(refuse="550 mailbox unavailable") as (controller, collector):
        config = with_email(store_after_day2, controller.port)
        problems = deliver_pending(config, email=True, webhooks=False, today="2024-06-24")
        assert len(problems) == 1 and "reminder(s) stay queued" in problems[0]
        assert collector.envelopes == []
    with running_smtp_server() as (controller, collector):
        config = with_email(store_after_day2, controller.port)
        assert deliver_pending(config, email=True, webhooks=False, today="2024-06-26") == []
        assert len(collector.envelopes) == 1
        assert f"2024-07-01 (in 5 days)  takes effect: {GUIDE_TITLE}" in body_of(collector.envelopes[0])


def test_the_report_has_a_coming_up_section(store_after_day2) -> None:  # type: ignore[no-untyped-def]
    report = build_period_report(store_after_day2, ReportQuery(since="3650d"), today="2024-06-28")
    assert report.coming_up is not None
    assert [(d.date, d.field) for d in report.coming_up.deadlines if d.title == GUIDE_TITLE] == [
        ("2024-07-01", "effective_date")
    ]
    assert "COMING UP (next 7 days)" in report_text(report)
    assert any(d["title"] == GUIDE_TITLE for d in report_json(report)["coming_up"])
    later = build_period_report(store_after_day2, ReportQuery(since="3650d"), today="2024-07-02")
    assert later.coming_up is not None and not [d for d in later.coming_up.deadlines if d.title == GUIDE_TITLE]


def test_the_email_shows_the_fields_line_and_with_language_en_the_gloss() -> None:
    from cnca_watch.fields import Fields
    from cnca_watch.render.common import OUTPUT_LANGUAGE
    from cnca_watch.render.email import compose_email
    from notify_helpers import new_change

    fields = Fields(doc_number="市场监管总局公告2024年第3号", doc_type="call-for-comments",
                    issuers=("市场监管总局",), comment_deadline="2024-02-12")
    change = replace(new_change(), fields=fields)
    settings = EmailSettings(host="127.0.0.1", sender="watch@example.org", to=("analyst@example.org",))
    text = compose_email([change], [], settings, today="2024-01-12").get_body(("plain",)).get_content()
    line = "call-for-comments · 市场监管总局 · 市场监管总局公告2024年第3号 · comments until 2024-02-12"
    assert line in text and "SAMR" not in text
    token = OUTPUT_LANGUAGE.set("en")
    try:
        english = compose_email([change], [], settings, today="2024-01-12").get_body(("plain",)).get_content()
    finally:
        OUTPUT_LANGUAGE.reset(token)
    assert line in english and "SAMR · call for comments (until 2024-02-12)" in english
