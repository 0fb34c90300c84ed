"""render/safe.py: untrusted text made inert, URLs made safe to link."""

from __future__ import annotations

import re

from hypothesis import given, settings, strategies as st

from cnca_watch.render.safe import clean_text, http_url, one_line

DANGEROUS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def test_ansi_csi_osc_and_c1_sequences_are_removed():
    text = "\x1b[1;31m红\x1b[0m \x1b]8;;http://evil\x07链接\x1b]8;;\x1b\\ \x1b]0;title\x9c\x9b2J清屏 \x1bc复位"
    assert clean_text(text) == "红 链接 清屏 复位"


def test_bidi_controls_nul_and_del_are_removed():
    assert clean_text("a\u202eb\u2066c\u2069\u200e\u200f\u061cd\x00e\x7ff\ufeff") == "abcdef"


def test_line_breaks_are_normalised_or_folded():
    assert clean_text("a\r\nb\rc\u2028d\x85e\tf") == "a\nb\nc\nd\ne\tf"
    assert clean_text("a\tb", keep_tabs=False) == "a b"
    assert clean_text("a\nb", keep_newlines=False) == "a b"
    assert one_line("  标题\r\nBcc: evil@x\t\u2029 尾  ") == "标题 Bcc: evil@x 尾"


def test_markup_looking_text_is_kept_as_text():
    # Escaping markup is each renderer's job; clean_text only removes what no renderer can show.
    assert clean_text("[bold red]x[/] <b>&amp;") == "[bold red]x[/] <b>&amp;"


def test_none_and_empty():
    assert clean_text(None) == "" and one_line(None) == "" and clean_text("") == ""


@settings(max_examples=300, deadline=1000)
@given(st.text(alphabet=st.characters(codec=None, exclude_categories=())))
def test_no_dangerous_character_survives_and_cleaning_is_idempotent(text):
    cleaned = clean_text(text)
    assert not DANGEROUS.search(cleaned)
    assert "\x1b" not in cleaned and "\r" not in cleaned
    assert clean_text(cleaned) == cleaned
    line = one_line(text)
    assert "\n" not in line and "\t" not in line and not DANGEROUS.search(line)
    assert one_line(line) == line


def test_only_http_urls_become_links():
    assert http_url("https://www.cnca.gov.cn/zxtz/a.html?x=1&y=2") == "https://www.cnca.gov.cn/zxtz/a.html?x=1&y=2"
    for bad in ("javascript:alert(1)", " JAVASCRIPT:alert(1)", "data:text/html,<b>", "/relative/path", "mailto:a@b",
                "http:///nohost", "https://x.cn/\x1b[31m", "https://x.cn/a\nb", "https://x.cn/\u202e", None, ""):
        assert http_url(bad) is None, bad


def test_link_targets_have_nothing_that_could_end_a_link_early():
    url = http_url('https://例子.cn/路径 a(1)<x>"`\\?q=中#frag')
    assert url is not None and url.isascii()
    assert url.startswith("https://xn--fsqu00a.cn/")
    assert not set(url) & set(' ()<>"`\\')


def test_an_unterminated_osc_loses_only_its_introducer():
    assert clean_text("\x1b]0;关于开展认证的通知") == "0;关于开展认证的通知"


def test_http_url_keeps_an_explicit_port_and_ipv6_brackets() -> None:
    assert http_url("http://example.test:8080/a") == "http://example.test:8080/a"
    assert http_url("https://[2001:db8::1]:8443/x") == "https://[2001:db8::1]:8443/x"
    assert http_url("http://例子.测试:81/") == "http://xn--fsqu00a.xn--0zwm56d:81/"
