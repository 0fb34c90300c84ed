"""render/report.py: counts on hand-written changes and every output format."""

from __future__ import annotations

import io
import json

import pytest
from rich.console import Console

from cnca_watch.models import AreaTag
from cnca_watch.render.report import (
    bar, build_report, report_html, report_json, report_markdown, report_rich, report_text)
from notify_helpers import GOING_GLOBAL, HOSTILE_TITLE, REGULATION, UNIFIED, changed_change, new_change, removed_change

CUSTOM = AreaTag("pilot-zones", "Pilot zones", "试点", 1.0)


def sample():
    return [
        new_change(detected_at="2024-01-12T07:00:00Z"),  # unified + regulation, cnca
        new_change(areas=(GOING_GLOBAL,), detected_at="2024-01-20T07:00:00Z", date="2023-12-30", id=4),
        changed_change(detected_at="2024-03-02T07:00:00Z"),  # regulation, samr
        removed_change(),  # no area, cnca, 2024-03-01
        new_change(areas=(CUSTOM, UNIFIED), source="samr-notices", detected_at="2024-03-05T07:00:00Z", date=None, id=5),
    ]


def test_counts_per_kind_area_source_and_month():
    report = build_report(sample(), since="2024-01-01", until="2024-03-31", by="detected")
    assert report.total == 5
    assert dict(report.kinds) == {"new": 3, "changed": 1, "removed": 1}
    areas = {a.area_id: a.count for a in report.areas}
    assert areas == {"unified-management": 2, "going-global": 1, "serving-development": 0, "regulation": 2,
                     "capabilities": 0, "benefit": 0, "pilot-zones": 1, "": 1}
    assert [a.area_id for a in report.areas][:6] == ["unified-management", "going-global", "serving-development",
                                                     "regulation", "capabilities", "benefit"]
    assert report.areas[-1].area_id == ""  # "No task area" last
    assert report.sources == (("cnca-notices", 3), ("samr-notices", 2))
    assert report.months == (("2024-01", 2), ("2024-02", 0), ("2024-03", 3))
    groups = [(g.area_id, [(s.source, len(s.changes)) for s in g.sources]) for g in report.groups]
    assert groups == [("unified-management", [("cnca-notices", 1)]), ("going-global", [("cnca-notices", 1)]),
                      ("regulation", [("samr-notices", 1)]), ("pilot-zones", [("samr-notices", 1)]),
                      ("", [("cnca-notices", 1)])]


def test_months_by_publication_date_put_undated_last():
    report = build_report(sample(), since="2023-12-01", until=None, by="published")
    assert report.months == (("2023-12", 2), ("2024-01", 1), ("2024-02", 1), ("undated", 1))


def test_unknown_basis_is_rejected():
    with pytest.raises(ValueError):
        build_report([], since="x", until=None, by="whenever")


def test_empty_report():
    report = build_report([], since="2024-01-01", until=None, by="detected")
    assert report.total == 0 and report.months == () and report.groups == ()
    assert "0 changes" in report_text(report)
    assert all(a.count == 0 for a in report.areas) and len(report.areas) == 6


def test_bar_lengths():
    assert bar(0, 10) == "" and bar(10, 10) == "█" * 30 and bar(5, 10) == "█" * 15
    assert bar(1, 1000) == "▏"


def test_text_markdown_html_json_agree():
    changes = sample() + [new_change(HOSTILE_TITLE, areas=(REGULATION,), id=20, detected_at="2024-03-09T00:00:00Z")]
    report = build_report(changes, since="2024-01-01", until="2024-03-31", by="detected")
    text = report_text(report)
    assert "Improving regulation 提升监管效能" in text and "2024-03" in text and "█" in text
    assert "\x1b" not in text and "\u202e" not in text and "\x00" not in text
    markdown = report_markdown(report)
    assert "| Improving regulation 提升监管效能 | 3 |" in markdown
    assert "\\<script\\>" in markdown
    html = report_html(report)
    assert "<script>" not in html and "&lt;script&gt;" in html
    document = report_json(report)
    json.dumps(document, ensure_ascii=False)
    assert document["total"] == 6 and document["kinds"]["new"] == 4
    assert {a["id"]: a["count"] for a in document["areas"]}["regulation"] == 3
    assert document["groups"][0]["sources"][0]["changes"][0]["url"].startswith("https://")


def test_rich_output_is_inert_and_has_a_bar_chart():
    changes = sample() + [new_change(HOSTILE_TITLE, id=21)]
    report = build_report(changes, since="2024-01-01", until=None, by="detected")
    buffer = io.StringIO()
    console = Console(file=buffer, width=120, force_terminal=True, color_system="truecolor")
    report_rich(report, console)
    out = buffer.getvalue()
    assert "[bold red]警告[/bold red]" in out  # markup shown, not applied
    assert "\u202e" not in out and "\x00" not in out
    assert "\x1b[31m" not in out  # the title's own escape sequence is gone (rich's styling may remain)
    assert "█" in out and "By month" in out
