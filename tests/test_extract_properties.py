"""Property tests: random and mutated pages never raise anything but ExtractError,
and whatever comes out is well-formed."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cnca_watch.errors import ExtractError
from cnca_watch.extract import (
    JpaasPayload,
    JpaasUnit,
    extract_detail,
    extract_list,
    find_jpaas_unit,
    parse_jpaas_payload,
)
from cnca_watch.models import Detail

FIXTURES = Path(__file__).parent / "fixtures" / "extract"
HTML_FIXTURES = sorted(p.read_text(encoding="utf-8") for p in FIXTURES.glob("*.html"))
JSON_FIXTURES = sorted(p.read_text(encoding="utf-8") for p in FIXTURES.glob("*.json"))
FRAGMENTS = [json.loads(text)["data"]["html"] for text in JSON_FIXTURES]
BASES = [
    "https://www.cnca.gov.cn/zwxx/gg/index.html",
    "https://www.samr.gov.cn/zw/",
    "http://127.0.0.1:8000/a/b.html",
]
PROPERTY_SETTINGS = settings(
    max_examples=150,
    deadline=2000,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

_TAGS = [
    "div",
    "ul",
    "li",
    "a",
    "span",
    "p",
    "table",
    "tr",
    "td",
    "script",
    "style",
    "h3",
    "em",
    "br",
    "meta",
    "base",
]
_ATTR_NAMES = [
    "href",
    "title",
    "class",
    "style",
    "querydata",
    "QueryData",
    "parseType",
    "url",
    "src",
    "name",
    "content",
    "count",
]
_ATTR_VALUES = st.one_of(
    st.sampled_from(
        [
            "/a/1.html",
            "../x.pdf",
            "//h.cn/x",
            "javascript:void(0)",
            "#",
            "mailto:x",
            "http://[::1",
            "http://h:99999/",
            "common_list_ul",
            "nav04Left02_content",
            "detail_tittle",
            "color:red",
            "display:none",
            "bulidstatic",
            "{'webId':'w','pageId':'p'}",
            "{'broken",
            "2024-01-12",
            "/api-gateway/jpaas-web-server/front/document/download?fileName=%E9%99%84.pdf",
            "ArticleTitle",
            "PubDate",
            "x.docx?fileName=%ZZ",
            "\n /a/\n b.html ",
        ]
    ),
    st.text(max_size=20),
)
_TEXTS = st.one_of(
    st.sampled_from(
        [
            "2024-01-12",
            "[2024-01-12]",
            "2024年1月12日",
            "01-12",
            "2024年",
            "发布时间：2026-04-17",
            "更多",
            "下一页",
            "3",
            "关于开展认证工作的通知",
            "信息来源：",
            "…",
            "\n",
            "　",
        ]
    ),
    st.text(max_size=15),
)


@st.composite
def html_trees(draw: st.DrawFn, depth: int = 0) -> str:
    parts = []
    for _ in range(draw(st.integers(0, 4))):
        if depth < 4 and draw(st.booleans()):
            tag = draw(st.sampled_from(_TAGS))
            attrs = "".join(
                f' {name}="{value.replace(chr(34), "&quot;")}"'
                for name, value in draw(
                    st.lists(st.tuples(st.sampled_from(_ATTR_NAMES), _ATTR_VALUES), max_size=3)
                )
            )
            parts.append(f"<{tag}{attrs}>{draw(html_trees(depth + 1))}</{tag}>")
        else:
            parts.append(draw(_TEXTS))
    return "".join(parts)


@st.composite
def mutated(draw: st.DrawFn, sources: list[str]) -> str:
    text = draw(st.sampled_from(sources))
    for _ in range(draw(st.integers(1, 4))):
        if not text:
            break
        start = draw(st.integers(0, len(text) - 1))
        end = draw(st.integers(start, min(len(text), start + 200)))
        action = draw(st.sampled_from(["delete", "insert", "duplicate", "truncate"]))
        if action == "delete":
            text = text[:start] + text[end:]
        elif action == "insert":
            text = text[:start] + draw(st.one_of(_TEXTS, html_trees())) + text[start:]
        elif action == "duplicate":
            text = text[:end] + text[start:end] + text[end:]
        else:
            text = text[:start]
    return text


PAGES = st.one_of(st.text(max_size=200), html_trees(), mutated(HTML_FIXTURES + FRAGMENTS))
JSON_TEXTS = st.one_of(
    st.text(max_size=100),
    mutated(JSON_FIXTURES),
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=10),
        lambda children: (
            st.lists(children, max_size=3)
            | st.dictionaries(
                st.sampled_from(["success", "code", "data", "html", "total", "msg"]),
                children,
                max_size=4,
            )
        ),
        max_leaves=10,
    ).map(json.dumps),
    st.builds(
        lambda html, success, code: json.dumps(
            {"success": success, "code": code, "data": {"html": html}}
        ),
        html_trees(),
        st.sampled_from([True, False, None]),
        st.sampled_from(["200", 200, "500", None]),
    ),
)


def is_web_url(url: str) -> bool:
    return (
        url.startswith(("http://", "https://"))
        and "#" not in url
        and not any(c in url for c in "\n\r\t ")
    )


def is_valid_date(value: str | None) -> bool:
    if value is None:
        return True
    return len(value) == 10 and date.fromisoformat(value).isoformat() == value


@PROPERTY_SETTINGS
@given(page=PAGES, base=st.sampled_from(BASES))
def test_extract_list_is_total_and_well_formed(page: str, base: str) -> None:
    try:
        items = extract_list(page, base)
    except ExtractError:
        return
    urls = [item.url for item in items]
    assert len(urls) == len(set(urls))
    assert [item.position for item in items] == list(range(len(items)))
    for item in items:
        assert is_web_url(item.url)
        assert is_valid_date(item.date)
        assert item.title and item.title == item.title.strip()


@PROPERTY_SETTINGS
@given(page=PAGES, base=st.sampled_from(BASES))
def test_extract_detail_is_total_and_well_formed(page: str, base: str) -> None:
    try:
        detail = extract_detail(page, base)
    except ExtractError:
        return
    assert isinstance(detail, Detail)
    assert is_valid_date(detail.date)
    assert (
        isinstance(detail.body, str) and "\ue000" not in detail.body and "\ue001" not in detail.body
    )
    assert detail.title is None or detail.title.strip() == detail.title != ""
    urls = [attachment.url for attachment in detail.attachments]
    assert len(urls) == len(set(urls))
    for attachment in detail.attachments:
        assert is_web_url(attachment.url) and attachment.name


@PROPERTY_SETTINGS
@given(page=PAGES, base=st.sampled_from(BASES))
def test_find_jpaas_unit_is_total_and_well_formed(page: str, base: str) -> None:
    try:
        unit = find_jpaas_unit(page, base)
    except ExtractError:
        return
    if unit is None:
        return
    assert isinstance(unit, JpaasUnit) and is_web_url(unit.api_url)
    params = unit.page_params(2, 50)
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in params.items())
    assert json.loads(params["paramJson"]) == {"pageNo": 2, "pageSize": 50}


@PROPERTY_SETTINGS
@given(text=JSON_TEXTS)
def test_parse_jpaas_payload_is_total_and_well_formed(text: str) -> None:
    try:
        payload = parse_jpaas_payload(text)
    except ExtractError as err:
        assert str(err)
        return
    assert isinstance(payload, JpaasPayload) and isinstance(payload.html, str)
    assert payload.total is None or (isinstance(payload.total, int) and payload.total >= 0)


def test_lone_surrogates_are_repaired_not_fatal() -> None:
    html = '<ul><li><a href="/a\ud800.html">关于\ud800开展认证工作的通知</a><span>2024-01-12</span></li></ul>'
    items = extract_list(html, "https://x.cn/")
    assert [(i.title, i.date) for i in items] == [
        ("关于开展认证工作的通知", "2024-01-12")
    ]  # lexbor drops them
    assert extract_detail(html, "https://x.cn/").date is None
    assert find_jpaas_unit(html, "https://x.cn/") is None
