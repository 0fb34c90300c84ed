"""Anti-bot challenge and WAF block page recognition.  Pure: no I/O beyond reading the
bundled marker list (``antibot.toml``) once.

Chinese government sites sit behind jiasule/加速乐, Cloudflare and assorted WAFs.  They
answer with a JavaScript challenge or a block page instead of the content; such an answer
must become a ``BlockedError``, never be parsed as a page.
"""

from __future__ import annotations

import functools
import re
import tomllib
from dataclasses import dataclass
from importlib import resources
from typing import Mapping

__all__ = ["detect_challenge", "might_be_challenge"]

# Block pages are searched for markers this far (the fetcher reads error pages no further).
MARKER_SCAN_CHARS = 256 * 1024
# Bodies larger than this are never challenge pages: no need to decode them twice.
PREFILTER_MAX_BYTES = 64 * 1024
# Byte strings that a challenge page carries and an ordinary page rarely does.
PREFILTER_SIGNS = (b"document.cookie", b"__jsl_clearance", b"_cf_chl_opt", b"challenge-platform")


@dataclass(frozen=True, slots=True)
class WafMarkers:
    page_markers: tuple[str, ...]  # lower-cased
    server_names: tuple[str, ...]  # lower-cased


@functools.cache
def waf_markers() -> WafMarkers:
    """The bundled marker list (``antibot.toml``)."""
    data = tomllib.loads(resources.files("cnca_watch").joinpath("antibot.toml").read_text(encoding="utf-8"))
    return WafMarkers(
        page_markers=tuple(m.lower() for m in data["page_markers"]),
        server_names=tuple(n.lower() for n in data["server_names"]),
    )


def might_be_challenge(content: bytes, headers: Mapping[str, str]) -> bool:
    """A cheap look at the raw bytes: could this 2xx/3xx answer be a challenge page?
    (Decoding a large normal page twice is waste: challenge pages are small.)"""
    return len(content) <= PREFILTER_MAX_BYTES and (
        any(sign in content for sign in PREFILTER_SIGNS) or "cf-mitigated" in headers
    )


JSL_COOKIE = re.compile(r"__jsluid_\w*|__jsl_clearance\w*", re.IGNORECASE)
CHALLENGE_SCRIPT = re.compile(
    r"document\.cookie\s*=|__jsl_clearance|eval\s*\(\s*function\s*\(\s*p\s*,\s*a\s*,\s*c\s*,\s*k"
    r"|_cf_chl_opt|cf-browser-verification|challenge-platform",
    re.IGNORECASE,
)
RELOAD_SCRIPT = re.compile(
    r"location\.(?:href|replace|reload|assign)|window\.location|setTimeout\s*\(", re.IGNORECASE
)
SCRIPT_OR_STYLE = re.compile(r"<(script|style)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
TAG = re.compile(r"<[^>]+>")
# A challenge page carries a script and next to no readable text; a real page
# that merely includes a cookie script has plenty.
CHALLENGE_MAX_VISIBLE_CHARS = 200


def visible_text(html: str) -> str:
    without_code = SCRIPT_OR_STYLE.sub(" ", html)
    return " ".join(TAG.sub(" ", without_code).split())


def has_challenge_script(text: str) -> bool:
    if "__jsl_clearance" in text or "_cf_chl_opt" in text or "challenge-platform" in text:
        return True
    return bool(CHALLENGE_SCRIPT.search(text) and RELOAD_SCRIPT.search(text))


def detect_challenge(status: int, headers: Mapping[str, str], text: str) -> str | None:
    """Describe the anti-bot challenge or WAF block this answer is, or None.

    ``headers`` must have lower-cased names.  Pure function: no I/O.
    Anti-bot layers (jiasule/加速乐, Cloudflare, assorted Chinese WAFs) answer
    412/521 with a JavaScript challenge, 403 with a block page, or sometimes
    200 with a challenge script and no content.  A ``__jsluid_s`` cookie alone
    does not block: those layers set it on ordinary pages too.
    """
    set_cookie = headers.get("set-cookie", "")
    jsl_cookie = bool(JSL_COOKIE.search(set_cookie))
    challenge_script = has_challenge_script(text)
    visible = visible_text(text)
    barely_any_content = len(visible) <= CHALLENGE_MAX_VISIBLE_CHARS

    if headers.get("cf-mitigated", "").lower() == "challenge":
        return "Cloudflare challenge"
    if status in (412, 521):
        if challenge_script:
            return "JavaScript challenge page"
        if jsl_cookie:
            return "anti-bot cookie challenge (__jsluid/__jsl_clearance)"
        return None
    if status in (403, 429, 503):
        if challenge_script and barely_any_content:
            return "JavaScript challenge page"
        if status == 403:
            markers = waf_markers()
            lowered = text[:MARKER_SCAN_CHARS].lower()
            server = headers.get("server", "").lower()
            if jsl_cookie or any(marker in lowered for marker in markers.page_markers):
                return "web application firewall block page"
            if any(name in server for name in markers.server_names):
                return "web application firewall block page"
        return None
    if 200 <= status < 300 and challenge_script and barely_any_content:
        return "JavaScript challenge page instead of content"
    return None
