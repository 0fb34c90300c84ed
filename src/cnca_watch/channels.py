"""Chat platforms' webhook messages: shape, size limits, signing and success signals.

Pure: a digest of changes in, the HTTP requests to make out, and a verdict on each answer.
The posting itself lives in ``notify.py`` and the outbox bookkeeping in ``delivery.py``.

Written by hand rather than through apprise: each platform needs a few dozen lines, and the
outbox must know exactly which changes went out in which message (a digest split into three
posts can fail on the second, and only the first one's changes may be marked delivered).
apprise sends a body and reports one boolean for all of it, and would add ~4 MiB and its
plugin loading to a tool that runs from cron on laptops.

Platform facts (from each platform's documentation of custom robots / incoming webhooks):

- WeCom (企业微信 group robot): ``{"msgtype": "markdown", "markdown": {"content": …}}``,
  content at most 4096 bytes of UTF-8; success is ``{"errcode": 0}`` in an HTTP 200.
- DingTalk (钉钉 custom robot): ``{"msgtype": "markdown", "markdown": {"title", "text"}}``;
  with a signing secret, ``timestamp`` (ms) and ``sign`` = base64(HMAC-SHA256(key=secret,
  msg=f"{timestamp}\\n{secret}")) go in the query string; success ``{"errcode": 0}``.
  We keep a message's text under 18,000 bytes (the documented body limit is 20 KB).
- Feishu/Lark (飞书 custom bot): ``{"msg_type": "interactive", "card": …}``; with a secret,
  ``timestamp`` (s) and ``sign`` = base64(HMAC-SHA256(key=f"{timestamp}\\n{secret}",
  msg=b"")) go in the body; the request body must stay under 20 KB; success is
  ``{"code": 0}`` (older answers: ``{"StatusCode": 0}``).
- Slack (incoming webhook): ``{"text": …, "blocks": [section…]}``, a section's text at most
  3000 characters and 50 blocks; success is HTTP 200 with the body ``ok``.
- Microsoft Teams (Workflows / incoming webhook): a message with one Adaptive Card
  attachment, at most 28 KB; success is a 2xx (Workflows answer 202; the old connectors
  answer 200 with ``1``, and report some failures as a 200 whose body names the error).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Any, Callable, Sequence
from urllib.parse import urlencode, urlsplit, urlunsplit

FORMATS: tuple[str, ...] = ("json", "wecom", "dingtalk", "feishu", "slack", "teams")
SIGNED_FORMATS: frozenset[str] = frozenset({"dingtalk", "feishu"})


@dataclass(frozen=True, slots=True)
class DigestItem:
    """One change as a chat message shows it (strings already inert and one-line)."""

    change_id: int
    kind: str  # "new" | "changed" | "removed"
    title: str
    url: str
    date: str | None
    source: str
    areas: tuple[str, ...] = ()  # short labels, primary first
    facts: str = ""  # the fields line (document number, deadlines …), may be empty


@dataclass(frozen=True, slots=True)
class OutgoingMessage:
    """One HTTP POST to make, and the changes it carries."""

    url: str
    body: bytes
    headers: tuple[tuple[str, str], ...]
    change_ids: tuple[int, ...]


KIND_WORD = {"new": "New", "changed": "Changed", "removed": "Removed"}


def build_messages(
    fmt: str,
    url: str,
    heading: str,
    items: Sequence[DigestItem],
    *,
    secret: str | None = None,
    now_ms: int,
) -> list[OutgoingMessage]:
    """The posts that deliver ``items`` to a ``fmt`` webhook, each within the platform's limit.

    ``heading`` is the digest's one-line summary (e.g. "cnca-watch: 3 new, 1 changed").  A
    digest too long for one message is split between items into numbered parts; one item
    longer than a whole message on its own is shortened (its title cut, the link kept).
    ``now_ms`` is the signing clock (milliseconds since the epoch).
    """
    try:
        platform = _PLATFORMS[fmt]
    except KeyError:
        raise ValueError(f"webhook format {fmt!r} is not one of {', '.join(FORMATS[1:])}") from None
    if fmt in SIGNED_FORMATS and secret == "":
        raise ValueError(f"the {fmt} signing secret is empty")
    groups = _split(platform, heading, items)
    messages: list[OutgoingMessage] = []
    for number, group in enumerate(groups, 1):
        part_heading = heading if len(groups) == 1 else f"{heading} ({number}/{len(groups)})"
        document = platform.document(part_heading, [platform.line(item) for item in group])
        target = url
        if secret is not None and fmt == "dingtalk":
            target = _with_query(url, timestamp=str(now_ms), sign=dingtalk_sign(secret, now_ms))
        elif secret is not None and fmt == "feishu":
            seconds = now_ms // 1000
            document = {"timestamp": str(seconds), "sign": feishu_sign(secret, seconds), **document}
        body = json.dumps(document, ensure_ascii=False).encode("utf-8")
        messages.append(
            OutgoingMessage(
                url=target,
                body=body,
                headers=(("Content-Type", "application/json; charset=utf-8"),),
                change_ids=tuple(item.change_id for item in group),
            )
        )
    return messages


def failure(fmt: str, status: int, body: bytes) -> str | None:
    """Why the platform did not accept the post, or ``None`` when it did.

    These APIs answer HTTP 200 with an error code in the body: that is a failure.
    """
    text = body.decode("utf-8", "replace").strip()
    if not 200 <= status < 300:
        return f"HTTP {status}{': ' + text[:200] if text else ''}"
    if fmt in ("wecom", "dingtalk"):
        answer = _json_object(text)
        if answer is None or answer.get("errcode") != 0:
            return _platform_error(answer, text, "errcode", "errmsg")
        return None
    if fmt == "feishu":
        answer = _json_object(text)
        code = None if answer is None else answer.get("code", answer.get("StatusCode"))
        if code != 0:
            return _platform_error(answer, text, "code", "msg")
        return None
    if fmt == "slack":
        return None if text == "ok" else f"Slack answered {text[:200] or 'nothing'} instead of ok"
    if fmt == "teams":
        # Workflows answer 202 with no body; old connectors 200 with "1"; a 200 carrying an
        # error text ("Microsoft Teams endpoint returned HTTP error 413 …") did not post.
        if text in ("", "1") or status == 202:
            return None
        return f"Teams answered {text[:200]}"
    return None  # "json": any 2xx


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """DingTalk's signature: base64 HMAC-SHA256 of "timestamp\\nsecret" keyed by the secret."""
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def feishu_sign(secret: str, timestamp_s: int) -> str:
    """Feishu's signature: base64 HMAC-SHA256 keyed by "timestamp\\nsecret" over no message."""
    digest = hmac.new(f"{timestamp_s}\n{secret}".encode(), b"", hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


# -- platforms -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Platform:
    line: Callable[[DigestItem], str]
    document: Callable[[str, list[str]], dict[str, Any]]
    # the size that must stay under ``limit``: of the text field, or of the whole body
    measure: Callable[[dict[str, Any]], int]
    limit: int
    max_lines: int = 10_000


def _markdown_line(item: DigestItem) -> str:
    areas = f" · {', '.join(item.areas)}" if item.areas else ""
    date = f"{item.date} · " if item.date else ""
    facts = f"\n  {_md(item.facts)}" if item.facts else ""
    return f"- **{KIND_WORD.get(item.kind, item.kind)}** [{_md(item.title)}]({_link(item.url)})\n  {date}{_md(item.source)}{areas}{facts}"


def _slack_line(item: DigestItem) -> str:
    areas = f" · {', '.join(item.areas)}" if item.areas else ""
    date = f"{item.date} · " if item.date else ""
    facts = f"\n{_slack_escape(item.facts)}" if item.facts else ""
    return f"*{KIND_WORD.get(item.kind, item.kind)}* <{_link(item.url)}|{_slack_escape(item.title)}>\n{date}{_slack_escape(item.source)}{areas}{facts}"


def _wecom_document(heading: str, lines: list[str]) -> dict[str, Any]:
    return {"msgtype": "markdown", "markdown": {"content": "\n".join([f"**{_md(heading)}**", *lines])}}


def _dingtalk_document(heading: str, lines: list[str]) -> dict[str, Any]:
    text = "\n\n".join([f"### {_md(heading)}", *lines])
    return {"msgtype": "markdown", "markdown": {"title": heading[:64], "text": text}}


def _feishu_document(heading: str, lines: list[str]) -> dict[str, Any]:
    return {
        "msg_type": "interactive",
        "card": {
            "header": {"title": {"tag": "plain_text", "content": heading}},
            "elements": [{"tag": "markdown", "content": line} for line in lines],
        },
    }


def _slack_document(heading: str, lines: list[str]) -> dict[str, Any]:
    blocks: list[dict[str, Any]] = [{"type": "header", "text": {"type": "plain_text", "text": heading[:150]}}]
    blocks += [{"type": "section", "text": {"type": "mrkdwn", "text": line[:3000]}} for line in lines]
    return {"text": heading, "blocks": blocks}


def _teams_document(heading: str, lines: list[str]) -> dict[str, Any]:
    body: list[dict[str, Any]] = [{"type": "TextBlock", "text": heading, "weight": "Bolder", "size": "Medium", "wrap": True}]
    body += [{"type": "TextBlock", "text": line, "wrap": True} for line in lines]
    card = {"$schema": "http://adaptivecards.io/schemas/adaptive-card.json", "type": "AdaptiveCard", "version": "1.4", "body": body}
    return {"type": "message", "attachments": [{"contentType": "application/vnd.microsoft.card.adaptive", "content": card}]}


def _body_size(document: dict[str, Any]) -> int:
    return len(json.dumps(document, ensure_ascii=False).encode("utf-8"))


_PLATFORMS: dict[str, _Platform] = {
    "wecom": _Platform(_markdown_line, _wecom_document, lambda d: len(d["markdown"]["content"].encode()), 4096),
    "dingtalk": _Platform(_markdown_line, _dingtalk_document, lambda d: len(d["markdown"]["text"].encode()), 18_000),
    # the signature fields add under 100 bytes to the body
    "feishu": _Platform(_markdown_line, _feishu_document, _body_size, 19_900),
    "slack": _Platform(_slack_line, _slack_document, _body_size, 38_000, max_lines=49),
    "teams": _Platform(_markdown_line, _teams_document, _body_size, 27_000),
}


def _split(platform: _Platform, heading: str, items: Sequence[DigestItem]) -> list[list[DigestItem]]:
    """Greedy split between items; the part numbers the heading gains are allowed for."""
    # A heading as long as the longest numbered one, so a part that fits here fits later.
    probe_heading = f"{heading} (999/999)"
    groups: list[list[DigestItem]] = []
    current: list[DigestItem] = []
    for item in items:
        item = _fitting(platform, probe_heading, item)
        candidate = [*current, item]
        if current and (
            len(candidate) > platform.max_lines
            or platform.measure(platform.document(probe_heading, [platform.line(i) for i in candidate])) > platform.limit
        ):
            groups.append(current)
            candidate = [item]
        current = candidate
    if current or not groups:
        groups.append(current)
    return groups


def _fitting(platform: _Platform, heading: str, item: DigestItem) -> DigestItem:
    """``item``, its title and facts shortened until a message holding only it fits."""
    def size(candidate: DigestItem) -> int:
        return platform.measure(platform.document(heading, [platform.line(candidate)]))

    if size(item) <= platform.limit:
        return item
    from dataclasses import replace

    item = replace(item, facts=item.facts[:200])
    title = item.title
    while size(item) > platform.limit and len(title) > 1:
        title = title[: len(title) // 2]
        item = replace(item, title=title + "…")
    return item


_INERT = str.maketrans({"[": "［", "]": "］", "*": "＊", "_": "＿", "`": "｀", "<": "＜", ">": "＞", "#": "＃", "|": "｜", "~": "～", "\\": "＼"})


def _md(text: str) -> str:
    """Text that cannot open Markdown syntax on these platforms.

    Their Markdown dialects differ and few honour backslash escapes, so the characters that
    open syntax become their full-width twins: a title reads the same and stays inert.
    """
    return text.translate(_INERT)


def _link(url: str) -> str:
    """A URL that cannot close a Markdown link or a Slack ``<url|text>`` early."""
    return url.replace("(", "%28").replace(")", "%29").replace("|", "%7C").replace(">", "%3E").replace(" ", "%20")


def _slack_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _with_query(url: str, **params: str) -> str:
    parts = urlsplit(url)
    query = "&".join(q for q in (parts.query, urlencode(params)) if q)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


def _json_object(text: str) -> dict[str, Any] | None:
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _platform_error(answer: dict[str, Any] | None, text: str, code_key: str, message_key: str) -> str:
    if answer is None:
        return f"answered {text[:200] or 'nothing'} instead of a JSON status"
    return f"{code_key} {answer.get(code_key, '?')}: {str(answer.get(message_key, ''))[:200]}"
