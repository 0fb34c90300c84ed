"""The demo mirror served over real HTTP on 127.0.0.1.

Expected values are written out by hand from src/cnca_watch/demo/STORY.md, never computed by
the mirror's own code.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from urllib.parse import unquote

import httpx
import pytest
from selectolax.lexbor import LexborHTMLParser as HTMLParser

from cnca_watch.demo import demo_sources
from cnca_watch.demo.server import MirrorServer

API = "/api-gateway/jpaas-publish-server/front/page/build/unit"
TZ_PAGE_ID = "3f8c2a7e9d4b4e1f8a6c5b2d1e0f9a7c"
GG_PAGE_ID = "a41d7c0e5b9f4c2e8d3a6f1b7c9e2d54"
RZ_PAGE_ID = "c7e2b9d4a1f84e6b9c3d5a8e2f1b7d60"

TZ = "/zwxx/tz/2024/art/2024/art_{}.html"
TZ_01 = TZ.format("d478e6e3e7de5b8b0c303aa7aef0eac3")
TZ_04_CORRECTED = TZ.format("3751c23bf913548b6c3cf01fa1fb1527")
TZ_06_REEDITED = TZ.format("1815c88e7e517caacb6512907c89072c")
TZ_09_SCROLLS_OFF = TZ.format("a250a275dd7358c6e8b0ed18c3ea6b5c")
TZ_10_SCROLLS_OFF = TZ.format("b788e2eb4c6ad1f11bd452f9d5d843d4")
TZ_11_PAGE2 = TZ.format("d72d9cde389f05269f62bab9dcc4c1de")
TZ_12_PAGE2 = TZ.format("6af16cde5e27fe60d5309b76e5652b55")
TZ_NEW_1 = TZ.format("6e44a73904ff2b8ef682c6aebb1164ca")
TZ_NEW_2 = TZ.format("ef78bab1914978cfeeaf6dfa39fc2f6e")
GG_02_REATTACHED = "/zwxx/gg/2024/art/2024/art_ba2881c9405842039012224e9cb7e25b.html"
RZ = "/zw/zfxxgk/fdzdgknr/rzjgs/art/2024/art_{}.html"
RZ_01_TRUNCATED = RZ.format("6a83555d972462aebaa78b3f207efffb")
RZ_02 = RZ.format("48dd4329ef4eea1229ce450872544ace")
RZ_03_WITHDRAWN = RZ.format("23a52d099b6543fcc908a23cc3f3e89b")
RZ_04_LINEBREAK = RZ.format("59e893961638caefd39ed52fd0490b03")
RZ_09_MIGRATED = "/zw/zfxxgk/fdzdgknr/rzjgs/art/2023/art_b1d5231e2b89b73f8a312ba64aad90c3.html"
PROVINCE_LIST = "/province/gg/index.html"
PROVINCE_GBK_ITEM = "/province/gg/2024/t20240530_4109914.html"
PROVINCE_NEW = "/province/gg/2024/t20240618_4125907.html"
DAY1_TIME = "Mon, 17 Jun 2024 01:00:00 GMT"
DAY2_TIME = "Tue, 18 Jun 2024 01:00:00 GMT"


@pytest.fixture
def srv() -> Iterator[MirrorServer]:
    with MirrorServer() as server:
        yield server


@pytest.fixture
def client(srv: MirrorServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=srv.base_url, timeout=5.0) as c:
        yield c


def api(client: httpx.Client, page_id: str, **extra: str) -> httpx.Response:
    return client.get(API, params={"pageId": page_id, "webId": "x", "parseType": "bulidstatic", **extra})


def paged(page_no: int, page_size: int) -> str:
    return json.dumps({"pageNo": page_no, "pageSize": page_size})


def data_html(response: httpx.Response) -> str:
    payload = response.json()
    assert payload["success"] is True and payload["code"] == "200"
    return payload["data"]["html"]


def row_hrefs(fragment: str) -> list[str]:
    return [a.attributes["href"] for a in HTMLParser(fragment).css("a[title]")]


# --- column pages -----------------------------------------------------------------------------


def test_cnca_column_page_has_querydata_script_and_no_rows(client: httpx.Client) -> None:
    response = client.get("/zwxx/tz/index.html")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    html = response.text
    assert (
        '<script type="text/javascript" parseType="bulidstatic" '
        'url="/api-gateway/jpaas-publish-server/front/page/build/unit" querydata="{'
    ) in html
    assert f"'pageId':'{TZ_PAGE_ID}'" in html
    assert "'pageType':'column','tagId':'内容区域','editType':'null','parseType':'bulidstatic'}" in html
    assert "common_list_ul" not in html and "art_" not in html and "2024-0" not in html
    # site chrome a naive scraper would pick up
    assert len(HTMLParser(html).css("a[href]")) >= 15


def test_cnca_announcements_column_uses_its_own_page_id(client: httpx.Client) -> None:
    html = client.get("/zwxx/gg/index.html").text
    assert f"'pageId':'{GG_PAGE_ID}'" in html
    assert TZ_PAGE_ID not in html


def test_samr_column_page_uses_unitbuild_script_without_parse_type(client: httpx.Client) -> None:
    html = client.get("/zw/zfxxgk/fdzdgknr/rzjgs/").text
    scripts = [s for s in HTMLParser(html).css("script") if "querydata" in s.attributes]
    assert len(scripts) == 1
    attrs = scripts[0].attributes
    assert attrs["src"].endswith("/unitbuild.js")
    assert "parsetype" not in attrs and "url" not in attrs
    assert f"'pageId':'{RZ_PAGE_ID}'" in attrs["querydata"]
    assert "nav04Left02_content" not in html and "art_" not in html


# --- the jpaas API -----------------------------------------------------------------------------


def test_api_pages_only_with_param_json(client: httpx.Client) -> None:
    first = api(client, TZ_PAGE_ID, paramJson=paged(1, 10))
    assert first.headers["content-type"] == "application/json;charset=UTF-8"
    first_rows = row_hrefs(data_html(first))
    assert len(first_rows) == 10
    assert first_rows[0] == TZ_01 and first_rows[-1] == TZ_10_SCROLLS_OFF
    assert 'class="pagination" count="12"' in data_html(first)

    second = row_hrefs(data_html(api(client, TZ_PAGE_ID, paramJson=paged(2, 10))))
    assert second == [TZ_11_PAGE2, TZ_12_PAGE2]

    # bare pageNo/pageSize are ignored: page 1 with the default 20 rows (all 12)
    bare = row_hrefs(data_html(api(client, TZ_PAGE_ID, pageNo="2", pageSize="10")))
    assert len(bare) == 12 and bare[0] == TZ_01
    assert row_hrefs(data_html(api(client, TZ_PAGE_ID))) == bare


def test_api_cnca_row_template(client: httpx.Client) -> None:
    fragment = data_html(api(client, TZ_PAGE_ID, paramJson=paged(1, 10)))
    assert '<ul class="common_list_ul">' in fragment
    assert (
        f'<li><a href="{TZ_01}" title="关于组织开展2024年度检验检测机构能力验证工作的通知" target="_blank">'
        "关于组织开展2024年度检验检测机构能力验证工作的通知</a><span>2024-06-12</span></li>"
    ) in fragment


def test_api_samr_row_template_with_truncation_and_line_break(client: httpx.Client) -> None:
    fragment = data_html(api(client, RZ_PAGE_ID, paramJson=paged(1, 10)))
    tree = HTMLParser(fragment)
    rows = tree.css("ul > li.nav04Left02_content")
    dates = [li.text() for li in tree.css("li.nav04Left02_contenttime")]
    assert len(rows) == 9
    assert dates[0] == "2024-06-14" and dates[-1] == "2024-01-09"
    first = rows[0].css_first("a")
    assert first.text() == "市场监管总局办公厅关于开展2024年认证活动“双随机、一公开”监管工作…"
    assert first.attributes["title"] == "市场监管总局办公厅关于开展2024年认证活动“双随机、一公开”监管工作暨认证有效性抽查的通知"
    broken = rows[3].css_first("a")
    assert broken.attributes["href"] == RZ_04_LINEBREAK
    assert broken.attributes["title"] == "市场监管总局办公厅关于深入开展小微企业\n质量管理体系认证提升行动的通知"
    assert rows[8].css_first("a").attributes["href"] == RZ_09_MIGRATED
    assert 'class="pagination" count="9"' in fragment


def test_api_unknown_page_id_is_success_false(client: httpx.Client) -> None:
    payload = api(client, "0" * 32).json()
    assert payload["success"] is False and payload["data"] is None


# --- GB18030 provincial pages ------------------------------------------------------------------


def test_province_list_is_gb18030_declared_gb2312_in_meta_only(client: httpx.Client) -> None:
    response = client.get(PROVINCE_LIST)
    assert response.headers["content-type"] == "text/html"
    raw = response.content
    text = raw.decode("gb18030")
    assert '<meta http-equiv="Content-Type" content="text/html; charset=gb2312" />' in text
    assert "关于撤销杭州喆华检测技术有限公司检验检测机构资质认定证书的公告" in text
    assert '<li><a href="./2024/t20240530_4109914.html"' in text
    assert "<span>[2024-05-30]</span></li>" in text
    with pytest.raises(UnicodeDecodeError):
        raw.decode("gb2312")
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")


def test_province_detail_is_gb18030_too(client: httpx.Client) -> None:
    response = client.get(PROVINCE_GBK_ITEM)
    assert response.headers["content-type"] == "text/html"
    text = response.content.decode("gb18030")
    assert "法定代表人：王珺。" in text and "发布日期：2024-05-30" in text
    with pytest.raises(UnicodeDecodeError):
        response.content.decode("gb2312")


# --- detail pages ------------------------------------------------------------------------------


def test_cnca_detail_template_and_pubdate_trap(client: httpx.Client) -> None:
    response = client.get(TZ_06_REEDITED)
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    tree = HTMLParser(response.text)
    main = tree.css_first("div.news_detail_page > div.detail_content > div.detail_main")
    assert main is not None
    assert main.css_first("p.detail_tittle").text() == "关于开展认证认可国际互认工作情况调查的通知"
    assert main.css_first("p.detail_xx").text() == "信息来源：国家认监委　　发布时间：2024-04-26"
    assert main.css_first("span#source").text() == "国家认监委"
    assert tree.css_first('meta[name="PubDate"]').attributes["content"] == "2024-06-05 10:57"
    body = main.css_first("div.detail_messge")
    assert "mso-" in body.html and "请各单位如实填写调查表" in body.text()
    gateway = body.css_first("a[name=orginal]")
    href = gateway.attributes["href"]
    assert href.startswith("/api-gateway/jpaas-web-server/front/document/download?fileUrl=")
    assert unquote(href.split("fileName=")[1]) == gateway.text() == "附件：国际互认工作情况调查表.docx"


def test_cnca_detail_direct_attachment(client: httpx.Client) -> None:
    body = HTMLParser(client.get(TZ_01).text).css_first("div.detail_messge")
    links = {a.text(): a.attributes["href"] for a in body.css("a[name=orginal]")}
    assert links["附件1：2024年度国家级能力验证计划项目表.pdf"] == (
        "/cms_files/filemanager/953091537/attach/20246/c4ebc20a737c432c233e24384a413607.pdf"
    )
    assert client.get(links["附件1：2024年度国家级能力验证计划项目表.pdf"]).status_code == 200


def test_samr_detail_template_attachments_in_second_ul(client: httpx.Client) -> None:
    tree = HTMLParser(client.get(RZ_01_TRUNCATED).text)
    assert "开展2024年认证活动" in tree.css_first("div.Three_xilan_07").text()
    assert tree.css_first('meta[name="ContentSource"]').attributes["content"] == "认证监管司"
    boxes = tree.css("ul.contentLeft0102box")
    assert len(boxes) == 2 and boxes[0].css("li") == []
    names = [a.attributes["title"] for a in boxes[1].css("li.contentLeft0102 > a")]
    assert names == ["附件1：2024年认证有效性抽查工作方案.pdf", "附件2：抽查结果汇总表.xlsx"]
    meta_title = HTMLParser(client.get(RZ_04_LINEBREAK).text).css_first('meta[name="ArticleTitle"]')
    assert meta_title.attributes["content"] == "市场监管总局办公厅关于深入开展小微企业\n质量管理体系认证提升行动的通知"


# --- conditional GET ---------------------------------------------------------------------------


def test_revalidation_answers_304(client: httpx.Client) -> None:
    for path in ("/zwxx/tz/index.html", TZ_01, PROVINCE_LIST):
        first = client.get(path)
        etag, last_modified = first.headers["etag"], first.headers["last-modified"]
        assert etag.startswith('"') and not etag.startswith("W/")
        assert last_modified == DAY1_TIME
        by_etag = client.get(path, headers={"If-None-Match": etag})
        assert by_etag.status_code == 304 and by_etag.content == b""
        by_date = client.get(path, headers={"If-Modified-Since": last_modified})
        assert by_date.status_code == 304
        stale = client.get(path, headers={"If-None-Match": '"stale"'})
        assert stale.status_code == 200 and stale.content == first.content
    api_first = api(client, TZ_PAGE_ID, paramJson=paged(1, 10))
    again = api(client, TZ_PAGE_ID, paramJson=paged(1, 10), **{})
    assert again.headers["etag"] == api_first.headers["etag"]
    revalidated = client.get(
        API,
        params={"pageId": TZ_PAGE_ID, "paramJson": paged(1, 10)},
        headers={"If-None-Match": api_first.headers["etag"]},
    )
    assert revalidated.status_code == 304


def test_day_two_validators(srv: MirrorServer, client: httpx.Client) -> None:
    column = client.get("/zwxx/tz/index.html")
    tz_api = api(client, TZ_PAGE_ID, paramJson=paged(1, 10))
    gg_api = api(client, GG_PAGE_ID, paramJson=paged(1, 10))
    corrected = client.get(TZ_04_CORRECTED)
    unchanged = client.get(TZ_01)
    srv.set_day(2)
    assert client.get("/zwxx/tz/index.html", headers={"If-None-Match": column.headers["etag"]}).status_code == 304
    assert client.get(TZ_01, headers={"If-Modified-Since": DAY1_TIME}).status_code == 304
    assert client.get(TZ_01, headers={"If-None-Match": unchanged.headers["etag"]}).status_code == 304
    changed = client.get(TZ_04_CORRECTED, headers={"If-None-Match": corrected.headers["etag"]})
    assert changed.status_code == 200 and changed.headers["last-modified"] == DAY2_TIME
    new_api = client.get(
        API, params={"pageId": TZ_PAGE_ID, "paramJson": paged(1, 10)}, headers={"If-None-Match": tz_api.headers["etag"]}
    )
    assert new_api.status_code == 200
    same_gg = client.get(
        API, params={"pageId": GG_PAGE_ID, "paramJson": paged(1, 10)}, headers={"If-None-Match": gg_api.headers["etag"]}
    )
    assert same_gg.status_code == 304


# --- the day-2 story ---------------------------------------------------------------------------


def test_day_two_story(srv: MirrorServer, client: httpx.Client) -> None:
    assert client.get(RZ_03_WITHDRAWN).status_code == 200
    gg_day1 = client.get(GG_02_REATTACHED).text
    srv.set_day(2)

    tz = data_html(api(client, TZ_PAGE_ID, paramJson=paged(1, 10)))
    hrefs = row_hrefs(tz)
    assert hrefs[:3] == [TZ_NEW_1, TZ_NEW_2, TZ_01]
    assert len(hrefs) == 10 and TZ_09_SCROLLS_OFF not in hrefs and TZ_10_SCROLLS_OFF not in hrefs
    assert 'class="pagination" count="14"' in tz
    assert 'title="关于印发《认证机构资质审批工作指南》的通知（更正）"' in tz
    assert "<span>2024-05-20</span>" in tz
    # scrolled off the window, not gone
    assert client.get(TZ_09_SCROLLS_OFF).status_code == 200
    page2 = row_hrefs(data_html(api(client, TZ_PAGE_ID, paramJson=paged(2, 10))))
    assert page2[:2] == [TZ_09_SCROLLS_OFF, TZ_10_SCROLLS_OFF]

    corrected = HTMLParser(client.get(TZ_04_CORRECTED).text)
    assert corrected.css_first("p.detail_tittle").text() == "关于印发《认证机构资质审批工作指南》的通知（更正）"
    assert corrected.css_first("p.detail_xx").text().endswith("发布时间：2024-05-20")
    assert "更正说明：原文第二段中“自2024年6月1日起施行”更正为“自2024年7月1日起施行”，特此更正。" in (
        corrected.css_first("div.detail_messge").text()
    )

    rz = row_hrefs(data_html(api(client, RZ_PAGE_ID, paramJson=paged(1, 10))))
    assert len(rz) == 8 and RZ_03_WITHDRAWN not in rz
    assert rz[:3] == [RZ_01_TRUNCATED, RZ_02, RZ_04_LINEBREAK]
    assert client.get(RZ_03_WITHDRAWN).status_code == 404

    gg_day2 = client.get(GG_02_REATTACHED).text
    assert "附件3：标准实施过渡期安排.pdf" in gg_day2 and "附件3" not in gg_day1

    province = client.get(PROVINCE_LIST).content.decode("gb18030")
    rows = [a.attributes["href"] for a in HTMLParser(province).css("ul.list > li > a")]
    assert rows[0] == "./2024/t20240618_4125907.html" and len(rows) == 7
    assert client.get(PROVINCE_NEW).status_code == 200
    srv.set_day(1)
    assert client.get(PROVINCE_NEW).status_code == 404


def test_set_day_rejects_unknown_day(srv: MirrorServer) -> None:
    with pytest.raises(ValueError):
        srv.set_day(3)
    assert srv.day == 1


# --- request log, 404, latency, shutdown -------------------------------------------------------


def test_request_log_and_404(srv: MirrorServer, client: httpx.Client) -> None:
    client.get("/zwxx/tz/index.html")
    srv.reset_requests()
    assert srv.requests == []
    client.get("/zwxx/gg/index.html")
    client.get("/nothing/here.html")
    client.get(API, params={"pageId": GG_PAGE_ID})
    assert srv.requests == [
        ("GET", "/zwxx/gg/index.html", 200),
        ("GET", "/nothing/here.html", 404),
        ("GET", f"{API}?pageId={GG_PAGE_ID}", 200),
    ]


def test_latency_is_added_per_response() -> None:
    with MirrorServer(latency=0.2) as server, httpx.Client(base_url=server.base_url, timeout=5.0) as c:
        started = time.monotonic()
        assert c.get("/zwxx/tz/index.html").status_code == 200
        assert time.monotonic() - started >= 0.2


def test_close_stops_serving() -> None:
    with MirrorServer() as server:
        base = server.base_url
        assert httpx.get(base + "/zwxx/tz/index.html", timeout=5.0).status_code == 200
    with pytest.raises(httpx.ConnectError):
        httpx.get(base + "/zwxx/tz/index.html", timeout=2.0)


def test_demo_sources_point_at_the_mirror() -> None:
    sources = demo_sources("http://127.0.0.1:8123/")
    assert [(s.name, s.url, s.pages, s.page_size) for s in sources] == [
        ("cnca-notices", "http://127.0.0.1:8123/zwxx/tz/index.html", 1, 10),
        ("cnca-announcements", "http://127.0.0.1:8123/zwxx/gg/index.html", 1, 10),
        ("samr-certification", "http://127.0.0.1:8123/zw/zfxxgk/fdzdgknr/rzjgs/", 1, 10),
        ("province-notices", "http://127.0.0.1:8123/province/gg/index.html", 1, 20),
    ]
