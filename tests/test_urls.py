"""canonical_url: the identity of an announcement, and the fast Resolver that must agree with it."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cnca_watch.urls import Resolver, canonical_url, origin

BASE = "https://www.cnca.gov.cn/zwxx/gg/index.html"


@pytest.mark.parametrize(
    ("href", "expected"),
    [
        (
            "/zwxx/gg/2024/art/2024/art_1.html",
            "https://www.cnca.gov.cn/zwxx/gg/2024/art/2024/art_1.html",
        ),
        ("2024/art_1.html", "https://www.cnca.gov.cn/zwxx/gg/2024/art_1.html"),
        ("./art_1.html", "https://www.cnca.gov.cn/zwxx/gg/art_1.html"),
        ("../tz/index.html", "https://www.cnca.gov.cn/zwxx/tz/index.html"),
        ("../../../../x.html", "https://www.cnca.gov.cn/x.html"),
        ("//www.samr.gov.cn/zw/a.html", "https://www.samr.gov.cn/zw/a.html"),
        ("HTTPS://WWW.CNCA.GOV.CN:443/a.html#top", "https://www.cnca.gov.cn/a.html"),
        ("http://www.cnca.gov.cn:80/a.html", "http://www.cnca.gov.cn/a.html"),
        ("http://127.0.0.1:8080/a.html", "http://127.0.0.1:8080/a.html"),
        ("https://www.cnca.gov.cn", "https://www.cnca.gov.cn/"),
        ("https://www.cnca.gov.cn/a/../b/./c.html", "https://www.cnca.gov.cn/b/c.html"),
        ("\n   /zwxx/gg/a.html\n", "https://www.cnca.gov.cn/zwxx/gg/a.html"),
        ("/zwxx/\n  gg/a.html", "https://www.cnca.gov.cn/zwxx/gg/a.html"),
        (
            "/a.pdf?fileName=%E9%99%84%E4%BB%B6.pdf",
            "https://www.cnca.gov.cn/a.pdf?fileName=%E9%99%84%E4%BB%B6.pdf",
        ),
        # raw, encoded and lower-case encoded: one identity, always a plain-ASCII URI
        ("/a.pdf?fileName=附件1.pdf", "https://www.cnca.gov.cn/a.pdf?fileName=%E9%99%84%E4%BB%B61.pdf"),
        ("/a.pdf?fileName=%e9%99%84%e4%bb%b61.pdf", "https://www.cnca.gov.cn/a.pdf?fileName=%E9%99%84%E4%BB%B61.pdf"),
        ("./公告 一.html", "https://www.cnca.gov.cn/zwxx/gg/%E5%85%AC%E5%91%8A%20%E4%B8%80.html"),
        ("%E5%85%AC%E5%91%8A%20%E4%B8%80.html", "https://www.cnca.gov.cn/zwxx/gg/%E5%85%AC%E5%91%8A%20%E4%B8%80.html"),
        ("http://市场监管.政务/a.html", "http://xn--mesr1nopx2me.xn--zfr164b/a.html"),
        ("?page=2", "https://www.cnca.gov.cn/zwxx/gg/index.html?page=2"),
        ("/a b.html", "https://www.cnca.gov.cn/a%20b.html"),
    ],
)
def test_canonical_url_resolves_and_normalises(href: str, expected: str) -> None:
    assert canonical_url(href, BASE) == expected


@pytest.mark.parametrize(
    "href",
    [
        "",
        "   ",
        "#",
        "#top",
        "javascript:void(0)",
        " JavaScript:go()",
        "mailto:a@cnca.gov.cn",
        "tel:010-82260000",
        "ftp://x/y",
        "data:text/html,hi",
        "http://host:99999/x",
        "http://[::1/x",
    ],
)
def test_canonical_url_rejects_non_pages(href: str) -> None:
    assert canonical_url(href, BASE) is None


def test_origin_of_a_page() -> None:
    assert origin("https://WWW.samr.gov.cn:443/zw/a.html") == "https://www.samr.gov.cn"
    assert origin("mailto:x") is None


_SEGMENT = st.sampled_from(
    ["a", "zwxx", "gg", "art_1.html", ".", "..", "", "x.pdf", "附件", "%E9%99", "b;c"]
)
_HREF = st.one_of(
    st.lists(_SEGMENT, max_size=5).map("/".join),
    st.lists(_SEGMENT, max_size=5).map(lambda parts: "/" + "/".join(parts)),
    st.lists(_SEGMENT, max_size=4).map(lambda parts: "../" + "/".join(parts)),
    st.lists(_SEGMENT, max_size=4).map(lambda parts: "./" + "/".join(parts)),
    st.tuples(
        st.sampled_from(["http://", "https://", "HTTP://", "//"]),
        st.sampled_from(["www.cnca.gov.cn", "WWW.X.CN", "h.cn:8080", "h.cn:443", ""]),
        st.lists(_SEGMENT, max_size=3).map("/".join),
    ).map(lambda t: f"{t[0]}{t[1]}/{t[2]}"),
    st.text(max_size=30),
)
_BASES = st.sampled_from(
    [
        BASE,
        "https://www.samr.gov.cn/zw/zfxxgk/fdzdgknr/rzjgs/",
        "http://127.0.0.1:8000/",
        "https://a.cn",
        "https://a.cn/x/y/z.html?q=1",
        "not a url",
    ]
)


@settings(max_examples=200, deadline=500)
@given(href=_HREF, base=_BASES, suffix=st.sampled_from(["", "?a=1", "#f", "?fileName=附件.pdf"]))
def test_resolver_agrees_with_canonical_url(href: str, base: str, suffix: str) -> None:
    resolver = Resolver(base)
    expected = canonical_url(href + suffix, base)
    assert resolver.resolve(href + suffix) == expected
    assert resolver.resolve(href + suffix) == expected  # cached answer too
    if expected is not None:
        assert expected.startswith(("http://", "https://"))
        assert "#" not in expected
