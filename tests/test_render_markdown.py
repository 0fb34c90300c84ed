"""render/markdown.py: structure, grouping and inert hostile titles (checked with a CommonMark parser)."""

from __future__ import annotations

import re

from markdown_it import MarkdownIt

from cnca_watch.render.markdown import code_fence, md_escape, md_link, render_changes, render_run
from notify_helpers import HOSTILE_TITLE, changed_change, failed_source, new_change, removed_change, run_result, GOING_GLOBAL

PARSER = MarkdownIt("commonmark").enable(["table", "strikethrough"])


def as_html(markdown: str) -> str:
    return PARSER.render(markdown)


def test_run_document_has_failed_sources_first_then_areas_in_official_order():
    changes = (removed_change(), changed_change(), new_change(areas=(GOING_GLOBAL,), id=5), new_change())
    text = render_run(run_result(changes))
    failed = text.index("## Sources that failed")
    unified = text.index("## Unified management")
    going = text.index("## Going global")
    regulation = text.index("## Improving regulation")
    none = text.index("## No task area")
    assert failed < unified < going < regulation < none
    # a hyphen inside a line means nothing in Markdown (the name is written as is); brackets do
    assert "\n- samr-bulletins \\(blocked\\): blocked by anti-bot challenge at " in text
    assert "<li>samr-bulletins (blocked): blocked by anti-bot challenge" in as_html(text)
    assert "HTTP 521" in text
    assert "2 new, 1 changed, 1 removed, 1 source failed" in text


def test_changes_are_linked_dated_tagged_and_diffed():
    text = render_changes([changed_change()], [])
    html = as_html(text)
    assert '<a href="https://www.samr.gov.cn/zw/zfxxgk/fdzdgknr/art/2024/art_2.html">关于开展2024年认证有效性抽查的通知</a>' in html
    assert "2024-02-03" in html and "Regulation 监管" in html
    assert "抽查[-50-]{+60+}家认证机构" in html  # the diff, verbatim inside a code block
    assert "<code" in html


def test_hostile_title_renders_as_plain_text():
    text = render_changes([new_change(HOSTILE_TITLE, url="javascript:alert(1)")], [])
    html = as_html(text)
    assert "\x1b" not in text and "\x00" not in text and "\u202e" not in text
    assert "<script" not in html and "javascript:" not in re.findall(r'href="([^"]*)"', html).__str__()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "[bold red]警告[/bold red]" in html
    assert "[click](javascript:alert(1))" in html  # shown as text, not a link
    assert "<a " not in html
    assert "Bcc: evil@x" in html and "\nBcc" not in text


def test_a_title_cannot_close_the_link_or_add_one():
    title = "前](https://evil.example/) [x](javascript:alert(1)) <https://evil.example>"
    html = as_html(md_link(title, "https://www.cnca.gov.cn/a.html"))
    assert re.findall(r'href="([^"]*)"', html) == ["https://www.cnca.gov.cn/a.html"]


def test_a_url_cannot_break_out_of_its_destination():
    html = as_html(md_link("标题", "https://x.cn/a)> [y](javascript:alert(1))"))
    hrefs = re.findall(r'href="([^"]*)"', html)
    assert len(hrefs) == 1 and hrefs[0].startswith("https://x.cn/a%29%3E")


def test_line_start_markers_are_escaped():
    for text in ("# heading", "- item", "+ item", "1. item", "> quote", "===", "    code"):
        html = as_html(md_escape(text))
        assert html.startswith("<p>"), (text, html)


def test_code_fence_cannot_be_closed_from_inside():
    fenced = code_fence("a\n```\n<script>x</script>\n````\nb")
    html = as_html(fenced)
    assert html.count("<pre>") == 1 and "<script>" not in html and "&lt;script&gt;" in html


def test_no_changes_says_so():
    text = render_changes([], [failed_source()])
    assert "No changes." in text and "## Sources that failed" in text
