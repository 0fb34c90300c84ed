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
from itertools import repeat
from operator import attrgetter, methodcaller
from functools import lru_cache
from typing import NamedTuple
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
_TRUNCATION_MARKS = ("…", "...", "..", "⋯", "．．．")  # what sites end a cut-short title with
_LONG_TITLE = 8  # announcement titles are long; menu entries ("通知公告") are not
_DATE_HOLDERS = "span, em, i, font, small, time, b"
# Row selectors of templates seen on CNCA/SAMR: a shortcut, never a requirement.
_ROW_HINTS = (
    ".common_list_ul > li",
    "ul:has(> li.nav04Left02_content)",
    "li.zjnav04Left02_content",
    ".liebiao li",
)
# A hint's rows and the links inside them in one document-ordered query (one tree walk
# instead of two): rows are never <a>, so the tag tells them apart.
_HINT_QUERIES = tuple(f"{hint}, {hint} a[href]" for hint in _ROW_HINTS)
# Every hint needs one of these classes: a single cheap class-only query rules them all out
# on other pages (the structural queries with ":has" and descendants cost several times more).
_HINT_CLASSES = ".common_list_ul, .nav04Left02_content, .zjnav04Left02_content, .liebiao"


class _Row(NamedTuple):
    """A detected row: the href as written (its identity until resolved), title, date."""

    key: str
    title: str
    date: str | None

    @property
    def link(self) -> _Row:
        """``row.link.key`` reads as it did when rows held a separate link object."""
        return self


# anchor, href as written, raw link text, raw title attribute, row element (None: the anchor)
_Member = tuple[LexborNode, str, str, str, "LexborNode | None"]
_Link = tuple[LexborNode, str, str, str]  # anchor, href as written, raw text, raw title

_MULTI = object()  # marks an element holding links to more than one URL
_DIGIT = re.compile(r"\d")
_IGNORED_HREF = ("javascript:", "mailto:", "tel:", "#")
_IGNORED_FIRST = frozenset("jJmMtT#")  # no other character lower-cases to j, m, t or #


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


def whole_title(list_title: str, fuller: str | None) -> str:
    """The list row's title, unless the row cut it short ("关于开展2024年度认证…") and
    ``fuller`` (the detail page's title, or the one stored before) is that title whole."""
    if not fuller:
        return list_title
    if not list_title:
        return fuller
    stem = list_title
    for mark in _TRUNCATION_MARKS:
        if stem.endswith(mark):
            stem = stem[: -len(mark)].rstrip()
            break
    else:
        return list_title
    return fuller if len(fuller) > len(stem) and fuller.startswith(stem) else list_title


def extract_list(html: str, base_url: str, selectors: Selectors | None = None) -> list[ListedItem]:
    """The announcement rows of a list page (or a jpaas ``data.html`` fragment)."""
    tree = parse_html(html)
    base = base_url
    # <base> is rare: asking the tree for the element by tag is far cheaper than a CSS
    # query or a scan of the whole text, so both only run when there is one
    if tree.tags("base") and ("<base" in html or "<BASE" in html or "<Base" in html):
        base = _document_base(tree, base_url)
    resolver = Resolver(base)
    if selectors is not None and selectors.items:
        rows = _rows_from_selectors(tree, resolver, selectors)
    else:
        rows = _detect_rows(tree)
    if not rows:
        return []
    page_url = resolver.resolve(base_url)
    site_relative = _site_relative_resolver(base)
    # nearly every list links "/column/…/art_….html": one check of all hrefs lets those
    # resolve by concatenation
    keys = [row[0] for row in rows]
    plain_origin = resolver.plain_origin(keys)
    if plain_origin is not None and all(key[:1] == "/" for key in keys):
        # the usual list: every URL built at once; only when one repeats, equals the page
        # or has no title does it need the row-by-row loop below
        urls = [plain_origin + key for key in keys]
        titles = [row[1] for row in rows]
        if len(set(urls)) == len(urls) and page_url not in urls and all(titles):
            return list(map(ListedItem, urls, titles, [row[2] for row in rows], range(len(rows))))
    items: list[ListedItem] = []
    seen: set[str] = set()
    for key, title, date in rows:
        if plain_origin is not None and key[:1] == "/":  # configured links may lack an href
            url: str | None = plain_origin + key
        else:
            url = site_relative.resolve(key) if site_relative is not None else None
            if url is None:
                url = resolver.resolve(key)
        if url is None or url == page_url or url in seen or not title:
            continue
        seen.add(url)
        items.append(ListedItem(url, title, date, len(items)))  # positional: cheaper
    return items


class _SiteRelative:
    """Resolves hrefs written relative to the site root although they lack the leading "/".

    jpaas fragments for a column at ``/hd/zjdc/`` link ``hd/zjdc/art/….html``: resolved
    against the column that would repeat the column path.  When an href starts with the
    same first segment as the base path, it is taken as site-relative; anything else is
    left to the normal resolution.
    """

    __slots__ = ("prefix", "root")

    def __init__(self, first_segment: str, root: Resolver) -> None:
        self.prefix = first_segment + "/"
        self.root = root

    def resolve(self, href: str) -> str | None:
        if href.startswith(self.prefix):
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


def _detect_rows(tree: LexborHTMLParser) -> list[_Row]:
    hinted = _hinted_rows(tree)
    if hinted is not None:
        return hinted
    return _generic_rows(tree)


def _article_link(
    anchor: LexborNode, attributes: dict[str, str | None], text: str
) -> _Link | None:
    """The anchor as a possible article link, or None for pagers, "more" and script links.

    Kept cheap on purpose: titles are only cleaned for the rows that win.
    """
    key = _followable_key(attributes.get("href"))
    if key is None:
        return None
    title_attr = attributes.get("title") or ""
    stripped = text.strip()
    if len(stripped) > 12:  # the usual article title: no navigation text is this long
        return anchor, key, text, title_attr
    if is_nav_text(clean_text(stripped)) and (stripped or not title_attr.strip()):
        return None
    if stripped or title_attr.strip():
        return anchor, key, text, title_attr
    return None


def _followable_key(href: str | None) -> str | None:
    """The href as the link's identity, or None for empty, script, mail and in-page hrefs."""
    if not href:
        return None
    key = href.strip()
    if not key or (key[0] in _IGNORED_FIRST and key[:11].lower().startswith(_IGNORED_HREF)):
        return None
    return key


def _hinted_rows(tree: LexborHTMLParser) -> list[_Row] | None:
    """Rows of a known template, found with one C-level query instead of the full analysis.

    Only a shortcut: used when every matched row holds exactly one article link and some
    row shows a date, i.e. when the generic detection would find the same rows.
    """
    if tree.css_first(_HINT_CLASSES) is None:
        return None
    for query in _HINT_QUERIES:
        found = tree.css(query)
        if not found:
            continue
        row_ids: list[int] = []  # document order
        anchors: list[LexborNode] = []
        for node, tag in zip(found, map(_TAG, found)):
            if tag == "a":
                anchors.append(node)
            else:
                row_ids.append(node.mem_id)
        known_rows = set(row_ids)
        first_link: dict[int, _Member] = {}  # row -> its first article link
        spaced_text: dict[int, str] = {}  # row -> the text of that link, text nodes spaced
        for anchor, attributes, spaced in zip(
            anchors, map(_ATTRIBUTES, anchors), map(_SPACED_TEXT, anchors)
        ):
            # The spaced text (needed for the date) is the plain text unless the link has
            # several text nodes, and then it shows a separator: one call instead of two
            # for the usual title without spaces.
            text = spaced if " " not in spaced else anchor.text()
            link = _article_link(anchor, attributes, text)
            if link is None:
                continue
            # the link's row is its nearest matched ancestor
            row = anchor.parent
            while row is not None and row.mem_id not in known_rows:
                row = row.parent
            if row is None:
                continue
            row_id = row.mem_id
            first = first_link.get(row_id)
            if first is None:
                first_link[row_id] = (*link, row)
                spaced_text[row_id] = spaced
            elif first[1] != link[1]:
                return None  # two targets in a row: let the generic detection decide
        # rows without a link are skipped, e.g. the header row of the 征集调查 template
        linked_rows = [row_id for row_id in row_ids if row_id in first_link]
        if not linked_rows:
            continue
        members = [first_link[row_id] for row_id in linked_rows]
        dates = _row_dates(members, {}, [spaced_text[row_id] for row_id in linked_rows])
        if dates.count(None) == len(dates):
            return None
        return list(map(_Row, [member[1] for member in members], _titles(members), dates))
    return None


def _collect_links(anchors: list[LexborNode]) -> list[_Link]:
    links = []
    for anchor in anchors:
        attributes = anchor.attributes
        key = _followable_key(attributes.get("href"))
        if key is not None:
            links.append((anchor, key, anchor.text(), attributes.get("title") or ""))
    return links


def _long_links(anchors: list[LexborNode], titled: set[int]) -> tuple[list[_Link], bool]:
    """(the links with a long text or title, whether there is any other link).

    Menus and footers hold most of a page's links, all with short texts and no title:
    only the long ones get their attributes read (``titled``: ids of anchors with one).
    """
    long_links: list[_Link] = []
    has_short_link = False
    for anchor, text in zip(anchors, map(_TEXT, anchors)):
        if len(text) >= _LONG_TITLE and len(text.strip()) >= _LONG_TITLE:
            attributes = anchor.attributes
            title_attr = attributes.get("title") or ""
        elif anchor.mem_id in titled:
            attributes = anchor.attributes
            title_attr = attributes.get("title") or ""
            if len(title_attr) < _LONG_TITLE or len(title_attr.strip()) < _LONG_TITLE:
                if not has_short_link:
                    has_short_link = _followable_key(attributes.get("href")) is not None
                continue
        else:
            if not has_short_link:
                has_short_link = _followable_key(anchor.attributes.get("href")) is not None
            continue
        key = _followable_key(attributes.get("href"))
        if key is not None:
            long_links.append((anchor, key, text, title_attr))
    return long_links, has_short_link


def _generic_rows(tree: LexborHTMLParser) -> list[_Row]:
    # by tag name: no CSS engine (its set-up alone costs more than this lookup); anchors
    # without href are dropped with the other unfollowable ones below
    anchors = tree.tags("a")
    titled = {anchor.mem_id for anchor in tree.css("a[title]")}
    long_links, has_short_link = _long_links(anchors, titled)
    if not long_links and not has_short_link:
        return []
    analysis: _Analysis | None = None
    # Find the list among the long-titled links first, then analyse everything inside its
    # containers in full so that short titles and the row structure are judged exactly
    # as on the whole page.
    if long_links and has_short_link:
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
        # every link is long (then they are all the links) or none is
        analysis = _analyse(long_links if not has_short_link else _collect_links(anchors))
    dated, long_titles, _ = analysis.score
    if dated == 0 and long_titles < 2:
        return []  # a menu or a lone link is not a list
    members = analysis.members
    if dated:
        keys = [member[1] for member in members]
        return list(map(_Row, keys, _titles(members), analysis.dates))
    return [_undated_row(member) for member in members]


def _mark_holders(links: list[_Link]) -> dict[int, object]:
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


@dataclass(slots=True)
class _Analysis:
    members: list[_Member]
    dates: list[str | None]
    score: tuple[int, int, int]  # (dated rows, long titles, rows)
    containers: list[LexborNode]  # the elements holding the winning rows


def _analyse(links: list[_Link]) -> _Analysis:
    """Group the links' rows by structure and pick the dominant group."""
    holder = _mark_holders(links)
    is_multi = holder.get
    paths = _Paths()
    groups: dict[tuple[str | None, int], list[_Member]] = {}
    containers: dict[tuple[str | None, int], dict[int, LexborNode]] = {}
    for anchor, key, text, title_attr in links:
        row: LexborNode = anchor
        parent = anchor.parent
        climbed: LexborNode | None = None
        # the row is the highest element whose only link target is this one
        while (
            parent is not None
            and is_multi(parent.mem_id) is not _MULTI
            and parent.tag not in _STOP_TAGS
        ):
            row = climbed = parent
            parent = row.parent
        parent_path = paths.of(parent)
        if parent_path in paths.chrome:
            continue
        # the row's own class is left out: rows alternate "odd"/"even"
        group_key = (row.tag, parent_path)
        members = groups.get(group_key)
        if members is None:
            members = groups[group_key] = []
            containers[group_key] = {}
        members.append((anchor, key, text, title_attr, climbed))
        if parent is not None:
            containers[group_key][parent.mem_id] = parent

    # Largest groups first; a group smaller than the best dated count cannot win.
    best = _Analysis([], [], (-1, -1, -1), [])
    year_cache: dict[int, int | None] = {}
    for group_key, members in sorted(groups.items(), key=lambda item: len(item[1]), reverse=True):
        if len(members) < best.score[0]:
            break
        rows: list[_Member] = []
        long_titles = 0
        for member in members:
            text, title_attr = member[2], member[3]
            stripped = text.strip()
            if len(stripped) <= 12:
                if is_nav_text(clean_text(stripped)) and (stripped or not title_attr.strip()):
                    continue
                if not stripped and not title_attr.strip():
                    continue
            rows.append(member)
            if len(stripped) >= _LONG_TITLE or len(title_attr.strip()) >= _LONG_TITLE:
                long_titles += 1
        dates = _row_dates(rows, year_cache)
        score = (len(dates) - dates.count(None), long_titles, len(rows))
        if score > best.score:
            best = _Analysis(rows, dates, score, list(containers[group_key].values()))
    return best


def _row_date(
    anchor: LexborNode, row: LexborNode | None, year_cache: dict[int, int | None]
) -> str | None:
    """The date a row shows outside its link text."""
    if row is None:
        return None
    row_text = row.text(separator=" ")
    anchor_text = anchor.text(separator=" ")
    outside = row_text.replace(anchor_text, " ", 1) if anchor_text else row_text
    if not _DIGIT.search(outside):
        return None
    date = parse_date(outside)
    if date is None and has_month_day(outside):
        date = parse_date(outside, _year_context(row, year_cache))
    return date


# Per-row work below runs column by column through C-level map() calls: with 20 rows
# per page the interpreter's per-statement cost is most of extract_list's own time.
_TAG = attrgetter("tag")
_ATTRIBUTES = attrgetter("attributes")
_TEXT = methodcaller("text")
_SPACED_TEXT = methodcaller("text", separator=" ")


def _row_dates(
    members: list[_Member],
    year_cache: dict[int, int | None],
    anchor_texts: list[str] | None = None,
) -> list[str | None]:
    """``_row_date`` of every member, in order (``anchor_texts``: their links' spaced texts,
    when the caller has them)."""
    rows = [member[4] for member in members]
    if None in rows:  # a row that is the link itself: no text outside the link
        return [_row_date(member[0], member[4], year_cache) for member in members]
    row_texts = list(map(_SPACED_TEXT, rows))
    if anchor_texts is None:
        anchor_texts = list(map(_SPACED_TEXT, [member[0] for member in members]))
    outsides = list(map(str.replace, row_texts, anchor_texts, repeat(" "), repeat(1)))
    if "" in anchor_texts:  # an empty link text leaves the row text as it is
        outsides = [
            outside if anchor_text else row_text
            for outside, anchor_text, row_text in zip(outsides, anchor_texts, row_texts)
        ]
    # no digit, no date: parse_date and has_month_day both say so, the test is only a shortcut
    dates = list(map(parse_date, outsides))
    if None in dates:
        for index, date in enumerate(dates):
            if date is None and has_month_day(outsides[index]):
                context = _year_context(rows[index], year_cache)  # type: ignore[arg-type]
                dates[index] = parse_date(outsides[index], context)
    return dates


def _titles(members: list[_Member]) -> list[str]:
    """The title of every member's link, in order."""
    cleaned = list(map(clean_text, [member[2] for member in members]))
    titles = []
    for link_text, member in zip(cleaned, members):
        title_attr = member[3]
        if title_attr and title_attr != member[2]:
            link_text = choose_title(link_text, clean_text(title_attr))[0]
        # an empty or repeated title attribute leaves the link text as the title
        titles.append(link_text)
    return titles


def _link_title(text: str, title_attr: str) -> tuple[str, bool]:
    """(title, came from the title attribute) of a link's raw text and title attribute."""
    link_text = clean_text(text)
    if not title_attr:
        return link_text, False
    # the title attribute usually repeats the text: clean it once
    cleaned_attr = link_text if title_attr == text else clean_text(title_attr)
    return choose_title(link_text, cleaned_attr)


def _undated_row(member: _Member) -> _Row:
    """A row of an undated list: ``<a>Title <span>2024-01-12</span></a>`` still has a date."""
    title, from_attr = _link_title(member[2], member[3])
    date, title = _date_in_link_text(member[0], title, from_attr)
    return _Row(member[1], title, date)


def _date_in_link_text(
    anchor: LexborNode, title: str, title_from_attr: bool
) -> tuple[str | None, str]:
    """(date, title without it) when the link text carries the row's date."""
    if title_from_attr or not _DIGIT.search(title):
        return None, title
    for holder in anchor.css(_DATE_HOLDERS):
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
        title, _ = choose_title(clean_text(anchor.text()), clean_text(attr(anchor, "title")))
        if selectors.title:
            title_node = css_first(node, selectors.title, "title")
            if title_node is not None:
                # a truncated configured title still falls back to a title attribute
                title_attr = clean_text(attr(title_node, "title")) or clean_text(
                    attr(anchor, "title")
                )
                title, _ = choose_title(clean_text(title_node.text()), title_attr)
        if selectors.date:
            date_node = css_first(node, selectors.date, "date")
            date_text = date_node.text(separator=" ") if date_node is not None else ""
            date = parse_date(date_text)
            if date is None and date_node is not None and has_month_day(date_text):
                date = parse_date(date_text, _year_context(node, year_cache))
            rows.append(_Row(key, title, date))
        else:
            row_node = node if node.mem_id != anchor.mem_id else None
            link_title, from_attr = _link_title(anchor.text(), attr(anchor, "title") or "")
            date = _row_date(anchor, row_node, year_cache)
            if date is None:
                date, link_title = _date_in_link_text(anchor, link_title, from_attr)
            rows.append(_Row(key, title if selectors.title else link_title, date))
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
