"""Pure parts of fetch: anti-bot recognition and Retry-After parsing."""

from __future__ import annotations

import asyncio
import email.utils
from pathlib import Path

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cnca_watch.errors import FetchError, HTTPStatusError
from cnca_watch.fetch import Fetcher, detect_challenge, parse_retry_after
from cnca_watch.settings import FetchSettings

FIXTURES = Path(__file__).parent / "fixtures" / "fetch"
JSL_COOKIES = "__jsluid_s=4f6b3c2a; max-age=31536000; path=/, __jsl_clearance_s=1714550400|0|x; path=/"


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


@pytest.mark.parametrize("status", [412, 521])
@pytest.mark.parametrize("page", ["jsl_challenge_521.html", "jsl_packed_challenge_412.html"])
def test_jiasule_challenge_pages_are_recognised(status: int, page: str) -> None:
    assert detect_challenge(status, {"set-cookie": JSL_COOKIES}, fixture(page)) is not None
    assert detect_challenge(status, {}, fixture(page)) is not None  # the script alone is enough


@pytest.mark.parametrize("status", [412, 521])
def test_challenge_status_with_jsl_cookie_and_empty_body_is_recognised(status: int) -> None:
    assert detect_challenge(status, {"set-cookie": "__jsluid_h=abc; path=/"}, "") is not None


def test_521_without_any_challenge_sign_is_not_a_challenge() -> None:
    # Cloudflare's "web server is down" page: an outage, worth retrying.
    page = "<html><body><h1>Web server is down</h1><p>Error code 521</p></body></html>"
    assert detect_challenge(521, {}, page) is None


def test_waf_403_pages_are_recognised() -> None:
    assert detect_challenge(403, {}, fixture("waf_403_safedog.html")) is not None
    assert detect_challenge(403, {}, fixture("cloudflare_challenge_403.html")) is not None
    assert detect_challenge(403, {"server": "yunsuo_waf"}, "<h1>403</h1>") is not None


def test_plain_403_is_not_a_waf_page() -> None:
    page = "<html><head><title>403 Forbidden</title></head><body><center><h1>403 Forbidden</h1></center><hr><center>nginx</center></body></html>"
    assert detect_challenge(403, {"server": "nginx"}, page) is None


def test_cloudflare_mitigation_header_is_recognised() -> None:
    assert detect_challenge(403, {"cf-mitigated": "challenge"}, "") is not None


def test_challenge_served_with_200_is_recognised() -> None:
    assert detect_challenge(200, {}, fixture("jsl_challenge_521.html")) is not None


def test_real_page_with_a_cookie_script_and_jsluid_cookie_is_not_a_challenge() -> None:
    page = fixture("cnca_detail_with_cookie_script.html")
    assert detect_challenge(200, {"set-cookie": "__jsluid_s=abc; path=/"}, page) is None


def test_200_not_found_page_is_not_a_challenge() -> None:
    page = "<html><title>页面不存在</title><body>页面不存在 / page not found</body></html>"
    assert detect_challenge(200, {}, page) is None


@given(status=st.integers(100, 599), headers=st.dictionaries(st.text(max_size=20), st.text(max_size=80), max_size=4), text=st.text(max_size=400))
@settings(max_examples=200, deadline=1000)
def test_detect_challenge_never_raises(status: int, headers: dict[str, str], text: str) -> None:
    result = detect_challenge(status, {k.lower(): v for k, v in headers.items()}, text)
    assert result is None or isinstance(result, str)


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
