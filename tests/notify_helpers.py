"""Hand-built changes and source results shared by the notify/render tests."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from html.parser import HTMLParser

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from cnca_watch.models import AreaTag, Change, ChangeKind, Evidence, RunResult, SourceResult, SourceStatus

UNIFIED = AreaTag("unified-management", "Unified management, joint implementation", "统一管理、共同实施", 3.0, (Evidence("强制性产品认证目录", "title"),))
REGULATION = AreaTag("regulation", "Improving regulation", "提升监管效能", 1.5)
GOING_GLOBAL = AreaTag("going-global", "Going global", "走出去 / 国际合作", 2.0)

HOSTILE_TITLE = (
    "\x1b[31m红色\x1b[0m [bold red]警告[/bold red] \u202eevil\u202c \x00NUL <script>alert(1)</script>"
    " ]]> [click](javascript:alert(1)) \r\nBcc: evil@x"
)


def new_change(title: str = "市场监管总局 国家认监委关于电动自行车用锂离子蓄电池实施强制性产品认证管理的公告", *,
               source: str = "cnca-notices", url: str = "https://www.cnca.gov.cn/zxtz/2024/art/2024/art_1.html",
               date: str | None = "2024-01-12", areas: tuple[AreaTag, ...] = (UNIFIED, REGULATION),
               detected_at: str = "2024-01-12T07:00:00Z", id: int | None = 1) -> Change:
    return Change(ChangeKind.NEW, source, url, title, date, areas=areas, detected_at=detected_at, id=id)


def changed_change(**overrides) -> Change:
    values = dict(
        kind=ChangeKind.CHANGED, source="samr-notices", url="https://www.samr.gov.cn/zw/zfxxgk/fdzdgknr/art/2024/art_2.html",
        title="关于开展2024年认证有效性抽查的通知", date="2024-02-03", fields_changed=("body",),
        diff="抽查[-50-]{+60+}家认证机构", areas=(REGULATION,), detected_at="2024-02-04T07:00:00Z", id=2,
    )
    values.update(overrides)
    return Change(**values)


def removed_change() -> Change:
    return Change(ChangeKind.REMOVED, "cnca-notices", "https://www.cnca.gov.cn/zxtz/2023/art_9.html",
                  "关于节假日安排的通知", "2023-12-28", detected_at="2024-03-01T07:00:00Z", id=3)


def failed_source() -> SourceResult:
    return SourceResult("samr-bulletins", "https://www.samr.gov.cn/zw/gg/", SourceStatus.BLOCKED,
                        error="blocked by anti-bot challenge at https://www.samr.gov.cn/zw/gg/ (HTTP 521)")


def run_result(changes: tuple[Change, ...], sources: tuple[SourceResult, ...] | None = None) -> RunResult:
    if sources is None:
        sources = (
            SourceResult("cnca-notices", "https://www.cnca.gov.cn/zxtz/", SourceStatus.OK, new=1),
            SourceResult("samr-notices", "https://www.samr.gov.cn/zw/", SourceStatus.OK, changed=1),
            failed_source(),
        )
    return RunResult(7, "2024-01-12T07:00:00Z", "2024-01-12T07:01:00Z", sources, changes)


ALLOWED_TAGS = {"html", "head", "meta", "title", "body", "h1", "h2", "h3", "p", "strong", "ul", "li",
                "a", "time", "br", "span", "div", "del", "ins"}


class HtmlCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.hrefs: list[str] = []
        self.text: list[str] = []
        self.ins: list[str] = []
        self.dels: list[str] = []
        self._stack: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self._stack.append(tag)
        self.hrefs += [v for k, v in attrs if k == "href"]
        assert not any(k.startswith("on") for k, _ in attrs), attrs

    def handle_endtag(self, tag):
        if tag in self._stack:
            self._stack.remove(tag)

    def handle_data(self, data):
        self.text.append(data)
        if self._stack and self._stack[-1] == "ins":
            self.ins.append(data)
        if self._stack and self._stack[-1] == "del":
            self.dels.append(data)


def parse(html: str) -> HtmlCollector:
    collector = HtmlCollector()
    collector.feed(html)
    collector.close()
    return collector


# --- a real SMTP server on 127.0.0.1 (aiosmtpd) -----------------------------------------

SECRET = "s3cr3t-Pa55-⚿"  # non-ASCII on purpose: smtplib alone cannot send it
USER = "watcher"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SmtpCollector:
    """An aiosmtpd handler keeping every envelope; set ``refuse`` (e.g. "550 …") to refuse DATA."""

    def __init__(self, refuse: str | None = None) -> None:
        self.envelopes: list = []
        self.refuse = refuse

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd hook name)
        if self.refuse:
            return self.refuse
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"


ASCII_SECRET = "plain-ascii-pw"


def check_credentials(server, session, envelope, mechanism, auth_data):
    ok = (
        isinstance(auth_data, LoginPassword)
        and auth_data.login == USER.encode()
        and auth_data.password in (SECRET.encode("utf-8"), ASCII_SECRET.encode())
    )
    # handled=False: let aiosmtpd answer 535 itself on failure.
    return AuthResult(success=ok, handled=False)


@contextmanager
def running_smtp_server(*, refuse: str | None = None, auth: bool = False) -> Iterator[tuple[Controller, SmtpCollector]]:
    """An aiosmtpd server on 127.0.0.1 collecting envelopes (``refuse``: reply to DATA instead)."""
    handler = SmtpCollector(refuse=refuse)
    kwargs = {}
    if auth:
        kwargs = {"authenticator": check_credentials, "auth_require_tls": False, "auth_required": True}
    controller = Controller(handler, hostname="127.0.0.1", port=free_port(), ready_timeout=5, **kwargs)
    controller.start()
    try:
        yield controller, handler
    finally:
        controller.stop()
