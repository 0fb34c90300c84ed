"""decode_body: header, then meta, then detection; never garble Chinese, never raise."""

from __future__ import annotations

import codecs

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cnca_watch.decode import decode_body, normalize_codec

GBK_ONLY = "朱镕基 陶喆 王堃"  # not in GB2312
NOTICE = "关于开展2024年认证有效性抽查工作的通知：各认证机构应于3月31日前报送材料。"


def html(body: str, head: str = "") -> str:
    return f"<html><head>{head}<title>通知</title></head><body><p>{body}</p></body></html>"


@pytest.mark.parametrize(
    "label", ["gb2312", "GB2312", "gbk", "GBK", "gb_2312-80", "x-gbk", "cp936", "GB18030", "euc-cn"]
)
def test_gb_family_labels_become_gb18030(label: str) -> None:
    assert normalize_codec(label) == "gb18030"
    text, codec = decode_body(html(GBK_ONLY).encode("gbk"), f"text/html; charset={label}")
    assert GBK_ONLY in text and codec == "gb18030"


def test_utf8_header() -> None:
    text, codec = decode_body(html(NOTICE).encode("utf-8"), "text/html; charset=UTF-8")
    assert NOTICE in text and codec == "utf-8"


@pytest.mark.parametrize(
    "meta",
    [
        '<meta charset="gb2312">',
        "<meta charset=gbk>",
        '<meta http-equiv="Content-Type" content="text/html; charset=gb2312">',
        "<META HTTP-EQUIV='content-type' CONTENT='text/html;charset=GB2312'>",
    ],
)
def test_meta_charset_when_header_has_none(meta: str) -> None:
    text, codec = decode_body(html(GBK_ONLY + NOTICE, meta).encode("gbk"), "text/html")
    assert GBK_ONLY in text and NOTICE in text and codec == "gb18030"


def test_xml_declaration() -> None:
    doc = f'<?xml version="1.0" encoding="GBK"?><rss><title>{NOTICE}</title></rss>'
    text, codec = decode_body(doc.encode("gbk"), "application/xml")
    assert NOTICE in text and codec == "gb18030"


def test_no_charset_anywhere_is_detected() -> None:
    text, codec = decode_body(html(GBK_ONLY + NOTICE).encode("gb18030"), None)
    assert GBK_ONLY in text and codec == "gb18030"


def test_short_gb_text_is_not_mistaken_for_korean() -> None:
    # charset-normalizer alone calls these bytes cp949.
    text, codec = decode_body("国家认监委公告".encode("gb18030"), None)
    assert text == "国家认监委公告" and codec == "gb18030"


def test_wrong_header_falls_through_to_meta() -> None:
    page = html(GBK_ONLY, '<meta charset="gb2312">').encode("gbk")
    text, codec = decode_body(page, "text/html; charset=utf-8")
    assert GBK_ONLY in text and "\ufffd" not in text and codec == "gb18030"


def test_wrong_header_and_no_meta_falls_through_to_detection() -> None:
    text, codec = decode_body(html(GBK_ONLY + NOTICE).encode("gbk"), "text/html; charset=utf-8")
    assert GBK_ONLY in text and codec == "gb18030"


def test_latin1_default_label_on_chinese_page_is_not_trusted() -> None:
    text, codec = decode_body(html(NOTICE).encode("utf-8"), "text/html; charset=ISO-8859-1")
    assert NOTICE in text and codec == "utf-8"
    text, codec = decode_body(html(NOTICE).encode("gb18030"), "text/html; charset=iso-8859-1")
    assert NOTICE in text and codec == "gb18030"


def test_latin1_label_on_latin1_text_is_kept() -> None:
    page = "<html><body><p>Société générale, café crème</p></body></html>"
    text, codec = decode_body(page.encode("latin-1"), "text/html; charset=iso-8859-1")
    assert text == page and codec in ("iso8859-1", "latin-1")


def test_one_broken_byte_does_not_discard_a_declared_codec() -> None:
    page = html(NOTICE).encode("utf-8") + b"\xe5\x85"  # cut inside a character
    text, codec = decode_body(page, "text/html; charset=utf-8")
    assert NOTICE in text and codec == "utf-8"


def test_unknown_label_falls_back() -> None:
    text, codec = decode_body(html(NOTICE).encode("utf-8"), "text/html; charset=x-no-such-codec")
    assert NOTICE in text and codec == "utf-8"


def test_bom_wins() -> None:
    text, codec = decode_body(b"\xef\xbb\xbf" + html(NOTICE).encode("utf-8"), "text/html; charset=gbk")
    assert text.startswith("<html>") and NOTICE in text and codec == "utf-8-sig"


def test_json_without_charset_is_utf8() -> None:
    payload = '{"success":true,"data":{"html":"<li>%s</li>"}}' % NOTICE
    text, codec = decode_body(payload.encode("utf-8"), "application/json")
    assert text == payload and codec == "utf-8"


def test_empty_body() -> None:
    assert decode_body(b"", None) == ("", "utf-8")
    assert decode_body(b"", "text/html; charset=gb2312") == ("", "gb18030")


chinese = st.text(
    alphabet=st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5), min_size=1, max_size=60
)


@given(body=chinese, encoding=st.sampled_from(["gb18030", "gbk", "utf-8"]), declared=st.booleans())
@settings(max_examples=150, deadline=2000)
def test_chinese_pages_round_trip(body: str, encoding: str, declared: bool) -> None:
    page = html(NOTICE + body)
    content_type = f"text/html; charset={'gb2312' if encoding == 'gbk' else encoding}" if declared else None
    text, _codec = decode_body(page.encode(encoding), content_type)
    assert text == page


@given(content=st.binary(max_size=2000), content_type=st.one_of(st.none(), st.text(max_size=60)))
@settings(max_examples=200, deadline=2000)
def test_never_raises(content: bytes, content_type: str | None) -> None:
    text, codec = decode_body(content, content_type)
    assert isinstance(text, str) and codecs.lookup(codec)  # a codec Python knows, not just a name
