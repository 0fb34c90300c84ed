"""Issue 11 end to end on the bundled mirror: fields stored per version, the day-2
correction seen as a moved effective date, `upcoming` (text, JSON, RFC 5545 calendar),
`fields` / `eval-fields` on the command line, and --lang en under every title."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cnca_watch.cli import app
from cnca_watch.models import ChangeKind
from cnca_watch.operations import upcoming_dates
from cnca_watch.render import OutputFormat, RenderOptions, render
from mirror_helpers import TZ, make_config, run_and_ack, write_config

GUIDE = TZ + "art_3751c23bf913548b6c3cf01fa1fb1527.html"  # 认证机构资质审批工作指南, corrected on day 2
runner = CliRunner()


def invoke(*args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, list(args), catch_exceptions=False)


@pytest.fixture
def two_days(mirror, tmp_path: Path):  # type: ignore[no-untyped-def]
    store = tmp_path / "store.db"
    config = make_config(mirror.base_url, store)
    first = run_and_ack(config)
    mirror.set_day(2)
    second = run_and_ack(config)
    return config, mirror, first, second, write_config(tmp_path / "c.toml", mirror.base_url, store)


def test_fields_are_stored_per_version_and_a_moved_date_is_a_change(two_days) -> None:  # type: ignore[no-untyped-def]
    config, mirror, first, second, _ = two_days
    day1 = next(c for c in first.changes if c.url == mirror.base_url + GUIDE)
    assert day1.fields is not None and day1.fields.effective_date == "2024-06-01"
    corrected = next(c for c in second.changes if c.url == mirror.base_url + GUIDE)
    assert corrected.kind is ChangeKind.CHANGED
    assert "effective_date" in corrected.fields_changed
    # the correction note after the signature is not a new signer (it used to empty issuers)
    assert "issuers" not in corrected.fields_changed
    assert corrected.fields is not None and corrected.fields.issuers == ("国家认监委秘书处",)
    assert "effective_date: 2024-06-01 → 2024-07-01" in corrected.diff.splitlines()
    with sqlite3.connect(config.store_path) as conn:
        stored = [
            json.loads(text)["effective_date"]
            for (text,) in conn.execute(
                "SELECT v.fields_json FROM versions v JOIN announcements a ON a.id = v.announcement_id"
                " WHERE a.url = ? ORDER BY v.id",
                (mirror.base_url + GUIDE,),
            )
        ]
        unread = conn.execute("SELECT COUNT(*) FROM versions WHERE fields_json IS NULL").fetchone()[0]
    assert stored == ["2024-06-01", "2024-07-01"]
    assert unread == 0


def test_a_steady_run_reads_no_fields(two_days, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    config, *_ = two_days
    import cnca_watch.fields as fields_module

    calls: list[str] = []
    real = fields_module.extract_fields
    monkeypatch.setattr(fields_module, "extract_fields", lambda *a, **k: calls.append("x") or real(*a, **k))
    result = run_and_ack(config)
    assert result.changes == ()
    assert calls == []


def test_upcoming_lists_the_corrected_date_soonest_first(two_days) -> None:  # type: ignore[no-untyped-def]
    config, mirror, *_ = two_days
    upcoming = upcoming_dates(config, start="2024-06-18", days=30)
    dates = [d.date for d in upcoming.deadlines]
    assert dates == sorted(dates)
    guide = [d for d in upcoming.deadlines if d.url == mirror.base_url + GUIDE]
    assert [(d.field, d.date, d.days_left, d.sequence) for d in guide] == [("effective_date", "2024-07-01", 13, 1)]
    # the old date is gone: nothing for 2024-06-01 from this announcement
    before = upcoming_dates(config, start="2024-05-25", days=10)
    assert not [d for d in before.deadlines if d.url == mirror.base_url + GUIDE]


def test_upcoming_ics_parses_back_with_stable_uids(two_days) -> None:  # type: ignore[no-untyped-def]
    from icalendar import Calendar

    config, mirror, *_ = two_days
    result = invoke("upcoming", "--config", str(two_days[4]), "--from", "2024-06-18", "--format", "ics")
    assert result.exit_code == 0, result.output
    calendar = Calendar.from_ical(result.output)
    events = [c for c in calendar.walk("VEVENT")]
    guide = [e for e in events if str(e["URL"]) == mirror.base_url + GUIDE]
    assert len(guide) == 1
    event = guide[0]
    assert event.decoded("DTSTART").isoformat() == "2024-07-01"
    assert int(event["SEQUENCE"]) == 1  # the date moved once: calendars replace the old event
    assert "LAST-MODIFIED" in event
    again = Calendar.from_ical(
        invoke("upcoming", "--config", str(two_days[4]), "--from", "2024-06-20", "--format", "ics").output
    )
    assert {str(e["UID"]) for e in again.walk("VEVENT") if str(e["URL"]) == mirror.base_url + GUIDE} == {str(event["UID"])}


def test_upcoming_json_and_text(two_days) -> None:  # type: ignore[no-untyped-def]
    config, mirror, *_ = two_days
    cfg = str(two_days[4])
    document = json.loads(invoke("upcoming", "--config", cfg, "--from", "2024-06-18", "--json").output)
    assert document["start"] == "2024-06-18" and document["days"] == 30
    assert any(d["url"] == mirror.base_url + GUIDE and d["date"] == "2024-07-01" for d in document["deadlines"])
    text = invoke("upcoming", "--config", cfg, "--from", "2024-06-18", "--format", "text", "--lang", "en").output
    assert "2024-07-01  takes effect (moved 1×), in 13 day(s)" in text
    assert "关于印发《认证机构资质审批工作指南》的通知（更正）" in text
    assert "in force 2024-07-01" in text  # the English gloss line
    other = invoke("upcoming", "--config", cfg, "--from", "2024-06-18", "--source", "samr-certification", "--json")
    assert all(d["source"] == "samr-certification" for d in json.loads(other.output)["deadlines"])
    bad = invoke("upcoming", "--config", cfg, "--from", "June")
    assert bad.exit_code == 2 and "--from 'June'" in bad.output


def test_every_check_output_shows_the_fields_and_the_english_gloss(two_days) -> None:  # type: ignore[no-untyped-def]
    import io

    _, mirror, _, second, _ = two_days
    for fmt in (OutputFormat.terminal, OutputFormat.text, OutputFormat.markdown, OutputFormat.html):
        stream = io.StringIO()
        render("check", fmt, second, RenderOptions(stream=stream, language="en"))
        shown = stream.getvalue()
        assert "correction" in shown and "in force 2024-07-01" in shown, fmt
        assert "CNCA" in shown, fmt  # the English gloss names the issuer
        chinese_only = io.StringIO()
        render("check", fmt, second, RenderOptions(stream=chinese_only))
        assert "in force 2024-07-01" in chinese_only.getvalue()  # the fields line
        assert " · CNCA" not in chinese_only.getvalue() and "CNCA ·" not in chinese_only.getvalue(), fmt


def test_fields_command_reads_text_and_json_lines() -> None:
    shown = invoke("fields", "市场监管总局关于公开征求意见的通知\n意见反馈截止日期为2024年10月26日。")
    assert "comment_deadline: 2024-10-26" in shown.output
    lines = "\n".join(
        json.dumps(r, ensure_ascii=False)
        for r in (
            {"title": "关于施行的公告", "body": "本办法自二〇二四年七月一日起施行。", "date": "2024-05-01"},
            {"title": "新闻", "body": "", "date": None},
        )
    )
    result = runner.invoke(app, ["fields", "--json"], input=lines + "\n")
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert [r["effective_date"] for r in rows] == ["2024-07-01", None]
    assert all(set(r) == {"doc_number", "doc_type", "issuers", "effective_date", "transition_end",
                          "comment_deadline", "references"} for r in rows)
    bad = runner.invoke(app, ["fields", "--json"], input='{"title": "x", "date": "July"}\n')
    assert bad.exit_code == 2 and "line 1" in bad.output and "Traceback" not in bad.output


def test_lang_must_be_en_or_zh() -> None:
    result = invoke("fields", "标题", "--lang", "fr")
    assert result.exit_code == 2 and "--lang fr" in result.output


def test_config_language_and_glossary_reach_report_and_feed(mirror, tmp_path: Path) -> None:
    store = tmp_path / "store.db"
    run_and_ack(make_config(mirror.base_url, store))
    mirror.set_day(2)
    run_and_ack(make_config(mirror.base_url, store))
    plain = write_config(tmp_path / "plain.toml", mirror.base_url, store)
    english = write_config(
        tmp_path / "en.toml", mirror.base_url, store,
        extra='[output]\nlanguage = "en"\n[glossary]\n"认证机构资质审批" = "QUALIFICATION SIGN-OFF"\n',
    )
    report = invoke("report", "--since", "3650d", "--format", "text", "--config", str(english)).output
    assert "QUALIFICATION SIGN-OFF" in report  # the config's glossary term, in the gloss
    zh = invoke("report", "--since", "3650d", "--format", "text", "--config", str(plain)).output
    assert "QUALIFICATION SIGN-OFF" not in zh and "in force 2024-07-01" in zh
    feed = invoke("feed", "--since", "3650d", "--config", str(plain), "--lang", "en").output
    assert "CNCA" in feed and "in force 2024-07-01" in feed
    assert "QUALIFICATION" not in invoke("feed", "--since", "3650d", "--config", str(plain)).output
    bad = write_config(tmp_path / "bad.toml", mirror.base_url, store, extra='[output]\nlanguage = "fr"\n')
    refused = invoke("report", "--since", "3650d", "--config", str(bad))
    assert refused.exit_code != 0 and '[output] language = "fr"' in refused.output


def test_upcoming_refuses_an_unknown_area_and_negative_days(two_days) -> None:  # type: ignore[no-untyped-def]
    cfg = str(two_days[4])
    unknown = invoke("upcoming", "--config", cfg, "--area", "nope")
    assert unknown.exit_code == 2 and "no task area 'nope'" in unknown.output
    negative = invoke("upcoming", "--config", cfg, "--days", "-1")
    assert negative.exit_code == 2 and "--days -1" in negative.output
    regulation = json.loads(invoke("upcoming", "--config", cfg, "--from", "2024-06-01", "--days", "60",
                                   "--area", "unified-management", "--json").output)
    assert regulation["deadlines"] and all("unified-management" in d["areas"] for d in regulation["deadlines"])


def test_with_details_off_a_changed_list_row_is_read_again(mirror, tmp_path: Path) -> None:
    from dataclasses import replace

    config = make_config(mirror.base_url, tmp_path / "store.db")
    config = replace(config, sources=tuple(replace(s, details=False) for s in config.sources))
    run_and_ack(config)
    mirror.set_day(2)
    corrected = next(c for c in run_and_ack(config).changes if c.url == mirror.base_url + GUIDE)
    assert corrected.fields is not None and corrected.fields.doc_type == "correction"  # from the new title
    assert "doc_type" in corrected.fields_changed
