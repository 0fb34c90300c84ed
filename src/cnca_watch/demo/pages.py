"""Render the demo mirror's pages from site data and templates (pure: text in, text out)."""

from __future__ import annotations

import json
import math
from functools import lru_cache
from dataclasses import dataclass
from html import escape
from pathlib import Path
from string import Template

from cnca_watch.demo.sitedata import DEFAULT_ROOT, AttachmentLink, Column, Item

API_PATH = "/api-gateway/jpaas-publish-server/front/page/build/unit"
DEFAULT_API_PAGE_SIZE = 20  # what the real API returns without paramJson

_WORD_SPAN = "font-size:16.0pt;font-family:仿宋_GB2312;mso-hansi-font-family:'Times New Roman'"
_WORD_INDENT = "text-indent:32.0pt;mso-char-indent-count:2.0;line-height:28.0pt;mso-line-height-rule:exactly"


@dataclass(frozen=True, slots=True)
class Templates:
    root: Path

    def get(self, name: str) -> Template:
        return Template(_read_template(self.root, name))

    def chrome(self, family: str) -> dict[str, str]:
        prefix = "cnca" if family == "cnca-jpaas" else "samr"
        return {
            "chrome_top": _read_template(self.root, f"{prefix}_chrome_top"),
            "chrome_bottom": _read_template(self.root, f"{prefix}_chrome_bottom"),
        }


@lru_cache(maxsize=64)
def _read_template(root: Path, name: str) -> str:
    return (root / "templates" / f"{name}.html").read_text(encoding="utf-8")


def default_templates() -> Templates:
    return Templates(DEFAULT_ROOT)


def querydata(column: Column) -> str:
    """The single-quoted pseudo-JSON the real sites put in the script's querydata attribute."""
    pairs = {
        "webId": column.web_id,
        "pageId": column.page_id,
        "tplSetId": column.tpl_set_id,
        "pageType": "column",
        "tagId": "内容区域",
        "editType": "null",
        "parseType": "bulidstatic",
    }
    return "{" + ",".join(f"'{k}':'{v}'" for k, v in pairs.items()) + "}"


def column_page(column: Column, templates: Templates) -> str:
    """A jpaas column page: chrome and the querydata script, no list rows."""
    name = "cnca_column" if column.family == "cnca-jpaas" else "samr_column"
    return templates.get(name).substitute(
        column_name=escape(column.column_name),
        parent_name=escape(column.parent_name),
        list_path=column.list_path,
        page_id=column.page_id,
        querydata=escape(querydata(column), quote=False),
        **templates.chrome(column.family),
    )


def api_fragment(column: Column, items: tuple[Item, ...], page_no: int, page_size: int) -> str:
    """The ``data.html`` fragment for one page of a jpaas column."""
    start = (page_no - 1) * page_size
    window = items[start : start + page_size] if start >= 0 else ()
    pagination = _pagination(len(items), page_no, page_size)
    if column.family == "samr-jpaas":
        rows = "".join(
            f'<ul><li class="nav04Left02_content"><a href="{escape(i.href)}" title="{escape(i.title_attr)}"'
            f' target="_blank">{escape(i.list_text, quote=False)}</a></li>'
            f'<li class="nav04Left02_contenttime">{i.date}</li></ul>\n'
            for i in window
        )
        return f'<div class="Three_zhnlist_02">\n{rows}{pagination}</div>'
    rows = "".join(
        f'<li><a href="{escape(i.href)}" title="{escape(i.title_attr)}" target="_blank">'
        f"{escape(i.list_text, quote=False)}</a><span>{i.date}</span></li>\n"
        for i in window
    )
    return f'<div class="list_con_box">\n<ul class="common_list_ul">\n{rows}</ul>\n{pagination}</div>'


def api_payload(fragment: str) -> str:
    return json.dumps({"success": True, "code": "200", "message": "操作成功", "data": {"html": fragment}},
                      ensure_ascii=False)


def api_error_payload(message: str) -> str:
    return json.dumps({"success": False, "code": "500", "message": message, "data": None}, ensure_ascii=False)


def _pagination(total: int, page_no: int, page_size: int) -> str:
    pages = max(1, math.ceil(total / page_size))
    links = "".join(
        f'<span class="current">{n}</span>' if n == page_no else f'<a href="javascript:;" pageno="{n}">{n}</a>'
        for n in range(1, pages + 1)
    )
    nxt = f'<a href="javascript:;" pageno="{page_no + 1}">下一页</a>' if page_no < pages else ""
    return f'<div class="pagination" count="{total}" pagesize="{page_size}">{links}{nxt}</div>\n'


def _word_p(text: str, style: str = _WORD_INDENT, align: str = "") -> str:
    align_attr = f' align="{align}"' if align else ""
    return (
        f'<p class="MsoNormal"{align_attr} style="{style}"><span style="{_WORD_SPAN}">'
        f'{escape(text, quote=False)}<span lang="EN-US"><o:p></o:p></span></span></p>'
    )


def _cnca_body(column: Column, item: Item) -> str:
    parts: list[str] = []
    if item.doc_no:
        parts.append(_word_p(item.doc_no, "text-align:center;line-height:28.0pt", align="center"))
    if item.addressee:
        parts.append(_word_p(item.addressee, "line-height:28.0pt;mso-line-height-rule:exactly"))
    for text in item.paragraphs:
        parts.append(_word_p(text))
    for attachment in item.attachments:
        parts.append(
            f'<p class="MsoNormal" style="{_WORD_INDENT}"><a style="color:blue" href="{escape(attachment.href)}"'
            f' name="orginal" target="_blank">{escape(attachment.name, quote=False)}</a></p>'
        )
    parts.append('<p class="MsoNormal"><span lang="EN-US"><o:p>&nbsp;</o:p></span></p>')
    if item.signer:
        right = "text-align:right;mso-para-margin-right:4.0gd;line-height:28.0pt"
        parts.append(_word_p(item.signer, right, align="right"))
        parts.append(_word_p(item.sign_date, right, align="right"))
    if column.key == "cnca-notices":
        parts.append(_word_p("（此件公开发布）"))
    # In-place corrections are appended at the very end of the published text.
    for text in item.appended:
        parts.append(_word_p(text))
    return "\n".join(parts)


def cnca_detail(column: Column, item: Item, templates: Templates) -> str:
    banner = ""
    if column.key == "cnca-announcements":
        banner = '      <p class="detail_banner" style="color:#d00;font-size:36px;text-align:center">国家认证认可监督管理委员会公告</p>'
    return templates.get("cnca_detail").substitute(
        column_name=escape(column.column_name),
        parent_name=escape(column.parent_name),
        list_path=column.list_path,
        meta_title=escape(item.meta_title),
        pubdate=item.pubdate,
        source=escape(item.source),
        title=escape(item.title, quote=False),
        date=item.date,
        banner=banner,
        body=_cnca_body(column, item),
        **templates.chrome(column.family),
    )


def _plain_p(text: str, style: str = "text-indent:2em;") -> str:
    return f'<p style="{style}">{escape(text, quote=False)}</p>'


def samr_detail(column: Column, item: Item, templates: Templates) -> str:
    body: list[str] = []
    if item.doc_no:
        body.append(_plain_p(item.doc_no, "text-align:center;"))
    if item.addressee:
        body.append(f"<p>{escape(item.addressee, quote=False)}</p>")
    body.extend(_plain_p(text) for text in item.paragraphs)
    if item.signer:
        body.append(_plain_p(item.signer, "text-align:right;"))
        body.append(_plain_p(item.sign_date, "text-align:right;"))
    body.extend(_plain_p(text) for text in item.appended)
    attachments = "\n".join(
        f'      <li class="contentLeft0102 contentLeft0103"><a href="{escape(a.href)}" title="{escape(a.name)}"'
        f' target="_blank">{escape(a.name, quote=False)}</a></li>'
        for a in item.attachments
    )
    return templates.get("samr_detail").substitute(
        column_name=escape(column.column_name),
        parent_name=escape(column.parent_name),
        list_path=column.list_path,
        meta_title=escape(item.meta_title),
        pubdate=item.pubdate,
        source=escape(item.source),
        title=escape(item.title, quote=False),
        date=item.date,
        body="\n".join(body),
        attachments=attachments,
        **templates.chrome(column.family),
    )


# The story mirror's one static page: a pager whose links go nowhere (everything fits on it).
_SINGLE_PAGE_PAGER = (
    '<div class="page">共{count}条记录　<a href="javascript:void(0)">首页</a> <a href="javascript:void(0)">上一页</a>'
    ' <a href="javascript:void(0)">下一页</a> <a href="javascript:void(0)">尾页</a></div>'
)


def static_page_name(index: int) -> str:
    """TRS numbering: page 0 is index.html, then index_1.html, index_2.html, …"""
    return "index.html" if index == 0 else f"index_{index}.html"


def trs_pager(total: int, index: int, page_count: int) -> str:
    """The pager TRS-built provincial sites write: a count and a createPageHTML call (JS draws the links)."""
    return (
        f'<div class="page">共{total}条记录　<script type="text/javascript">'
        f'createPageHTML({page_count}, {index}, "index", "html");</script></div>'
    )


def province_list(column: Column, items: tuple[Item, ...], templates: Templates, pager: str | None = None) -> str:
    """A static list page holding ``items``; ``pager`` defaults to the story's single page."""
    rows = "\n".join(
        f'<li><a href="{escape(i.href)}" target="_blank" title="{escape(i.title_attr)}">'
        f"{escape(i.list_text, quote=False)}</a><span>[{i.date}]</span></li>"
        for i in items
    )
    return templates.get("province_list").substitute(
        column_name=escape(column.column_name),
        parent_name=escape(column.parent_name),
        rows=rows,
        pager=_SINGLE_PAGE_PAGER.format(count=len(items)) if pager is None else pager,
    )


def province_detail(column: Column, item: Item, templates: Templates) -> str:
    attachments = ""
    if item.attachments:
        links = "".join(
            f'<p><a href="{escape(a.href)}" target="_blank">{escape(a.name, quote=False)}</a></p>'
            for a in item.attachments
        )
        attachments = f'<div class="fj">相关附件：{links}</div>'
    return templates.get("province_detail").substitute(
        column_name=escape(column.column_name),
        parent_name=escape(column.parent_name),
        list_path=column.list_path,
        title=escape(item.title, quote=False),
        date=item.date,
        source=escape(item.source),
        body="\n".join(_plain_p(text) for text in item.paragraphs + item.appended),
        attachments=attachments,
    )


def attachment_paths(item: Item) -> tuple[str, ...]:
    """Site paths (no query) of the item's attachments, resolved against its detail page."""
    return tuple(_resolve_path(item.path, a) for a in item.attachments)


def _resolve_path(page_path: str, attachment: AttachmentLink) -> str:
    href = attachment.href.split("?", 1)[0]
    if href.startswith("/"):
        return href
    base = page_path.rsplit("/", 1)[0]
    return f"{base}/{href[2:] if href.startswith('./') else href}"
