"""Pure parts of fetch: Retry-After parsing; the fetcher refusing odd URLs and statuses.

Anti-bot recognition has its own module and tests: ``test_antibot.py``."""

from __future__ import annotations

import asyncio
import email.utils

import httpx
import pytest

from cnca_watch.errors import FetchError, HTTPStatusError
from cnca_watch.fetch import Fetcher, parse_retry_after
from cnca_watch.settings import FetchSettings

def test_retry_after_seconds() -> None:
    assert parse_retry_after("1") == 1.0
    assert parse_retry_after(" 120 ") == 120.0
    assert parse_retry_after("0") == 0.0
    assert parse_retry_after("-5") == 0.0


def test_retry_after_http_date() -> None:
    now = 1_714_550_400.0
    when = email.utils.formatdate(now + 30, usegmt=True)
    assert parse_retry_after(when, now=now) == pytest.approx(30.0)
    past = email.utils.formatdate(now - 30, usegmt=True)
    assert parse_retry_after(past, now=now) == 0.0


@pytest.mark.parametrize("value", [None, "", "soon", "nan", "Mon, 99 Foo 2024"])
def test_retry_after_unreadable(value: str | None) -> None:
    assert parse_retry_after(value) is None


async def _get_with(handler, url: str) -> tuple[Exception | None, int]:  # type: ignore[no-untyped-def]
    async with Fetcher(FetchSettings(retries=0), transport=httpx.MockTransport(handler)) as fetcher:
        try:
            await fetcher.get(url)
        except Exception as exc:  # noqa: BLE001 - the test inspects it
            return exc, fetcher.request_count
        return None, fetcher.request_count


@pytest.mark.parametrize("url", ["ftp://www.cnca.gov.cn/a.pdf", "file:///etc/passwd", "http://"])
def test_only_http_urls_are_fetched(url: str) -> None:
    def never(request: httpx.Request) -> httpx.Response:
        raise AssertionError("no request may be sent")

    exc, count = asyncio.run(_get_with(never, url))
    assert type(exc) is FetchError and url in str(exc) and "http" in str(exc)
    assert count == 0


def test_redirect_without_location_is_a_status_error() -> None:
    url = "https://www.cnca.gov.cn/zwxx/gg/index.html"
    exc, count = asyncio.run(_get_with(lambda request: httpx.Response(302), url))
    assert type(exc) is HTTPStatusError and exc.status == 302
    assert str(exc) == f"HTTP 302 Found from {url} without a Location to follow"
    assert count == 1
