"""render/html.py: a well-formed page, diffs as <del>/<ins>, hostile text inert."""

from __future__ import annotations

from cnca_watch.render.html import diff_html, link, render_changes, render_run
from notify_helpers import (
    ALLOWED_TAGS, HOSTILE_TITLE, changed_change, failed_source, new_change, parse, removed_change, run_result)


def test_run_page_structure_and_links():
    html = render_run(run_result((new_change(), changed_change(), removed_change())))
    page = parse(html)
    assert html.startswith("<!DOCTYPE html>") and '<meta charset="utf-8">' in html
    assert set(page.tags) <= ALLOWED_TAGS
    assert "https://www.cnca.gov.cn/zxtz/2024/art/2024/art_1.html" in page.hrefs
    assert all(h.startswith(("http://", "https://")) for h in page.hrefs)
    text = "".join(page.text)
    assert text.index("Sources that failed") < text.index("Unified management") < text.index("No task area")
    assert "Unified mgmt 统一管理" in text and "Regulation 监管" in text
    assert page.dels == ["50"] and page.ins == ["60"]


def test_diff_markers_become_del_and_ins_with_escaped_content():
    html = diff_html("正文[-<b>旧</b>-]{+<script>新</script>+}\n下一行")
    assert "<del" in html and "<ins" in html and "<script>" not in html
    assert "&lt;script&gt;新&lt;/script&gt;" in html and "<br>" in html


def test_hostile_title_is_inert():
    html = render_changes([new_change(HOSTILE_TITLE, url="javascript:alert(1)")], [failed_source()])
    page = parse(html)
    assert set(page.tags) <= ALLOWED_TAGS
    assert "script" not in page.tags
    assert not any("javascript" in h for h in page.hrefs)
    assert "\x1b" not in html and "\x00" not in html and "\u202e" not in html
    text = "".join(page.text)
    assert "<script>alert(1)</script>" in text and "[bold red]警告[/bold red]" in text


def test_quotes_in_urls_and_titles_cannot_escape_attributes():
    html = link('"><img src=x onerror=alert(1)>', 'https://x.cn/"onmouseover="alert(1)')
    page = parse(html)
    assert page.tags == ["a"]
    assert page.hrefs == ["https://x.cn/%22onmouseover=%22alert%281%29"]
