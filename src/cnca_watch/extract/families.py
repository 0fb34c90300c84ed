"""Page family 1: jpaas column pages, whose list comes from a JSON "unit build" API.

The column page carries a ``<script … querydata="{'webId':…}">`` (``parseType="bulidstatic"``
with a ``url`` attribute on CNCA, or a ``unitbuild.js`` script without ``url`` on some SAMR
pages).  The API answers ``{"success":true,"code":"200","data":{"html":"<…list…>"}}``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from ..errors import ExtractError
from ..urls import canonical_url, origin
from .text import attr, parse_html

DEFAULT_UNIT_PATH = "/api-gateway/jpaas-publish-server/front/page/build/unit"
_OK_CODES = frozenset({"200", "0"})


@dataclass(frozen=True, slots=True)
class JpaasUnit:
    """Where and how to ask for a jpaas column's list."""

    api_url: str  # absolute
    params: dict[str, str] = field(default_factory=dict)

    def page_params(self, page_no: int, page_size: int) -> dict[str, str]:
        """Query parameters for one page; bare pageNo/pageSize are ignored by the API."""
        params = dict(self.params)
        params["paramJson"] = json.dumps(
            {"pageNo": int(page_no), "pageSize": int(page_size)}, separators=(",", ":")
        )
        return params


@dataclass(frozen=True, slots=True)
class JpaasPayload:
    html: str  # the list fragment (data.html)
    total: int | None  # items in the column, from .pagination[count]


def _as_param(value: Any) -> str:
    if isinstance(value, str):
        return value
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _parse_querydata(raw: str) -> dict[str, str] | None:
    text = raw.strip()
    for candidate in (text, text.replace("'", '"')):
        try:
            data = json.loads(candidate)
        except (ValueError, RecursionError):
            continue
        if isinstance(data, dict):
            return {str(key): _as_param(value) for key, value in data.items()}
    return None


def _is_bulidstatic(script: Any) -> bool:
    for name, value in script.attributes.items():
        if name.lower() == "parsetype" and isinstance(value, str):
            return value.strip().lower() == "bulidstatic"
    return False


def _attr_ci(script: Any, wanted: str) -> str | None:
    for name, value in script.attributes.items():
        if name.lower() == wanted and isinstance(value, str):
            return value
    return None


def find_jpaas_unit(html: str, page_url: str) -> JpaasUnit | None:
    """The list API of a jpaas column page, or None for a page that carries its own list.

    Raises ExtractError when the page has a ``querydata`` script but none can be read:
    treating such a page as an empty static list would hide the problem.
    """
    tree = parse_html(html)
    scripts = [s for s in tree.css("script") if _attr_ci(s, "querydata") is not None]
    if not scripts:
        return None
    page_origin = origin(page_url)
    unreadable: list[str] = []
    units: list[tuple[tuple[bool, bool, bool], JpaasUnit]] = []
    for script in scripts:
        raw = _attr_ci(script, "querydata") or ""
        params = _parse_querydata(raw)
        if params is None:
            unreadable.append(raw[:80])
            continue
        url_attr = (_attr_ci(script, "url") or "").strip()
        if url_attr:
            api_url = canonical_url(url_attr, page_url)
        elif page_origin is not None:
            api_url = page_origin + DEFAULT_UNIT_PATH
        else:
            api_url = None
        if api_url is None:
            raise ExtractError(
                f"cannot build the list API address from url={url_attr!r} on {page_url}"
            )
        # A page may carry several units (menus, sidebars): the list is the bulidstatic
        # one for the column's content area.  Ties keep page order (sort is stable).
        rank = (
            not _is_bulidstatic(script),
            "内容" not in params.get("tagId", ""),
            params.get("pageType") != "column",
        )
        units.append((rank, JpaasUnit(api_url=api_url, params=params)))
    if units:
        return min(units, key=lambda unit: unit[0])[1]
    raise ExtractError(
        f"the page's list script has unreadable querydata (not JSON): {unreadable[0]!r}"
    )


def refuse_jpaas_api(url: str, text: str) -> None:
    """Refuse a source pointed at the list API itself rather than at its column page.

    Public crawlers often quote the API address, but its answer is JSON whose links are
    relative to a column page it does not name, and its paging lives in ``paramJson``:
    read as a page it yields titles made of JSON and links that resolve nowhere.
    """
    body = (text or "").lstrip("\ufeff \t\r\n")
    if DEFAULT_UNIT_PATH in url or (body.startswith("{") and '"html"' in body[:4096] and "data" in body[:4096]):
        raise ExtractError(
            f"{url} is the jpaas list API behind a column page, not a page to watch: "
            "set the source's url to the column's list page (the page whose <script> carries querydata=…)"
        )


def parse_jpaas_payload(text: str) -> JpaasPayload:
    """Read the list API's JSON answer; every unusable answer is an ExtractError."""
    body = (text or "").lstrip("\ufeff \t\r\n")
    if not body:
        raise ExtractError("the list API answered with an empty body instead of JSON")
    if body.startswith("<"):
        raise ExtractError("the list API answered with an HTML page instead of JSON")
    try:
        data = json.loads(body)
    except RecursionError as err:
        raise ExtractError("malformed JSON from the list API: nested too deeply") from err
    except ValueError as err:
        raise ExtractError(f"malformed JSON from the list API: {err}") from err
    if not isinstance(data, dict):
        raise ExtractError(
            f"malformed JSON from the list API: expected an object, got {type(data).__name__}"
        )
    success = data.get("success")
    code = data.get("code")
    code_text = None if code is None else str(code)
    if success is False or (code_text is not None and code_text not in _OK_CODES):
        message = data.get("msg") or data.get("message") or ""
        detail = f" ({message})" if isinstance(message, str) and message else ""
        raise ExtractError(f"list API reported failure: code {code_text or '?'}{detail}")
    payload = data.get("data")
    html = payload.get("html") if isinstance(payload, dict) else None
    if not isinstance(html, str) or not isinstance(payload, dict):
        raise ExtractError("the list API answer has no data.html list fragment")
    return JpaasPayload(html=html, total=_total_from(html, payload))


def _total_from(html: str, payload: dict[str, Any]) -> int | None:
    if "pagination" in html:
        tree = parse_html(html)
        for node in tree.css(".pagination"):
            count = attr(node, "count")
            digits = (count or "").strip()
            if digits.isascii() and digits.isdigit() and len(digits) <= 12:
                return int(digits)
    total = payload.get("total")
    if isinstance(total, int) and not isinstance(total, bool) and total >= 0:
        return total
    return None
