"""extract_list on every list shape of cnca-sites.md, with hand-written expectations."""

from __future__ import annotations

from pathlib import Path

import pytest

from cnca_watch.errors import ExtractError
from cnca_watch.extract import extract_list, parse_jpaas_payload
from cnca_watch.extract import lists as lists_module
from cnca_watch.extract.text import parse_html
from cnca_watch.models import ListedItem
from cnca_watch.settings import Selectors

FIXTURES = Path(__file__).parent / "fixtures" / "extract"


def read(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def rows(items: list[ListedItem]) -> list[tuple[str, str, str | None]]:
    assert [item.position for item in items] == list(range(len(items)))
    return [(item.url, item.title, item.date) for item in items]


def test_cnca_jpaas_fragment() -> None:
    html = parse_jpaas_payload(read("cnca_list_api.json")).html
    items = extract_list(html, "https://www.cnca.gov.cn/zwxx/gg/index.html")
    base = "https://www.cnca.gov.cn/zwxx/gg/"
    assert rows(items) == [
        (
            base + "2024/art/2024/art_82acd2a2836e4e7ca2be267222282d5b.html",
            "国家认监委关于发布《认证机构监督管理办法》实施细则的公告",
            "2024-03-15",
        ),
        (
            base + "2024/art/2024/art_4f9bb3b280ac4afe8a2beb86099fb88b.html",
            "国家认监委关于调整强制性产品认证目录和实施要求的公告",
            "2024-02-28",
        ),
        # the link text is cut with "..."; the title attribute has it whole
        (
            base + "2024/art/2024/art_7f10ec7a1a8341038a8b081edf6a90d4.html",
            "国家认监委关于开展2024年度检验检测机构资质认定能力验证工作的公告（更正）",
            "2024-01-30",
        ),
        # a plain space between two issuers is kept
        (
            base + "2023/art/2023/art_246e0c1d2b3a4f5e6d7c8b9a0f1e2d3c.html",
            "市场监管总局 国家认监委关于统一管理认证标志的公告",
            "2023-12-20",
        ),
    ]


def test_samr_one_ul_per_row_fragment_with_hard_line_breaks() -> None:
    html = parse_jpaas_payload(read("samr_list_api.json")).html
    items = extract_list(html, "https://www.samr.gov.cn/zw/zfxxgk/fdzdgknr/rzjgs/")
    base = "https://www.samr.gov.cn/zw/zfxxgk/fdzdgknr/rzjgs/art/"
    assert rows(items) == [
        (
            base + "2024/art_0a1b2c3d4e5f40718293a4b5c6d7e8f9.html",
            "市场监管总局关于发布《强制性产品认证目录描述与界定表（2024年修订）》的公告",
            "2024-04-02",
        ),
        (
            base + "2024/art_1b2c3d4e5f6071829304b5c6d7e8f9a0.html",
            "市场监管总局办公厅关于开展认证认可检验检测“双随机、一公开”监管工作的通知",
            "2024-03-18",
        ),
        (
            base + "2023/art_2c3d4e5f60718293a4b5c6d7e8f9a0b1.html",
            "认证监督管理司关于CCC认证 Type 2 测试要求的说明",
            "2023-11-07",
        ),
    ]


def test_samr_zjdc_template_skips_the_header_row() -> None:
    html = parse_jpaas_payload(read("samr_zjdc_api.json")).html
    items = extract_list(html, "https://www.samr.gov.cn/hd/zjdc/")
    assert rows(items) == [
        (
            "https://www.samr.gov.cn/hd/zjdc/art/2026/art_3d4e5f60718293a4b5c6d7e8f9a0b1c2.html",
            "市场监管总局关于公开征求《认证证书和认证标志管理办法（修订草案征求意见稿）》意见的公告",
            "2026-09-17",
        ),
        (
            "https://www.samr.gov.cn/hd/zjdc/art/2026/art_4e5f60718293a4b5c6d7e8f9a0b1c2d3.html",
            "关于检验检测机构资质认定评审准则修订的意见征集",
            "2026-08-01",
        ),
    ]


def test_samr_content3_template() -> None:
    items = extract_list(
        read("samr_content3.html"), "https://www.samr.gov.cn/rkjcs/tzgg/index.html"
    )
    base = "https://www.samr.gov.cn/rkjcs/tzgg/art/2025/"
    assert rows(items) == [
        (
            base + "art_5f60718293a4b5c6d7e8f9a0b1c2d3e4.html",
            "认可与检验检测监督管理司2025年第二季度检验检测机构监督抽查情况通报",
            "2025-07-08",
        ),
        (
            base + "art_60718293a4b5c6d7e8f9a0b1c2d3e4f5.html",
            "关于做好检验检测机构资质认定告知承诺核查工作的通知",
            "2025-06-30",
        ),
        (
            base + "art_718293a4b5c6d7e8f9a0b1c2d3e4f506.html",
            "2025年国家级检验检测机构能力验证计划",
            "2025-05-12",
        ),
    ]


def test_static_li_page_ignores_menus_pagination_and_duplicates() -> None:
    items = extract_list(
        read("static_li.html"), "http://scjg.example-province.gov.cn/tzgg/index.html"
    )
    base = "http://scjg.example-province.gov.cn/tzgg/"
    assert rows(items) == [
        (
            base + "202401/t20240112_101.html",
            "关于开展2024年认证机构专项监督检查的通知",
            "2024-01-12",
        ),
        (
            base + "202401/t20240105_100.html",
            "关于公布2023年度检验检测机构能力验证结果的公告",
            "2024-01-05",
        ),
        (base + "202312/t20231228_99.html", "关于强制性产品认证指定机构调整的公告", "2023-12-28"),
        (base + "202312/t20231215_98.html", "某省认证从业人员培训班开班", "2023-12-15"),
    ]


def test_static_table_rows_with_every_date_form() -> None:
    items = extract_list(
        read("static_table.html"), "http://www.example-province.gov.cn/gsgg/index.html"
    )
    base = "http://www.example-province.gov.cn/gsgg/2024/"
    assert rows(items) == [
        (
            base + "0312/c123.html",
            "关于2024年第一批检验检测机构资质认定许可情况的公示",
            "2024-03-12",
        ),
        (base + "0301/c122.html", "关于注销部分检验检测机构资质认定证书的公告", "2024-03-01"),
        (base + "0220/c121.html", "关于认证机构年度报告公示的通知", "2024-02-20"),
        (base + "0131/c120.html", "2024年春节期间食品安全监督抽检信息公告", "2024-01-31"),
    ]


def test_month_day_dates_take_the_year_heading_above_them() -> None:
    items = extract_list(read("year_heading.html"), "https://www.example.org/gg/index.html")
    base = "https://www.example.org/gg/"
    assert rows(items) == [
        (base + "2024/a3.html", "关于发布认证机构分类监管结果的公告", "2024-03-05"),
        (base + "2024/a2.html", "关于2024年春节假期网上办事安排的公告", "2024-02-01"),
        (base + "2024/a1.html", "关于调整实验室认可收费标准的公告", "2024-01-12"),
        (base + "2023/a9.html", "关于有机产品认证目录调整的公告", "2023-12-28"),
        (
            base + "2023/a8.html",
            "关于印发检验检测行业发展规划的公告",
            None,
        ),  # 2023-02-29 does not exist
    ]


def test_old_cnca_liebiao_page() -> None:
    items = extract_list(read("liebiao.html"), "http://www.cnca.gov.cn/xxgk/hydt/")
    base = "http://www.cnca.gov.cn/xxgk/hydt/"
    assert rows(items) == [
        (
            base + "201912/t20191220_58123.shtml",
            "国家认监委召开2019年认证认可检验检测工作座谈会",
            "2019-12-20",
        ),
        (base + "201912/t20191213_58011.shtml", "认证认可“放管服”改革成效显著", "2019-12-13"),
        (
            base + "201911/t20191129_57890.shtml",
            "第三届认证认可检验检测国际合作论坛在京举办",
            "2019-11-29",
        ),
    ]


def test_truncated_titles_prefer_the_title_attribute() -> None:
    items = extract_list(
        read("truncated_titles.html"), "https://www.cnca.gov.cn/zwxx/tz/index.html"
    )
    assert [item.title for item in items] == [
        "关于进一步加强强制性产品认证指定实验室能力建设和监督管理工作的通知",
        "关于开展绿色产品认证试点工作的实施意见",
        "国家认监委2024年第12号公告",  # title="点击查看" is shorter: the text wins
        "关于CCC认证 证书暂停与撤销规则的说明",  # line break between CJK joined, plain space kept
    ]
    assert [item.date for item in items] == ["2024-05-06", "2024-05-01", "2024-04-28", "2024-04-20"]


@pytest.mark.parametrize(
    "name",
    ["cnca_list_api.json", "samr_list_api.json", "samr_zjdc_api.json"],
)
def test_template_shortcut_finds_what_the_generic_detection_finds(name: str) -> None:
    tree = parse_html(parse_jpaas_payload(read(name)).html)
    hinted = lists_module._hinted_rows(tree)
    generic = lists_module._generic_rows(tree)
    assert hinted is not None
    assert [(r.link.key, r.title, r.date) for r in hinted] == [
        (r.link.key, r.title, r.date) for r in generic
    ]


def test_undated_list_with_long_titles_is_still_a_list() -> None:
    html = (
        '<div class="menu"><a href="/a/">首页</a><a href="/b/">政务公开</a></div>'
        '<ul class="list"><li><a href="/n/1.html">关于开展认证机构专项检查的通知</a></li>'
        '<li><a href="/n/2.html">关于公布检验检测机构名单的公告</a></li></ul>'
    )
    items = extract_list(html, "https://x.gov.cn/n/")
    assert rows(items) == [
        ("https://x.gov.cn/n/1.html", "关于开展认证机构专项检查的通知", None),
        ("https://x.gov.cn/n/2.html", "关于公布检验检测机构名单的公告", None),
    ]


def test_date_inside_the_link_is_split_off() -> None:
    html = (
        '<ul><li><a href="/n/1.html">关于开展认证机构专项检查的通知 <span>2024-01-12</span></a></li>'
        '<li><a href="/n/2.html">关于公布检验检测机构名单的公告 <span>2024-01-05</span></a></li></ul>'
    )
    assert rows(extract_list(html, "https://x.gov.cn/n/")) == [
        ("https://x.gov.cn/n/1.html", "关于开展认证机构专项检查的通知", "2024-01-12"),
        ("https://x.gov.cn/n/2.html", "关于公布检验检测机构名单的公告", "2024-01-05"),
    ]


def test_image_and_text_links_to_the_same_article_make_one_row() -> None:
    html = (
        "<ul>"
        '<li><a href="/n/1.html"><img src="1.png"></a><a href="/n/1.html">关于开展认证机构专项检查的通知</a><i>2024-01-12</i></li>'
        '<li><a href="/n/2.html"><img src="2.png"></a><a href="/n/2.html">关于公布检验检测机构名单的公告</a><i>2024-01-05</i></li>'
        "</ul>"
    )
    assert rows(extract_list(html, "https://x.gov.cn/n/")) == [
        ("https://x.gov.cn/n/1.html", "关于开展认证机构专项检查的通知", "2024-01-12"),
        ("https://x.gov.cn/n/2.html", "关于公布检验检测机构名单的公告", "2024-01-05"),
    ]


def test_base_href_is_honoured() -> None:
    html = (
        '<html><head><base href="https://www.samr.gov.cn/"></head><body><ul>'
        '<li><a href="hd/zjdc/art/2026/art_1.html">关于公开征求认证管理办法意见的公告</a><span>2026-09-17</span></li>'
        "</ul></body></html>"
    )
    items = extract_list(html, "https://www.samr.gov.cn/hd/zjdc/")
    assert rows(items) == [
        (
            "https://www.samr.gov.cn/hd/zjdc/art/2026/art_1.html",
            "关于公开征求认证管理办法意见的公告",
            "2026-09-17",
        )
    ]


def test_pages_without_a_list_give_nothing() -> None:
    assert extract_list("", "https://x.gov.cn/") == []
    assert (
        extract_list(read("cnca_column_page.html"), "https://www.cnca.gov.cn/zwxx/gg/index.html")
        == []
    )
    menu_only = '<ul><li><a href="/a/">首页</a></li><li><a href="/b/">政务公开</a></li><li><a href="/c/">办事</a></li></ul>'
    assert extract_list(menu_only, "https://x.gov.cn/") == []


def test_selectors_override_detection() -> None:
    html = read("static_table.html")
    selectors = Selectors(items="table.list tr", title="td:nth-child(2)", link="a", date="td.date")
    items = extract_list(html, "http://www.example-province.gov.cn/gsgg/index.html", selectors)
    assert rows(items)[:2] == [
        (
            "http://www.example-province.gov.cn/gsgg/2024/0312/c123.html",
            "关于2024年第一批检验检测机构资质认定许可情况的公示",
            "2024-03-12",
        ),
        (
            "http://www.example-province.gov.cn/gsgg/2024/0301/c122.html",
            "关于注销部分检验检测机构资质认定证书的公告",
            "2024-03-01",
        ),
    ]
    # only items: link, title and date are found inside each row automatically
    auto = extract_list(
        html, "http://www.example-province.gov.cn/gsgg/index.html", Selectors(items="table.nav td")
    )
    assert rows(auto) == [
        ("http://www.example-province.gov.cn/gsgg/", "公示公告", None),
        ("http://www.example-province.gov.cn/zcfg/", "政策法规", None),
    ]


def test_bad_selector_is_an_extract_error() -> None:
    with pytest.raises(ExtractError, match="invalid CSS selector for items"):
        extract_list("<ul><li>x</li></ul>", "https://x.gov.cn/", Selectors(items="li[["))


@pytest.mark.parametrize("list_class", ["list", "common_list_ul"])
def test_short_category_links_inside_rows_do_not_split_them(list_class: str) -> None:
    menu = "".join(f'<li><a href="/c{i}/">栏目{i}</a></li>' for i in range(6))
    rows_html = "".join(
        f'<li><a href="/col/tz/">[通知]</a><a href="/art/{i}.html">关于开展第{i}批认证工作的通知</a>'
        f"<span>2024-01-{i + 10}</span></li>"
        for i in range(3)
    )
    html = f'<ul class="menu">{menu}</ul><ul class="{list_class}">{rows_html}</ul>'
    assert rows(extract_list(html, "https://x.cn/")) == [
        (f"https://x.cn/art/{i}.html", f"关于开展第{i}批认证工作的通知", f"2024-01-{i + 10}")
        for i in range(3)
    ]


def test_short_titles_inside_the_list_are_kept() -> None:
    menu = "".join(f'<li><a href="/c{i}/">栏目{i}</a></li>' for i in range(8))
    html = (
        f'<ul class="menu">{menu}</ul><table class="list">'
        '<tr><td><a href="/a/1.html">关于开展认证机构专项检查的通知</a></td><td>2024-03-01</td></tr>'
        '<tr><td><a href="/a/2.html">人事任免</a></td><td>2024-02-20</td></tr>'
        '<tr><td><a href="/a/3.html">关于公布检验检测机构名单的公告</a></td><td>2024-02-01</td></tr>'
        "</table>"
    )
    assert rows(extract_list(html, "https://x.cn/")) == [
        ("https://x.cn/a/1.html", "关于开展认证机构专项检查的通知", "2024-03-01"),
        ("https://x.cn/a/2.html", "人事任免", "2024-02-20"),
        ("https://x.cn/a/3.html", "关于公布检验检测机构名单的公告", "2024-02-01"),
    ]


def test_folder_relative_hrefs_repeating_the_column_path_are_site_relative() -> None:
    # the 征集调查 fragment links "hd/zjdc/art/…" while the column is /hd/zjdc/
    html = parse_jpaas_payload(read("samr_zjdc_api.json")).html
    assert 'href="hd/zjdc/art/2026/' in html
    urls = [item.url for item in extract_list(html, "https://www.samr.gov.cn/hd/zjdc/index.html")]
    assert urls == [
        "https://www.samr.gov.cn/hd/zjdc/art/2026/art_3d4e5f60718293a4b5c6d7e8f9a0b1c2.html",
        "https://www.samr.gov.cn/hd/zjdc/art/2026/art_4e5f60718293a4b5c6d7e8f9a0b1c2d3.html",
    ]
    # an ordinary folder-relative link is resolved normally
    other = '<ul><li><a href="art/1.html">关于开展认证机构专项检查的通知</a><span>2024-01-02</span></li></ul>'
    assert [i.url for i in extract_list(other, "https://www.samr.gov.cn/hd/zjdc/")] == [
        "https://www.samr.gov.cn/hd/zjdc/art/1.html"
    ]
