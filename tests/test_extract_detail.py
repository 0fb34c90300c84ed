"""extract_detail on CNCA (plain and red-header), SAMR, old TRS and generic pages."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

import pytest

from cnca_watch.errors import ExtractError
from cnca_watch.extract import extract_detail, is_announcement_page, is_attachment_url
from cnca_watch.models import Attachment, Detail
from cnca_watch.settings import Selectors

FIXTURES = Path(__file__).parent / "fixtures" / "extract"
CNCA = "https://www.cnca.gov.cn"


def read(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def test_cnca_detail_page() -> None:
    detail = extract_detail(
        read("cnca_detail.html"),
        CNCA + "/zwxx/tz/2024/art/2024/art_25b9c58edd6742138c3214a909c51554.html",
    )
    assert detail.title == "关于开展2024年认证机构“双随机”检查的通知"
    assert detail.date == "2024-05-28"  # displayed 发布时间, not meta PubDate 2024-06-05
    assert detail.issuer == "国家认监委"
    assert detail.body == "\n".join(
        [
            "认秘函〔2024〕58号",
            "各认证机构：",
            "为加强认证活动事中事后监管，国家认监委决定开展2024年认证机构检查。",
            "序号 机构名称",
            "1 某认证有限公司",
            "附件：",
            "附件2：检查表.docx",
            "下载",
            "附件2（重复链接）",
            "相关通知",
            "国家认监委秘书处",
            "2024年5月24日",
        ]
    )
    assert "not body text" not in detail.body
    assert (
        detail.attachments
        == (
            Attachment(
                url=CNCA + "/api-gateway/jpaas-web-server/front/document/download?fileUrl="
                "Y21zX2ZpbGVzL2ZpbGVtYW5hZ2VyLzk1MzA5MTUzNw%3D%3D&fileName="
                "%E9%99%84%E4%BB%B61%EF%BC%9A%E6%A3%80%E6%9F%A5%E5%90%8D%E5%8D%95.pdf",
                name="附件1：检查名单.pdf",  # only in fileName=
            ),
            Attachment(
                url=CNCA
                + "/cms_files/filemanager/953091537/attach/20245/6fccd3cbcf6c4dc89d5fb56e88c2cbe7.docx",
                name="附件2：检查表.docx",  # title="" -> link text; the duplicate link is dropped
            ),
            Attachment(
                url=CNCA
                + "/cms_files/filemanager/953091537/attach/20245/W020240528337921105155.pdf"
                "?fileName=%E9%99%84%E4%BB%B63.pdf",
                name="附件3：说明材料.pdf",  # title attribute wins over "下载"
            ),
        )
    )  # the footer's sitemap.pdf is outside the body: not an attachment


def test_cnca_red_header_title_comes_from_the_comment() -> None:
    html = read("cnca_detail_redheader.html").replace(
        '<meta name="ArticleTitle" content="市场监管总局关于发布强制性产品认证目录描述与界定表的公告">',
        "",
    )
    detail = extract_detail(
        html, CNCA + "/zwxx/gg/zjgg/art/2023/art_31ce43f5837d408cb2023ec693615ada.html"
    )
    assert detail == Detail(
        title="市场监管总局关于发布强制性产品认证目录描述与界定表的公告",
        date="2023-09-05",
        body="2023年第36号\n为进一步做好强制性产品认证工作，市场监管总局对《强制性产品认证目录描述与界定表》进行了修订，"
        "现予发布。\n附件：\n市场监管总局\n2023年8月10日",
        attachments=(
            Attachment(
                url=CNCA
                + "/api-gateway/jpaas-web-server/front/document/download?fileUrl=abc%2Fdef&fileName="
                "%E5%BC%BA%E5%88%B6%E6%80%A7%E4%BA%A7%E5%93%81%E8%AE%A4%E8%AF%81%E7%9B%AE%E5%BD%95%E6%8F%8F"
                "%E8%BF%B0%E4%B8%8E%E7%95%8C%E5%AE%9A%E8%A1%A8.pdf",
                name="强制性产品认证目录描述与界定表.pdf",
            ),
        ),
        issuer=None,  # ContentSource is empty and no 信息来源 is shown
    )


def test_cnca_red_header_title_falls_back_to_meta_article_title() -> None:
    html = (
        read("cnca_detail_redheader.html")
        .replace(
            '<!-- <p class="detail_tittle">市场监管总局关于发布强制性产品认证目录描述与界定表的公告</p> -->',
            "",
        )
        .replace(
            'content="市场监管总局关于发布强制性产品认证目录描述与界定表的公告"',
            'content="元数据里的标题"',
        )
    )
    assert extract_detail(html, CNCA + "/a.html").title == "元数据里的标题"


def test_samr_detail_page() -> None:
    detail = extract_detail(
        read("samr_detail.html"),
        "https://www.samr.gov.cn/zw/zfxxgk/fdzdgknr/rzjgs/art/2026/art_1.html",
    )
    samr = "https://www.samr.gov.cn/cms_files/filemanager/1647978232/attach/"
    assert (
        detail
        == Detail(
            title="市场监管总局关于对出口转内销产品认证有关事项的公告",  # meta title's hard line breaks joined
            date="2026-09-16",  # displayed 发布日期 beats PubDate 2026-09-17 14:00
            body="为支持外贸企业出口产品转内销，现将有关事项公告如下：\n一、简化认证程序。\n"
            "（一）对已获得国外认证的产品，认证机构可采信有关检测结果。\n二、本公告自发布之日起实施。",
            attachments=(
                Attachment(
                    samr
                    + "20269/34517ae8e5c34f1c9a8b7d6e5f4a3b21.pdf?fileName=" + quote("附件1：产品清单.pdf"),
                    "附件1：产品清单.pdf",
                ),
                Attachment(
                    samr
                    + "20268/e1bd69e8c0d94f2a8b7c6d5e4f3a2b10.wps?fileName=%E9%99%84%E4%BB%B62%EF%BC%9A%E7%94%B3%E8%AF%B7%E8%A1%A8.wps",
                    "附件2：申请表.wps",
                ),
                Attachment(
                    samr + "20269/bf4a5a51d2c34e5f8a9b0c1d2e3f4a5b.xlsx",
                    "bf4a5a51d2c34e5f8a9b0c1d2e3f4a5b.xlsx",
                ),
            ),
            issuer="认证监管司",
        )
    )


def test_pubdate_is_only_a_fallback() -> None:
    html = read("samr_detail.html").replace(
        '<div class="Three_xilan_05">发布日期：2026-09-16</div>', ""
    )
    assert extract_detail(html, "https://www.samr.gov.cn/a.html").date == "2026-09-17"


def test_old_trs_editor_page() -> None:
    detail = extract_detail(
        read("old_trs_detail.html"), "http://www.cnca.gov.cn/xxgk/hydt/201912/t20191220_58123.shtml"
    )
    assert detail == Detail(
        title="国家认监委召开2019年认证认可检验检测工作座谈会",  # <title> without the site name
        date="2019-12-20",
        body="12月19日，国家认监委在京召开座谈会。\n会议总结了2019年工作，部署了2020年重点任务。\n与会代表进行了交流。\n会议材料",
        attachments=(
            Attachment(
                "http://www.cnca.gov.cn/xxgk/hydt/201912/P020191220512345678901.pdf", "会议材料"
            ),
            Attachment(
                "http://www.cnca.gov.cn/xxgk/hydt/201912/W020191220512345678902.ofd",
                "W020191220512345678902.ofd",
            ),
        ),
        issuer="国家认监委",
    )


def test_generic_page_uses_the_largest_text_block() -> None:
    html = (
        "<html><head><title>关于认证机构年检的通知 - 某省市场监督管理局</title></head><body>"
        '<div class="nav"><p>首页</p><p>政务公开</p></div>'
        '<div class="main"><p>各有关单位：</p><p>现将认证机构年检有关事项通知如下。</p>'
        '<p>附件：<a href="files/名单.xlsx">名单</a> <a href="/doc/a.html">相关</a> <a href="x.ZIP">打包</a></p></div>'
        "</body></html>"
    )
    detail = extract_detail(html, "http://scjg.example.gov.cn/tzgg/1.html")
    assert detail.title == "关于认证机构年检的通知"
    assert detail.body == "各有关单位：\n现将认证机构年检有关事项通知如下。\n附件：名单 相关 打包"
    assert detail.attachments == (
        Attachment("http://scjg.example.gov.cn/tzgg/files/" + quote("名单.xlsx"), "名单"),
        Attachment("http://scjg.example.gov.cn/tzgg/x.ZIP", "打包"),
    )
    assert detail.date is None and detail.issuer is None


def test_body_selector_override() -> None:
    html = (
        '<div id="a"><p>第一段</p></div><div id="b"><p>正文甲</p><p>正文乙</p><p>正文丙</p></div>'
    )
    assert extract_detail(html, "https://x.cn/", Selectors(body="#a")).body == "第一段"
    with pytest.raises(ExtractError, match="invalid CSS selector for body"):
        extract_detail(html, "https://x.cn/", Selectors(body="div[["))


def test_empty_page() -> None:
    assert extract_detail("", "https://x.cn/") == Detail(
        title=None, date=None, body="", attachments=(), issuer=None
    )


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://a.cn/x/y.PDF", True),
        ("https://a.cn/x/y.docx?fileName=z", True),
        (
            "https://a.cn/api-gateway/jpaas-web-server/front/document/download?fileUrl=a&fileName=b.pdf",
            True,
        ),
        ("https://a.cn/x/y.html?fileName=a.pdf", False),
        ("https://a.cn/x/pdf", False),
    ],
)
def test_is_attachment_url(url: str, expected: bool) -> None:
    assert is_attachment_url(url) is expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("cnca_detail.html", True),
        ("cnca_detail_redheader.html", True),
        ("samr_detail.html", True),
        ("cnca_column_page.html", False),
        ("static_table.html", False),
        ("liebiao.html", False),
        ("samr_content3.html", False),
    ],
)
def test_is_announcement_page(name: str, expected: bool) -> None:
    assert is_announcement_page(read(name)) is expected


def test_is_announcement_page_reads_any_quoting_and_case() -> None:
    assert is_announcement_page("<META content='x' NAME=articletitle>")
    assert not is_announcement_page('<meta name="ArticleTitleX" content="x">')
    assert not is_announcement_page("<p>ArticleTitle is a meta tag name</p>")
