"""Property tests: whatever a page puts in a title or diff, the outputs stay inert and valid."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import feedparser
from hypothesis import HealthCheck, given, settings, strategies as st
from markdown_it import MarkdownIt

from cnca_watch.models import ChangeKind
from cnca_watch.render.atom import render_feed
from cnca_watch.render.html import render_changes as html_changes
from cnca_watch.render.markdown import render_changes as md_changes
from notify_helpers import ALLOWED_TAGS, changed_change, new_change, parse

URL = "https://www.cnca.gov.cn/zxtz/a.html"
FRAGMENTS = ["<script>", "</a>", "](javascript:alert(1))", "[x](", "<https://evil.example>", "```", "~~~",
             "]]>", "\x1b[31m", "\x1b]8;;http://e\x07", "\u202e", "\x00", "\r\n", "\n# h\n", "&lt;", "&#x3C;",
             "{+", "+}", "[-", "-]", "|", "*", "_", "\\", "'", '"', "<!--", "javascript:", "认证"]
titles = st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=8)), max_size=12).map("".join)
SETTINGS = settings(max_examples=60, deadline=2000, suppress_health_check=[HealthCheck.too_slow])
PARSER = MarkdownIt("commonmark").enable(["table", "strikethrough"])


@SETTINGS
@given(title=titles, diff=titles)
def test_markdown_has_exactly_the_intended_link_and_no_html(title, diff):
    changes = [new_change(title, url=URL), changed_change(title=title, diff=diff, url="javascript:alert(1)")]
    html = PARSER.render(md_changes(changes, []))
    assert re.findall(r'href="([^"]*)"', html) == [URL]
    assert not re.search(r"<(script|img|iframe|!--)", html)


@SETTINGS
@given(title=titles, diff=titles)
def test_html_has_only_our_tags_and_links(title, diff):
    changes = [new_change(title, url=URL), changed_change(title=title, diff=diff, url="javascript:alert(1)")]
    page = parse(html_changes(changes, []))
    assert set(page.tags) <= ALLOWED_TAGS
    assert page.hrefs == [URL]


@SETTINGS
@given(title=titles, diff=titles, source=titles)
def test_feed_is_always_valid_xml_and_atom(title, diff, source):
    changes = [new_change(title, url=URL, source=source or "s"),
               changed_change(title=title, diff=diff, kind=ChangeKind.CHANGED)]
    xml = render_feed(changes, title=title, feed_id="tag:cnca-watch,2024:feed", updated="2024-01-01T00:00:00Z")
    ET.fromstring(xml.encode("utf-8"))
    parsed = feedparser.parse(xml)
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    assert len(parsed.entries) == 2
