"""Shared text and parsing helpers for the extractors."""

from __future__ import annotations

from selectolax.lexbor import LexborHTMLParser, LexborNode, SelectolaxError

from ..errors import ExtractError


def parse_html(html: str) -> LexborHTMLParser:
    """Parse once; text that cannot be UTF-8 encoded (lone surrogates) is repaired, not fatal."""
    try:
        return LexborHTMLParser(html)
    except UnicodeEncodeError:
        repaired = html.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
        return LexborHTMLParser(repaired)


def _is_cjk(char: str) -> bool:
    # compared as one-character strings (code point order): cheaper than ord() and ints
    return (
        "\u2e80" <= char <= "\u9fff"  # radicals, punctuation, kana, unified ideographs
        or "\uf900" <= char <= "\ufaff"
        or "\ufe30" <= char <= "\ufe4f"
        or "\uff00" <= char <= "\uffef"  # full-width forms: ，：（）
        or "\U00020000" <= char <= "\U0003ffff"
    )


# Punctuation Chinese text shares with Western text: joins to a CJK neighbour without a space.
_SHARED_PUNCTUATION = frozenset("“”‘’—–…·•")


def _joins(left: str, right: str) -> bool:
    left_cjk, right_cjk = _is_cjk(left), _is_cjk(right)
    if left_cjk and right_cjk:
        return True
    return (left_cjk and right in _SHARED_PUNCTUATION) or (
        right_cjk and left in _SHARED_PUNCTUATION
    )


# The end of an issuer's name: "市场监管总局 国家认监委" names two issuers, and that space stays.
_ISSUER_ENDS = frozenset("局委部厅院会府办署")
_CJK_PUNCTUATION = frozenset("《》〈〉（）【】「」『』“”‘’，、：；。！？")


def tidy_title(title: str) -> str:
    """A title without the stray spaces some pages' meta and ``<title>`` put inside Chinese
    ("关于开展2024年度认证 有效性抽查的通知"): a space between two Chinese characters goes,
    unless it follows an issuer's name; one beside full-width punctuation always goes.
    List rows' link texts carry no such spaces, so a detail title tidied this way reads as
    the list row does."""
    if " " not in title:
        return title
    parts = title.split(" ")
    out = parts[0]
    for part in parts[1:]:
        if not part or not out:
            out += " " + part if out else part
            continue
        left, right = out[-1], part[0]
        by_punctuation = left in _CJK_PUNCTUATION or right in _CJK_PUNCTUATION
        issuers = left in _ISSUER_ENDS and not part.startswith("关于")
        between_chinese = _is_cjk(left) and _is_cjk(right) and not issuers
        out += part if by_punctuation or between_chinese else " " + part
    return out


def clean_text(text: str | None) -> str:
    """Collapse whitespace runs to one space; a line break between CJK characters vanishes.

    SAMR titles carry the source's hard line breaks ("关于出口\n转内销"): a space there would
    change the title.  A plain space between CJK words is kept: "市场监管总局 国家认监委" names
    two issuers.
    """
    if not text:
        return ""
    words = text.split()
    if len(words) <= 1:
        return words[0] if words else ""
    if "\n" not in text and "\r" not in text:
        return " ".join(words)
    out = ""
    for line in text.splitlines():
        collapsed = " ".join(line.split())
        if not collapsed:
            continue
        if not out:
            out = collapsed
        elif _joins(out[-1], collapsed[0]):
            out += collapsed
        else:
            out += " " + collapsed
    return out


def attr(node: LexborNode, name: str) -> str | None:
    """An attribute value, None when absent or valueless."""
    value = node.attributes.get(name)
    return value if isinstance(value, str) else None


def css_all(node: LexborNode | LexborHTMLParser, selector: str, what: str) -> list[LexborNode]:
    try:
        return list(node.css(selector))
    except (SelectolaxError, ValueError, TypeError) as err:
        raise ExtractError(f"invalid CSS selector for {what}: {selector!r} ({err})") from err


def css_first(node: LexborNode | LexborHTMLParser, selector: str, what: str) -> LexborNode | None:
    try:
        return node.css_first(selector)
    except (SelectolaxError, ValueError, TypeError) as err:
        raise ExtractError(f"invalid CSS selector for {what}: {selector!r} ({err})") from err
