"""Make untrusted page text inert before it reaches a terminal, mail reader, feed or report.

Titles and bodies come from government web pages and may carry anything: terminal escape
sequences, bidi overrides that reorder what a reader sees, NULs, stray CR/LF that would split
an email header.  Every renderer passes untrusted text through ``clean_text`` (multi-line
text) or ``one_line`` (titles, subjects, table cells) and only then applies its own escaping
(html.escape, Markdown escaping, rich.markup.escape).  The store keeps text as received.
"""

from __future__ import annotations

import re
from urllib.parse import quote, urlsplit, urlunsplit

# ANSI/ECMA-48 sequences, in both their 7-bit (ESC …) and 8-bit (C1) spellings:
#   CSI  ESC [ … final byte          / U+009B
#   OSC  ESC ] … (BEL | ESC \ | ST)  / U+009D
#   DCS, SOS, PM, APC: ESC P/X/^/_ … ST  / U+0090, U+0098, U+009E, U+009F
#   any other two-character ESC sequence (ESC c, ESC 7, ESC ( B …)
# An unterminated string sequence loses only its introducer: the text after it stays readable.
_ESCAPE_SEQUENCE = re.compile(
    r"""
      (?:\x1b\[|\x9b) [\x30-\x3f]* [\x20-\x2f]* [\x40-\x7e]?          # CSI
    | (?:\x1b[\]PX^_]|[\x9d\x90\x98\x9e\x9f]) (?:.*?(?:\x07|\x1b\\|\x9c))?  # OSC / DCS / SOS / PM / APC
    | \x1b [\x20-\x2f]* [\x30-\x7e]?                                  # other ESC sequences
    """,
    re.VERBOSE | re.DOTALL,
)

# C0 controls except TAB/LF/CR (handled separately), DEL, C1 controls except NEL (a newline),
# bidi embeddings/overrides/isolates and marks, BOM / zero-width no-break space, lone surrogates,
# and the two non-characters U+FFFE/U+FFFF.
_INVISIBLE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\x80-\x84\x86-\x9f"
    "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff"
    "\ud800-\udfff\ufffe\uffff]"
)
# Everything a reader would take for a line break.
_LINE_BREAK = re.compile("\r\n|[\r\n\x85\u2028\u2029\x0b\x0c]")
_WHITESPACE_RUN = re.compile(r"\s+")


def clean_text(s: str | None, *, keep_newlines: bool = True, keep_tabs: bool = True) -> str:
    """``s`` without escape sequences, control characters or bidi controls.

    Line breaks of every spelling become ``\\n`` (or a space when ``keep_newlines`` is false);
    tabs stay unless ``keep_tabs`` is false (then they become spaces).
    """
    if not s:
        return ""
    text = _ESCAPE_SEQUENCE.sub("", s)
    text = _LINE_BREAK.sub("\n" if keep_newlines else " ", text)
    text = _INVISIBLE.sub("", text)
    if not keep_tabs:
        text = text.replace("\t", " ")
    return text


def one_line(s: str | None) -> str:
    """``clean_text`` folded onto one line: whitespace runs (newlines included) become one space."""
    return _WHITESPACE_RUN.sub(" ", clean_text(s, keep_newlines=False, keep_tabs=False)).strip()


# Characters left as they are in a link; everything else is percent-encoded, so the result
# holds no space, quote-less bracket, parenthesis, backslash, backtick or non-ASCII character
# that could end a Markdown link destination or an HTML attribute early.
_URL_SAFE = ":/?#[]@!$&'*+,;=%-._~"


def http_url(url: str | None) -> str | None:
    """``url`` made safe to use as a link target, or None unless it is an absolute http(s) URL.

    A ``javascript:``, ``data:`` or relative URL is never linked: callers show it as text.
    Non-ASCII host names become IDNA; risky characters elsewhere are percent-encoded.
    """
    if not url:
        return None
    candidate = url.strip()
    if _INVISIBLE.search(candidate) or any(c in candidate for c in "\r\n\t\x1b\x85\u2028\u2029"):
        return None
    try:
        parts = urlsplit(candidate)
        hostname = parts.hostname
        port = parts.port
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not hostname:
        return None
    if not hostname.isascii():
        try:
            hostname = hostname.encode("idna").decode("ascii")
        except UnicodeError:
            return None
    if ":" in hostname:  # IPv6 literal
        hostname = f"[{hostname}]"
    userinfo = parts.netloc.rpartition("@")[0]
    netloc = (f"{quote(userinfo, safe=_URL_SAFE)}@" if userinfo else "") + hostname
    if port is not None:
        netloc += f":{port}"
    rebuilt = urlunsplit((parts.scheme.lower(), netloc, parts.path, parts.query, parts.fragment))
    return quote(rebuilt, safe=_URL_SAFE)
