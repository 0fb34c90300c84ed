"""Detail pages: title, publication date, issuer, body text and attachments.

Known templates first (CNCA ``div.detail_main``, SAMR ``div.Three_xilan_07``, old CNCA
``.TRS_Editor``), then a generic fallback (meta ArticleTitle / <title>, the block holding
the most paragraph text).  The displayed 发布时间 wins over meta PubDate, which the sites
rewrite on re-edits and migrations.
"""

from __future__ import annotations

import html as html_module
import re
from urllib.parse import parse_qs, unquote, urlsplit

from selectolax.lexbor import LexborHTMLParser, LexborNode

from ..models import Attachment, Detail
from ..settings import Selectors
from ..urls import canonical_url
from .dates import parse_date
from .text import attr, clean_text, css_first, parse_html, tidy_title

# CNCA and SAMR announcement pages name their article in a meta tag; list pages never do.
_ARTICLE_META = re.compile(r"""<meta\s[^>]*name\s*=\s*["']?ArticleTitle\b""", re.IGNORECASE)


def is_announcement_page(html: str) -> bool:
    """True for a CNCA/SAMR announcement (detail) page: a source pointed at one by mistake."""
    return _ARTICLE_META.search(html, 0, 64 * 1024) is not None


ATTACHMENT_EXTENSIONS = (
    ".pdf",
    ".doc",
    ".docx",
    ".wps",
    ".xls",
    ".xlsx",
    ".et",
    ".zip",
    ".rar",
    ".ofd",
    ".txt",
)
DOWNLOAD_GATEWAY_PATH = "/front/document/download"

_BODY_SELECTORS = (
    "div.detail_messge",
    "div.Three_xilan_07",
    ".TRS_Editor",
    "#zoom",
    "div.article-content",
    "div.article_con",
    "div.pages_content",
    "article",
)
_ATTACHMENT_LISTS = (
    "ul.contentLeft0102box, [class*=attach], [id*=attach], [class*=fujian], [id*=fujian], "
    "[class*=xgfj], [class~=fj], [id~=fj], div.detail_main"
)
_DROP_TAGS = ["script", "style", "noscript", "template", "iframe", "object"]
_BLOCK_TAGS = (
    "p, div, br, li, tr, h1, h2, h3, h4, h5, h6, table, section, article, blockquote, pre, "
    "ul, ol, dl, dt, dd, hr, header, footer, caption, figure, figcaption, address"
)
_CELL_TAGS = "td, th"
_PARAGRAPH_MARK = "\ue000"  # private-use: cannot occur in a real page's text
_CELL_MARK = "\ue001"
_DATE_LABELS = ("发布时间", "发布日期", "发文日期", "发表时间", "公开日期")
_ISSUER_LABELS = ("信息来源", "来源", "发布机构", "发文机关")
_COMMENT_TITLE = re.compile(
    r"<p[^>]*class\s*=\s*[\"']?[^\"'>]*detail_tittle[^>]*>(.*?)</p>", re.DOTALL | re.IGNORECASE
)
_TAG = re.compile(r"<[^>]*>")
_GAP = re.compile(r"\s{2,}|[\u3000\xa0\n]")
_RED = re.compile(
    r"color\s*:\s*(?:red|#f00\b|#ff0000|rgb\(\s*255\s*,\s*0\s*,\s*0\s*\))", re.IGNORECASE
)
_HIDDEN = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
_SITE_SUFFIX = re.compile(r"\s*(?:[_|｜]|——|--| - )\s*[^_|｜]{2,40}$")
_SITE_WORDS = ("委员会", "总局", "网站", "门户", "政府", "管理局", "监督局", "监管局", "厅", "官网")
_BANNER_WORDS = ("国家市场监督管理总局", "国家认证认可监督管理委员会", "国家认监委", "市场监管总局")


def extract_detail(html: str, page_url: str, selectors: Selectors | None = None) -> Detail:
    tree = parse_html(html)
    metas = _metas(tree)
    title = _title(tree, metas)
    body_node = _body_node(tree, selectors)
    attachments = _attachments(tree, body_node, page_url)
    date = (
        _displayed_date(tree)
        or parse_date(metas.get("pubdate"))
        or parse_date(metas.get("firstpublishedtime") or metas.get("publishdate"))
    )
    issuer = _issuer(tree, metas)
    body = _block_text(body_node) if body_node is not None else ""
    return Detail(
        title=title or None,
        date=date,
        body=body,
        attachments=tuple(attachments),
        issuer=issuer or None,
    )


def _metas(tree: LexborHTMLParser) -> dict[str, str]:
    found: dict[str, str] = {}
    for meta in tree.css("meta[name]"):
        name = (attr(meta, "name") or "").strip().lower()
        content = attr(meta, "content")
        if name and content and name not in found:
            found[name] = content
    return found


# --- title ----------------------------------------------------------------------------


def _title(tree: LexborHTMLParser, metas: dict[str, str]) -> str:
    return tidy_title(_raw_title(tree, metas))


def _raw_title(tree: LexborHTMLParser, metas: dict[str, str]) -> str:
    visible: list[str] = []
    red_header = False
    for node in tree.css("p.detail_tittle"):
        text = clean_text(node.text())
        if not text:
            continue
        if _is_banner(node, text):
            red_header = True
        elif not _HIDDEN.search(attr(node, "style") or "") and not _is_doc_kind(text):
            visible.append(text)
    if visible and not red_header:
        return visible[0]
    # red 公文 header: the plain title survives only in a comment and in the meta tags
    comment_title = _comment_title(tree)
    if comment_title:
        return comment_title
    meta_title = clean_text(metas.get("articletitle"))
    if meta_title:
        return meta_title
    if visible:
        return visible[0]
    headings = tree.css("h1")
    if len(headings) == 1:
        heading = clean_text(headings[0].text())
        if heading:
            return heading
    title_node = tree.css_first("title")
    return _strip_site_name(clean_text(title_node.text())) if title_node is not None else ""


def _is_doc_kind(text: str) -> bool:
    """ "公　　告" / "通　　告" placeholders of the red header."""
    return text.replace(" ", "") in ("公告", "通告", "通知", "决定", "命令")


def _is_banner(node: LexborNode, text: str) -> bool:
    """The red 公文 header repeats the agency name in 44px red, not the title."""
    if _RED.search(attr(node, "style") or ""):
        return True
    if text.replace(" ", "") in _BANNER_WORDS:
        return True
    for child in node.css("[style]"):
        if _RED.search(attr(child, "style") or ""):
            return True
    return False


def _comment_title(tree: LexborHTMLParser) -> str:
    """Red-header pages keep the plain title as ``<!-- <p class="detail_tittle">…</p> -->``."""
    scope = tree.css_first("div.detail_main") or tree.body
    if scope is None:
        return ""
    for node in scope.traverse(include_text=True):
        if not node.is_comment_node:
            continue
        content = node.comment_content or ""
        if "detail_tittle" not in content:
            continue
        match = _COMMENT_TITLE.search(content)
        if match:
            text = clean_text(_unescape(_TAG.sub("", match[1])))
            if text:
                return text
    return ""


def _unescape(text: str) -> str:
    return html_module.unescape(text)


def _strip_site_name(title: str) -> str:
    match = _SITE_SUFFIX.search(title)
    if match and any(word in match.group(0) for word in _SITE_WORDS):
        stripped = title[: match.start()].strip()
        if stripped:
            return stripped
    return title


# --- date and issuer -------------------------------------------------------------------


def _info_text(tree: LexborHTMLParser) -> str:
    info = tree.css_first("p.detail_xx")
    if info is not None:
        return info.text(separator=" ")
    return ""


def _displayed_date(tree: LexborHTMLParser) -> str | None:
    for source in (_info_text, _page_text):  # the page text only when the info line fails
        text = source(tree)
        for label in _DATE_LABELS:
            at = text.find(label)
            if at >= 0:
                date = parse_date(text[at + len(label) : at + len(label) + 40])
                if date:
                    return date
    return None


def _page_text(tree: LexborHTMLParser) -> str:
    body = tree.body
    return body.text(separator=" ") if body is not None else ""


def _issuer(tree: LexborHTMLParser, metas: dict[str, str]) -> str:
    source = tree.css_first("#source")
    if source is not None:
        text = clean_text(source.text())
        if text:
            return text
    return (
        _labelled_issuer(_info_text(tree))
        or clean_text(metas.get("contentsource"))
        or _labelled_issuer(_page_text(tree))
    )


def _labelled_issuer(text: str) -> str:
    """ "信息来源：国家认监委　发布时间：…" -> "国家认监委"."""
    for label in _ISSUER_LABELS:
        at = text.find(label + "：")
        if at < 0:
            at = text.find(label + ":")
        if at < 0:
            continue
        rest = text[at + len(label) + 1 : at + len(label) + 80]
        for stop in _DATE_LABELS:
            rest = rest.split(stop, 1)[0]
        first = _GAP.split(rest.strip(" \t\u3000\xa0"), 1)[0]
        issuer = clean_text(first)
        if issuer and len(issuer) <= 30:
            return issuer
    return ""


# --- body ------------------------------------------------------------------------------


def _body_node(tree: LexborHTMLParser, selectors: Selectors | None) -> LexborNode | None:
    if selectors is not None and selectors.body:
        configured = css_first(tree, selectors.body, "body")
        if configured is not None:
            return configured
    for selector in _BODY_SELECTORS:
        node = tree.css_first(selector)
        if node is not None:
            return node
    return _largest_text_block(tree)


def _largest_text_block(tree: LexborHTMLParser) -> LexborNode | None:
    weight: dict[int, int] = {}
    holder: dict[int, LexborNode] = {}
    for paragraph in tree.css("p, td, li"):
        parent = paragraph.parent
        if parent is None:
            continue
        length = len(paragraph.text(strip=True))
        if length == 0:
            continue
        key = parent.mem_id
        weight[key] = weight.get(key, 0) + length
        holder[key] = parent
    if weight:
        best = max(weight, key=lambda key: weight[key])
        node = holder[best]
        if node.tag in ("tr", "ul", "ol") and node.parent is not None:
            node = node.parent
        return node
    return tree.body


def _block_text(node: LexborNode) -> str:
    """Plain text: one line per block element, whitespace collapsed, scripts dropped.

    Table rows become lines with cells separated by a space (Word puts <p> inside cells).
    """
    for dropped in node.css(", ".join(_DROP_TAGS)):
        dropped.decompose()
    inside_cells = {inner.mem_id for inner in node.css("td *, th *")}
    for block in node.css(_BLOCK_TAGS):
        mark = " " if block.mem_id in inside_cells else _PARAGRAPH_MARK
        block.insert_before(mark)
        block.insert_after(mark)
    for cell in node.css(_CELL_TAGS):
        cell.insert_after(_CELL_MARK)
    text = node.text()
    lines: list[str] = []
    for chunk in text.split(_PARAGRAPH_MARK):
        cells = [clean_text(cell) for cell in chunk.split(_CELL_MARK)]
        line = " ".join(cell for cell in cells if cell)
        if line:
            lines.append(line)
    return "\n".join(lines)


# --- attachments -----------------------------------------------------------------------


def is_attachment_url(url: str) -> bool:
    path = urlsplit(url).path.lower()
    return path.endswith(ATTACHMENT_EXTENSIONS) or path.endswith(DOWNLOAD_GATEWAY_PATH)


def _attachments(
    tree: LexborHTMLParser, body: LexborNode | None, page_url: str
) -> list[Attachment]:
    scope_ids: set[int] = set()
    scopes = list(tree.css(_ATTACHMENT_LISTS))
    if body is not None:
        scopes.append(body)
    for scope in scopes:
        if scope.tag == "a":
            scope_ids.add(scope.mem_id)
        for anchor in scope.css("a[href]"):
            scope_ids.add(anchor.mem_id)
    found: list[Attachment] = []
    seen: set[str] = set()
    for anchor in tree.css("a[href]"):  # document order
        # Outside the known places, a link that calls itself an attachment (附件…) still is one.
        if anchor.mem_id not in scope_ids and not (anchor.text() or "").lstrip().startswith("附件"):
            continue
        url = canonical_url(attr(anchor, "href") or "", page_url)
        if url is None or url in seen or not is_attachment_url(url):
            continue
        seen.add(url)
        found.append(Attachment(url=url, name=_attachment_name(anchor, url)))
    return found


def _attachment_name(anchor: LexborNode, url: str) -> str:
    for candidate in (attr(anchor, "title"), anchor.text()):
        name = clean_text(candidate)
        if name:
            return name
    parts = urlsplit(url)
    query = parse_qs(parts.query, keep_blank_values=False)
    for key, values in query.items():
        if key.lower() == "filename":
            name = clean_text(values[0]) if values else ""
            if name:
                return name
    last = parts.path.rstrip("/").rsplit("/", 1)[-1]
    return clean_text(unquote(last)) or url
