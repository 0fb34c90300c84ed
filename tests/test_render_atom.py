"""render/atom.py: valid Atom 1.0, checked with feedparser and a strict XML parser."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import feedparser

from cnca_watch.render.atom import change_entry_id, render_feed
from notify_helpers import HOSTILE_TITLE, changed_change, new_change, removed_change

UPDATED = "2024-03-01T08:00:00Z"


def feed_of(changes):
    return render_feed(changes, title="cnca-watch: CNCA/SAMR 认证认可动态", feed_id="tag:cnca-watch,2024:feed/test", updated=UPDATED)


def test_feed_parses_cleanly_with_entries_links_and_categories():
    xml = feed_of([new_change(), changed_change(), removed_change()])
    parsed = feedparser.parse(xml)
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    assert parsed.feed.title == "cnca-watch: CNCA/SAMR 认证认可动态"
    assert len(parsed.entries) == 3
    by_title = {e.title: e for e in parsed.entries}
    entry = by_title["New: 市场监管总局 国家认监委关于电动自行车用锂离子蓄电池实施强制性产品认证管理的公告"]
    assert entry.link == "https://www.cnca.gov.cn/zxtz/2024/art/2024/art_1.html"
    assert [(t.term, t.label) for t in entry.tags] == [
        ("unified-management", "Unified mgmt 统一管理"), ("regulation", "Regulation 监管")]
    assert entry.updated == "2024-01-12T07:00:00Z"
    assert entry.published.startswith("2024-01-12")
    changed = by_title["Changed: 关于开展2024年认证有效性抽查的通知"]
    assert "<del" in changed.summary and "<ins" in changed.summary and "60" in changed.summary
    # newest detection first
    assert [e.title.split(":")[0] for e in parsed.entries] == ["Removed", "Changed", "New"]


def test_entry_ids_are_stable_and_distinct():
    a, b = new_change(), changed_change()
    assert change_entry_id(a) == change_entry_id(new_change())
    assert change_entry_id(a) != change_entry_id(b)
    ids = [e.id for e in feedparser.parse(feed_of([a, b])).entries]
    assert sorted(ids) == sorted([change_entry_id(a), change_entry_id(b)])
    assert all(i.startswith("tag:cnca-watch,2024:change/") for i in ids)


def test_hostile_titles_keep_the_feed_valid():
    changes = [
        new_change(HOSTILE_TITLE, url="https://www.cnca.gov.cn/h.html", id=10),
        new_change("]]><entry><title>injected</title></entry>\x0b\x01\ufffe", url="javascript:alert(1)", id=11),
        changed_change(diff="旧[-<script>alert(1)</script>\x00-]{+新]]>\x1b[2J+}", title="\u202etxt.exe"),
    ]
    xml = feed_of(changes)
    ET.fromstring(xml.encode("utf-8"))  # strict XML 1.0: raises on any illegal character
    parsed = feedparser.parse(xml)
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    assert len(parsed.entries) == 3
    titles = [e.title for e in parsed.entries]
    assert any("<script>alert(1)</script>" in t and "[bold red]" in t for t in titles)
    assert any("]]><entry><title>injected</title></entry>" in t for t in titles)
    for entry in parsed.entries:
        assert "\x1b" not in entry.title and "\u202e" not in entry.title and "\x00" not in entry.title
    injected = next(e for e in parsed.entries if "injected" in e.title)
    assert "link" not in injected or not injected.link.startswith("javascript")
    assert all(not l.href.startswith("javascript") for e in parsed.entries for l in e.get("links", []))


ATOM = "{http://www.w3.org/2005/Atom}"


def summaries(xml: str) -> list[str]:
    """Each entry's summary as the feed carries it (HTML as text), read with a strict XML
    parser that sanitises nothing — unlike feedparser, which drops <script> by itself."""
    root = ET.fromstring(xml.encode("utf-8"))
    return [entry.findtext(f"{ATOM}summary") or "" for entry in root.iter(f"{ATOM}entry")]


def test_a_script_in_a_diff_reaches_the_summary_html_as_text_never_as_a_tag():
    xml = feed_of([changed_change(diff="旧[-<script>alert(1)</script>-]{+新+}")])
    assert "<script" not in xml
    (summary,) = summaries(xml)
    assert "<script" not in summary
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in summary


def test_the_source_name_is_escaped_in_the_summary_html():
    xml = feed_of([new_change(source='<img src=x onerror="alert(1)">&co')])
    (summary,) = summaries(xml)
    assert summary.startswith("<p>Source: &lt;img src=x onerror=&quot;alert(1)&quot;&gt;&amp;co</p>")
    assert "<img" not in summary


def test_empty_feed_is_valid():
    parsed = feedparser.parse(feed_of([]))
    assert parsed.bozo == 0 and parsed.entries == [] and parsed.feed.updated == UPDATED
