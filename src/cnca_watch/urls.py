"""Canonical URLs: the identity of an announcement.

Two links to the same announcement must compare equal, whatever way the page wrote them
(relative, protocol-relative, upper-case host, explicit default port, fragment, stray
newlines inside the attribute, "公告.html" or "%E5%85%AC%E5%91%8A.html" or "%e5%85%ac…").
Non-ASCII characters are percent-encoded as UTF-8 and percent escapes upper-cased (RFC 3986
§6.2.2.1), so every URL is a plain-ASCII URI; the ASCII a page wrote is otherwise kept.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from urllib.parse import quote, urljoin, urlsplit, urlunsplit

_IGNORED_SCHEMES = ("javascript:", "mailto:", "tel:", "data:", "about:", "vbscript:", "sms:")
_DEFAULT_PORTS = {"http": 80, "https": 443}
# Browsers drop ASCII tab/CR/LF anywhere in a URL (WHATWG URL parser); pages do contain them,
# usually as source formatting ("…/gg/\n        art_1.html"), so the indentation around a
# line break goes too.
_TAB_NEWLINE = re.compile(r"[ \t]*[\r\n][ \t\r\n]*|\t")


def canonical_url(href: str, base: str) -> str | None:
    """Resolve ``href`` against ``base``; None when it does not point at a web page.

    Absolute http(s) result, fragment stripped, scheme and host lower-cased, default port
    dropped, dot segments removed, query kept.  None for ``javascript:``, ``mailto:``,
    ``tel:``, in-page anchors (``#…``), empty values and anything that is not http(s).
    """
    if not href:
        return None
    cleaned = _TAB_NEWLINE.sub("", href).strip(" \x00\x0b\x0c\u3000\xa0")
    if not cleaned or cleaned.startswith("#"):
        return None
    lowered = cleaned[:12].lower()
    if lowered.startswith(_IGNORED_SCHEMES):
        return None
    cleaned = cleaned.replace("\\", "/").replace(" ", "%20")
    base_clean = _TAB_NEWLINE.sub("", base or "").strip()
    try:
        joined = urljoin(base_clean, cleaned) if base_clean else cleaned
        return _normalise(joined)
    except ValueError:  # bad port, bad IPv6 literal, ...
        return None


def _normalise(url: str) -> str | None:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        return None
    host = parts.hostname  # lower-cased by urlsplit
    if not host:
        return None
    port = parts.port  # raises ValueError for junk ports
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    elif not host.isascii():
        host = host.encode("idna").decode("ascii")  # 中文.政务 -> xn--…: an ASCII URI throughout
    netloc = host
    if port is not None and port != _DEFAULT_PORTS[scheme]:
        netloc = f"{host}:{port}"
    if parts.username is not None:
        userinfo = parts.username + (f":{parts.password}" if parts.password is not None else "")
        netloc = f"{userinfo}@{netloc}"
    path = percent_normal(_remove_dot_segments(parts.path) or "/")
    return urlunsplit((scheme, netloc, path, percent_normal(parts.query), ""))


_ASCII_PRINTABLE = "".join(chr(c) for c in range(0x21, 0x7F))
_LOWER_ESCAPE = re.compile(r"%[0-9a-f][0-9a-fA-F]|%[0-9A-F][0-9a-f]")


def percent_normal(text: str) -> str:
    """Non-ASCII (and control) characters percent-encoded as UTF-8, escapes upper-cased."""
    if text.isascii() and "%" not in text:
        return text  # nearly every URL: nothing to do
    if not text.isascii() or not text.isprintable():
        text = quote(text, safe=_ASCII_PRINTABLE)
    return _LOWER_ESCAPE.sub(lambda m: m.group().upper(), text)


def _remove_dot_segments(path: str) -> str:
    """RFC 3986 §5.2.4; ``urljoin`` leaves dots alone when the href is already absolute."""
    if "." not in path:
        return path
    segments = path.split("/")
    output: list[str] = []
    for segment in segments:
        if segment == "..":
            if len(output) > 1:
                output.pop()
        elif segment != ".":
            output.append(segment)
    if segments[-1] in (".", ".."):
        output.append("")
    result = "/".join(output)
    if path.startswith("/") and not result.startswith("/"):
        result = "/" + result
    return result


def origin(url: str) -> str | None:
    """``scheme://host[:port]`` of an absolute http(s) URL, or None."""
    canonical = canonical_url(url, "")
    if canonical is None:
        return None
    parts = urlsplit(canonical)
    return f"{parts.scheme}://{parts.netloc}"


class Resolver:
    """``canonical_url`` against one base, with a fast path for the common hrefs.

    List pages hold dozens of links of three shapes (``/abs/path.html``, ``rel/path.html``,
    ``https://host/path``); building them directly is ~20x cheaper than ``urljoin``.  Every
    other shape (dots, fragments, whitespace, queries only, odd hosts) takes the full path,
    and the result is always identical to ``canonical_url(href, base)``.
    """

    __slots__ = ("_cache", "_directory", "_origin", "base")

    def __init__(self, base: str) -> None:
        self.base = base
        self._cache: dict[str, str | None] = {}
        self._origin, self._directory = _base_parts(base)

    def resolve(self, href: str) -> str | None:
        result = self._fast(href)
        if result is not None:
            return result  # cheaper to build again than to cache: a page repeats few hrefs
        cached = self._cache.get(href, _MISSING)
        if cached is not _MISSING:
            return cached  # type: ignore[return-value]
        result = self._cache[href] = canonical_url(href, self.base)
        return result

    def plain_origin(self, hrefs: Sequence[str]) -> str | None:
        """The origin to prefix to each of ``hrefs`` that starts with "/" (but not "//"), or
        None when one of them needs the per-href path.

        A list page's hrefs are checked together, in one scan of them all, instead of
        one by one: the separator "a" cannot complete "/.", "//" or any excluded
        character, so the joined text passes exactly when every href does.
        """
        origin = self._origin
        if origin is None:
            return None
        joined = "a".join(hrefs)
        if "/." in joined or "//" in joined or ";" in joined or "%" in joined or not joined.isascii():
            return None  # "%" and non-ASCII are normalised by the full path
        if not _is_simple_href(joined):
            return None
        return origin

    def _fast(self, href: str) -> str | None:
        if self._origin is None or not href or "/." in href or "%" in href or not href.isascii():
            return None  # percent escapes and non-ASCII are normalised by the full path
        if not _is_simple_href(href):
            return None
        if ";" in href:
            return None  # urljoin treats ";…" as path parameters and drops empty ones ("a/;")
        directory = self._directory
        if href[0] == ".":
            href = href.removeprefix("./")
            while href.startswith("../"):  # "../x": climb the base directory
                href = href[3:]
                cut = directory.rfind("/", len(self._origin) + 1, len(directory) - 1)  # type: ignore[arg-type,union-attr]
                directory = directory[: cut + 1] if cut >= 0 else self._origin + "/"  # type: ignore[index]
            if not href or href[0] in "./?":
                return None  # "..", ".", "./?q": leave the edge cases to the full algorithm
        if href[0] == "/":
            if "//" in href:
                return None  # protocol-relative, or empty segments urljoin would drop
            return self._origin + href
        if href.startswith(("http://", "https://")):
            rest = href[href.index("//") + 2 :]
            slash = rest.find("/")
            host = rest if slash < 0 else rest[:slash]
            if not host or not _SIMPLE_HOST.match(host):
                return None
            return href if slash >= 0 else href + "/"
        colon = href.find(":")
        if (colon >= 0 and href.find("/", 0, colon) < 0) or href[0] == "?" or "//" in href:
            return None  # a scheme (":" in the first segment), a query-only reference, "//"
        return directory + href  # type: ignore[operator]


@lru_cache(maxsize=256)
def _base_parts(base: str) -> tuple[str | None, str | None]:
    """(origin, directory) of a base URL; None when the fast path cannot be used."""
    canonical_base = canonical_url(base, "") if base else None
    if canonical_base is None or "?" in canonical_base:
        return None, None
    parts = urlsplit(canonical_base)
    origin_part = f"{parts.scheme}://{parts.netloc}"
    return origin_part, origin_part + parts.path[: parts.path.rfind("/") + 1]


_MISSING = object()
# No whitespace, backslash, fragment or control characters: the fast path's preconditions.
_SIMPLE_HREF = re.compile(r"[^\s\\#\x00-\x1f\x7f]+\Z")


def _is_simple_href(href: str) -> bool:
    """``_SIMPLE_HREF`` matches; for ASCII hrefs (nearly all) string methods decide faster.

    In ASCII, the only whitespace ``isprintable`` lets through is the space; every control
    character (tab, CR, LF, \\x00-\\x1f, \\x7f) is unprintable.
    """
    if href.isascii():
        return href.isprintable() and " " not in href and "\\" not in href and "#" not in href
    return _SIMPLE_HREF.match(href) is not None


_SIMPLE_HOST = re.compile(r"[a-z0-9.-]+\Z")
