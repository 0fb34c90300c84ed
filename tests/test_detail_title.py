"""A detail page's title with stray spaces inside Chinese reads as the list row does."""

from __future__ import annotations

from pathlib import Path

import pytest

from cnca_watch.extract import extract_detail
from cnca_watch.extract.lists import whole_title
from cnca_watch.extract.text import tidy_title

FIXTURES = Path(__file__).parent / "fixtures" / "extract"
CNCA = "https://www.cnca.gov.cn"
WHOLE = "市场监管总局关于公开征求《认证机构管理办法（修订草案征求意见稿）》意见的公告"


@pytest.mark.parametrize(
    ("raw", "tidy"),
    [
        ("市场监管总局关于公开征求《认证机构管理办法 （修订草案征求意见稿）》 意见的 公告", WHOLE),
        ("市场监管总局 关于公开征求 《认证机构管理办法（修订草案征求意见稿）》意见的公告", WHOLE),
        # two issuers: the space between their names is the page's, not stray
        ("市场监管总局 国家认监委关于 发布目录的公告", "市场监管总局 国家认监委关于发布目录的公告"),
        ("关于开展2024年 CCC 认证工作的通知", "关于开展2024年 CCC 认证工作的通知"),
    ],
)
def test_tidy_title_drops_only_the_stray_spaces(raw: str, tidy: str) -> None:
    assert tidy_title(raw) == tidy


def test_a_meta_title_with_stray_spaces_completes_a_cut_short_list_title() -> None:
    html = (FIXTURES / "cnca_detail_redheader.html").read_text(encoding="utf-8")
    html = html.replace(
        '<!-- <p class="detail_tittle">市场监管总局关于发布强制性产品认证目录描述与界定表的公告</p> -->', ""
    ).replace(
        'content="市场监管总局关于发布强制性产品认证目录描述与界定表的公告"',
        'content="市场监管总局关于公开征求《认证机构管理办法 （修订草案征求意见稿）》 意见的 公告"',
    )
    detail = extract_detail(html, CNCA + "/a.html")
    assert detail.title == WHOLE
    # the list row cut it short: the whole title now comes from the detail page
    assert whole_title("市场监管总局关于公开征求《认证机构管理办法…", detail.title) == WHOLE
