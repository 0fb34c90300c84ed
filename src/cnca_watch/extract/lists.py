"""List pages: every announcement row exactly once, in page order.

Detection is structural, never by host: a row is the highest element that holds exactly one
article link (one distinct URL); rows with the same tag/class path form a group; the group
with the most dated rows (then the most long titles, then the most rows) is the list.
This covers CNCA's ``.common_list_ul li``, SAMR's one-``ul``-per-row layout, the
``zjnav04Left02_content`` and ``content-3-left-text`` templates, ``.liebiao li`` and plain
``tr`` tables without naming any of them.  ``Selectors`` override the detection.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlsplit

from selectolax.lexbor import LexborHTMLParser, LexborNode

from ..models import ListedItem
from ..settings import Selectors
from ..urls import Resolver, canonical_url
from .dates import has_month_day, parse_date, year_heading
from .text import attr, clean_text, css_all, css_first, parse_html

# Link texts of pagination and "more" links: never an announcement.
_NAV_TEXTS = frozenset(
    {
        "首页",
        "尾页",
        "末页",
        "上一页",
        "下一页",
        "上页",
        "下页",
        "前一页",
        "后一页",
        "更多",
        "more",
        "返回",
        "跳转",
        "go",
        "确定",
        "打印",
        "关闭",
        "收藏",
        "top",
        "next",
        "prev",
        "previous",
        "last",
        "first",
        "查看更多",
        "返回顶部",
        "<",
        ">",
    }
)
_NAV_STRIP = " >»›<«‹[]【】()（）.。·:：\u3000\xa0"
_CHROME_TAGS = frozenset({"nav", "header", "footer"})
_STOP_TAGS = frozenset({"body", "html", "-document", None})
_TRUNCATION_MARKS = ("…", "...", "..", "⋯", "．．．")
_LONG_TITLE = 8  # announcement titles are long; menu entries ("通知公告") are not
_DATE_HOLDERS = "span, em, i, font, small, time, b"
# Row selectors of templates seen on CNCA/SAMR: a shortcut, never a requirement.
_ROW_HINTS = (
    ".common_list_ul > li",
    "ul:has(> li.nav04Left02_content)",
    "li.zjnav04Left02_content",
    ".liebiao li",
)
_ANY_HINT = ", ".join(_ROW_HINTS)


@dataclass(slots=True)
class _Link:
    node: LexborNode
    key: str  # the href as written: the link's identity while the structure is detected
    title: str
    title_from_attr: bool


@dataclass(slots=True)
class _Row:
    link: _Link
    node: LexborNode
    date: str | None
    title: str


_MULTI = object()  # marks an element holding links to more than one URL
_DIGIT = re.compile(r"\d")
_IGNORED_HREF = ("javascript:", "mailto:", "tel:", "#")


def is_nav_text(text: str) -> bool:
    if len(text) > 10:
        return False
    core = text.strip(_NAV_STRIP).lower()
    if not core:
        return True
    if core.isdigit():  # page numbers
        return True
    return core in _NAV_TEXTS or core.startswith(("更多", "more", "查看更多"))


def choose_title(link_text: str, title_attr: str) -> tuple[str, bool]:
    """(title, came from title attribute): a[title] wins over truncated or shorter text."""
    if not title_attr:
        return link_text, False
    if not link_text:
        return title_attr, True
    if link_text.endswith(_TRUNCATION_MARKS) or len(title_attr) > len(link_text):
        return title_attr, True
    return link_text, False


def extract_list(html: str, base_url: str, selectors: Selectors | None = None) -> list[ListedItem]:
    """The announcement rows of a list page (or a jpaas ``data.html`` fragment)."""
    tree = parse_html(html)
    # a substring test is far cheaper than a CSS query over the head
    has_base = "<base" in html or "<BASE" in html or "<Base" in html
    base = _document_base(tree, base_url) if has_base else base_url
    resolver = Resolver(base)
    if selectors is not None and selectors.items:
        rows = _rows_from_selectors(tree, resolver, selectors)
    else:
        rows = _detect_rows(tree)
    page_url = resolver.resolve(base_url)
    site_relative = _site_relative_resolver(base)
    items: list[ListedItem] = []
    seen: set[str] = set()
    for row in rows:
        url = site_relative.resolve(row.link.key) if site_relative is not None else None
        if url is None:
            url = resolver.resolve(row.link.key)
        if url is None or url == page_url or url in seen or not row.title:
            continue
        seen.add(url)
        items.append(ListedItem(url=url, title=row.title, date=row.date, position=len(items)))
    return items


class _SiteRelative:
    """Resolves hrefs written relative to the site root although they lack the leading "/".

    jpaas fragments for a column at ``/hd/zjdc/`` link ``hd/zjdc/art/….html``: resolved
    against the column that would repeat the column path.  When an href starts with the
    same first segment as the base path, it is taken as site-relative; anything else is
    left to the normal resolution.
    """

    __slots__ = ("first_segment", "root")

    def __init__(self, first_segment: str, root: Resolver) -> None:
        self.first_segment = first_segment
        self.root = root

    def resolve(self, href: str) -> str | None:
        head, slash, _ = href.partition("/")
        if slash and head == self.first_segment:
            return self.root.resolve(href)
        return None


def _site_relative_resolver(base: str) -> _SiteRelative | None:
    found = _site_root(base)
    return _SiteRelative(found[0], Resolver(found[1])) if found else None


@lru_cache(maxsize=256)
def _site_root(base: str) -> tuple[str, str] | None:
    """(first path segment, site root) of a base inside a folder ("/hd/zjdc/…")."""
    canonical_base = canonical_url(base, "")
    if canonical_base is None:
        return None
    parts = urlsplit(canonical_base)
    segments = parts.path.split("/")
    if len(segments) < 3 or not segments[1] or segments[1] in (".", ".."):
        return None
    return segments[1], f"{parts.scheme}://{parts.netloc}/"


def _document_base(tree: LexborHTMLParser, base_url: str) -> str:
    """``<base href>`` overrides the page address for relative links."""
    head = tree.head
    base_node = head.css_first("base[href]") if head is not None else None
    if base_node is None:
        return base_url
    resolved = canonical_url(attr(base_node, "href") or "", base_url)
    return resolved or base_url


# --- automatic detection ---------------------------------------------------------------


def _candidate_links(anchors: list[LexborNode]) -> list[tuple[LexborNode, str, str, str]]:
    """(anchor, href as written, raw link text, raw title attribute) of possible article links.

    Kept cheap on purpose: menus and footers hold most of a page's links, and titles are
    only cleaned for the rows that win.
    """
    links = []
    for anchor in anchors:
        attributes = anchor.attributes
        href = attributes.get("href")
        if not href:
            continue
        key = href.strip()
        if not key or key[:11].lower().startswith(_IGNORED_HREF):
            continue
        text = anchor.text()
        title_attr = attributes.get("title") or ""
        stripped = text.strip()
        if (
            len(stripped) <= 12
            and is_nav_text(clean_text(stripped))
            and (stripped or not title_attr.strip())
        ):
            continue
        if stripped or title_attr.strip():
            links.append((anchor, key, text, title_attr))
    return links


def _mark_holders(
    links: list[tuple[LexborNode, str]] | list[tuple[LexborNode, str, str, str]],
) -> dict[int, object]:
    """For every ancestor of a link: the one href it holds, or _MULTI.

    Amortised: a walk stops at an element already marked with this href or with _MULTI
    (whose ancestors are then _MULTI too), so each element is visited at most twice.
    """
    holder: dict[int, object] = {}
    get = holder.get
    for link in links:
        key = link[1]
        node: LexborNode | None = link[0]
        while node is not None:
            node_id = node.mem_id
            current = get(node_id)
            if current is None:
                holder[node_id] = key
            elif current is _MULTI or current == key:
                break
            else:
                holder[node_id] = _MULTI
            node = node.parent
    return holder


class _Paths:
    """Interned tag+class paths from the document root, memoised per element."""

    def __init__(self) -> None:
        self._of_node: dict[int, int] = {}
        self._ids: dict[tuple[int, str | None, str], int] = {}
        self.chrome: set[int] = set()

    def of(self, node: LexborNode | None) -> int:
        pending: list[tuple[LexborNode, int]] = []
        path = 0
        while node is not None:
            node_id = node.mem_id
            known = self._of_node.get(node_id)
            if known is not None:
                path = known
                break
            pending.append((node, node_id))
            node = node.parent
        for element, element_id in reversed(pending):
            tag = element.tag
            css_class = element.attributes.get("class") if tag not in _STOP_TAGS else None
            key = (path, tag, " ".join(sorted(css_class.split())) if css_class else "")
            new_path = self._ids.get(key)
            if new_path is None:
                new_path = self._ids[key] = len(self._ids) + 1
                if tag in _CHROME_TAGS or path in self.chrome:
                    self.chrome.add(new_path)
            self._of_node[element_id] = path = new_path
        return path


_Member = tuple[LexborNode, str, str, str, "LexborNode | None"]  # anchor, key, text, title, row


def _hinted_rows(tree: LexborHTMLParser) -> list[_Row] | None:
    """Rows of a known template, found with two C-level queries instead of the full analysis.

    Only a shortcut: used when every matched row holds exactly one article link and some
    row shows a date, i.e. when the generic detection would find the same rows.
    """
    if tree.css_first(_ANY_HINT) is None:  # one scan instead of one per template
        return None
    for selector in _ROW_HINTS:
        nodes = tree.css(selector)
        if not nodes:
            continue
        row_of: dict[int, LexborNode] = {node.mem_id: node for node in nodes}
        links_of: dict[int, list[tuple[LexborNode, str, str, str]]] = {}
        for link in _candidate_links(tree.css(f"{selector} a[href]")):
            node = link[0].parent
            while node is not None and node.mem_id not in row_of:
                node = node.parent
            if node is not None:
                links_of.setdefault(node.mem_id, []).append(link)
        members: list[_Member] = []
        for row_id, row in row_of.items():  # document order
            links = links_of.get(row_id)
            if not links:
                continue  # e.g. the header row of the 征集调查 template
            anchor, key, text, title_attr = links[0]
            if any(other[1] != key for other in links[1:]):
                return None  # two targets in a row: let the generic detection decide
            members.append((anchor, key, text, title_attr, row))
        if not members:
            continue
        year_cache: dict[int, int | None] = {}
        dates = [_row_date(anchor, row, year_cache) for anchor, _, _, _, row in members]
        if dates.count(None) == len(dates):
            return None
        return [_build_row(member, date) for member, date in zip(members, dates)]
    return None


def _detect_rows(tree: LexborHTMLParser) -> list[_Row]:
    hinted = _hinted_rows(tree)
    if hinted is not None:
        return hinted
    return _generic_rows(tree)


@dataclass(slots=True)
class _Analysis:
    members: list[_Member]
    dates: list[str | None]
    score: tuple[int, int, int]  # (dated rows, long titles, rows)
    containers: list[LexborNode]  # the elements holding the winning rows


def _collect_links(anchors: list[LexborNode]) -> list[tuple[LexborNode, str, str, str]]:
    links = []
    for anchor in anchors:
        attributes = anchor.attributes
        href = attributes.get("href")
        if href:
            key = href.strip()
            if key and not key[:11].lower().startswith(_IGNORED_HREF):
                links.append((anchor, key, anchor.text(), attributes.get("title") or ""))
    return links


def _is_long(text: str, title_attr: str) -> bool:
    return len(text.strip()) >= _LONG_TITLE or len(title_attr.strip()) >= _LONG_TITLE


def _generic_rows(tree: LexborHTMLParser) -> list[_Row]:
    links = _collect_links(tree.css("a[href]"))
    if not links:
        return []
    analysis: _Analysis | None = None
    # Menus and footers hold most links, all with short texts.  Find the list among the
    # long-titled links first, then analyse everything inside its containers in full so
    # that short titles and the row structure are judged exactly as on the whole page.
    long_links = [link for link in links if _is_long(link[2], link[3])]
    if long_links and len(long_links) < len(links):
        rough = _analyse(long_links)
        if rough.score[0] > 0 and all(c.tag not in _STOP_TAGS for c in rough.containers):
            inside: list[LexborNode] = []
            seen: set[int] = set()
            for container in rough.containers:
                for anchor in container.css("a[href]"):
                    if anchor.mem_id not in seen:
                        seen.add(anchor.mem_id)
                        inside.append(anchor)
            long_ids = {link[0].mem_id for link in long_links}
            if len(rough.containers) == 1 and seen <= long_ids:
                analysis = rough  # nothing short inside the list: the full analysis is the same
            else:
                focused = _analyse(_collect_links(inside))
                # short links inside rows ("[通知]" category links) can split every row in
                # two; then the long-title view of the rows is the right one
                analysis = focused if focused.score[0] >= rough.score[0] else rough
    if analysis is None:
        analysis = _analyse(links)
    dated, long_titles, _ = analysis.score
    if dated == 0 and long_titles < 2:
        return []  # a menu or a lone link is not a list
    result = [_build_row(member, date) for member, date in zip(analysis.members, analysis.dates)]
    if dated == 0:
        result = [_with_date_inside_link(row) for row in result]
    return result


def _analyse(links: list[tuple[LexborNode, str, str, str]]) -> _Analysis:
    """Group the links' rows by structure and pick the dominant group."""
    holder = _mark_holders(links)
    paths = _Paths()
    groups: dict[
        tuple[str | None, int], list[tuple[LexborNode, str, str, str, LexborNode | None]]
    ] = {}
    containers: dict[tuple[str | None, int], dict[int, LexborNode]] = {}
    for anchor, key, text, title_attr in links:
        row: LexborNode = anchor
        parent = row.parent
        climbed: LexborNode | None = None
        # the row is the highest element whose only link target is this one
        while (
            parent is not None
            and holder.get(parent.mem_id) is not _MULTI
            and parent.tag not in _STOP_TAGS
        ):
            row = parent
            parent = row.parent
            climbed = row
        parent_path = paths.of(parent)
        if parent_path in paths.chrome:
            continue
        # the row's own class is left out: rows alternate "odd"/"even"
        group_key = (row.tag, parent_path)
        groups.setdefault(group_key, []).append((anchor, key, text, title_attr, climbed))
        if parent is not None:
            containers.setdefault(group_key, {})[parent.mem_id] = parent

    # Largest groups first; a group smaller than the best dated count cannot win.
    best = _Analysis([], [], (-1, -1, -1), [])
    year_cache: dict[int, int | None] = {}
    for group_key, members in sorted(groups.items(), key=lambda item: len(item[1]), reverse=True):
        if len(members) < best.score[0]:
            break
        rows: list[_Member] = []
        dates: list[str | None] = []
        long_titles = 0
        for anchor, key, text, title_attr, climbed in members:
            stripped = text.strip()
            if (
                len(stripped) <= 12
                and is_nav_text(clean_text(stripped))
                and (stripped or not title_attr.strip())
            ):
                continue
            if not stripped and not title_attr.strip():
                continue
            rows.append((anchor, key, text, title_attr, climbed))
            dates.append(_row_date(anchor, climbed, year_cache))
            if _is_long(stripped, title_attr):
                long_titles += 1
        score = (len(dates) - dates.count(None), long_titles, len(rows))
        if score > best.score:
            best = _Analysis(rows, dates, score, list(containers.get(group_key, {}).values()))
    return best


def _row_date(
    anchor: LexborNode, row: LexborNode | None, year_cache: dict[int, int | None]
) -> str | None:
    """The date a row shows outside its link text."""
    if row is None:
        return None
    row_text = row.text(separator=" ")
    if not _DIGIT.search(row_text):
        return None
    anchor_text = anchor.text(separator=" ")
    outside = row_text.replace(anchor_text, " ", 1) if anchor_text else row_text
    if not _DIGIT.search(outside):
        return None
    date = parse_date(outside)
    if date is None and has_month_day(outside):
        date = parse_date(outside, _year_context(row, year_cache))
    return date


def _build_row(
    member: tuple[LexborNode, str, str, str, LexborNode | None], date: str | None
) -> _Row:
    anchor, key, text, title_attr, row = member
    link_text = clean_text(text)
    cleaned_attr = link_text if title_attr == text else clean_text(title_attr)
    title, from_attr = choose_title(link_text, cleaned_attr)
    return _Row(
        _Link(anchor, key, title, from_attr), row if row is not None else anchor, date, title
    )


def _with_date_inside_link(row: _Row) -> _Row:
    if row.date is not None or row.link.title_from_attr or not _DIGIT.search(row.title):
        return row
    date, title = _date_inside_link(row.link, row.title)
    return _Row(row.link, row.node, date, title)


def _date_inside_link(link: _Link, title: str) -> tuple[str | None, str]:
    """``<a>Title <span>2024-01-12</span></a>``: the date is part of the link."""
    for holder in link.node.css(_DATE_HOLDERS):
        text = holder.text()
        if len(text.strip()) <= 24:
            date = parse_date(text)
            if date:
                return date, clean_text(title.replace(clean_text(text), " ", 1)) or title
    return None, title


def _year_context(row: LexborNode, cache: dict[int, int | None]) -> int | None:
    """The nearest year heading before ``row`` (same level or any ancestor level)."""
    node: LexborNode | None = row
    for _ in range(12):  # ancestor levels
        if node is None or node.tag in _STOP_TAGS:
            return None
        visited: list[int] = []
        found: int | None = None
        hit = False
        sibling = node.prev
        steps = 0
        while sibling is not None and steps < 500:
            steps += 1
            sibling_id = sibling.mem_id
            if sibling_id in cache:
                found, hit = cache[sibling_id], True
                break
            visited.append(sibling_id)
            if sibling.is_element_node or sibling.is_text_node:
                year = year_heading(sibling.text())
                if year is not None:
                    found, hit = year, True
                    break
            sibling = sibling.prev
        for sibling_id in visited:
            # what a later row would find scanning back from here (None: look further up)
            cache[sibling_id] = found if hit else None
        if found is not None:
            return found
        node = node.parent
    return None


# --- configured selectors --------------------------------------------------------------


def _rows_from_selectors(
    tree: LexborHTMLParser, resolver: Resolver, selectors: Selectors
) -> list[_Row]:
    rows: list[_Row] = []
    year_cache: dict[int, int | None] = {}
    for node in css_all(tree, selectors.items or "", "items"):
        anchor = _row_link(node, resolver, selectors)
        if anchor is None:
            continue
        key = (attr(anchor, "href") or "").strip()
        link_text = clean_text(anchor.text())
        title, from_attr = choose_title(link_text, clean_text(attr(anchor, "title")))
        if selectors.title:
            title_node = css_first(node, selectors.title, "title")
            if title_node is not None:
                # a truncated configured title still falls back to a title attribute
                title_attr = clean_text(attr(title_node, "title")) or clean_text(
                    attr(anchor, "title")
                )
                title, from_attr = choose_title(clean_text(title_node.text()), title_attr)
        link = _Link(anchor, key, title, from_attr)
        if selectors.date:
            date_node = css_first(node, selectors.date, "date")
            date_text = date_node.text(separator=" ") if date_node is not None else ""
            date = parse_date(date_text)
            if date is None and date_node is not None and has_month_day(date_text):
                date = parse_date(date_text, _year_context(node, year_cache))
            rows.append(_Row(link, node, date, title))
        else:
            row_node = node if node.mem_id != anchor.mem_id else None
            member = (anchor, key, anchor.text(), attr(anchor, "title") or "", row_node)
            made = _with_date_inside_link(
                _build_row(member, _row_date(anchor, row_node, year_cache))
            )
            rows.append(_Row(link, node, made.date, title if selectors.title else made.title))
    return rows


def _row_link(node: LexborNode, resolver: Resolver, selectors: Selectors) -> LexborNode | None:
    if selectors.link:
        return css_first(node, selectors.link, "link")
    if node.tag == "a" and attr(node, "href"):
        return node
    for anchor in node.css("a[href]"):
        href = attr(anchor, "href")
        if (
            href
            and resolver.resolve(href.strip())
            and not is_nav_text(clean_text(anchor.text()) or "x")
        ):
            return anchor
    return None
