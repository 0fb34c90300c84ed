"""Fetcher against a real fault-injecting server on loopback: one test per misbehaviour."""

from __future__ import annotations

import asyncio
import email.utils
import json
import time
import tracemalloc
from dataclasses import replace
from pathlib import Path
from typing import Any, Coroutine, Iterator, TypeVar
from urllib.parse import quote

import httpx
import pytest

from cnca_watch.errors import BlockedError, FetchError, GoneError, HTTPStatusError
from cnca_watch.fetch import Fetcher, detect_challenge
from cnca_watch.models import Page, Validators
from cnca_watch.settings import DEFAULT_USER_AGENT, FetchSettings
from cnca_watch.tls import start_loading

try:
    from faultserver import (
        GBK_ONLY_TEXT,
        FaultServer,
        ServerState,
        UnacceptingListener,
        refused_port,
        self_signed_context,
    )
except ImportError:  # tests/ turned into a package
    from tests.faultserver import (  # type: ignore[no-redef]
        GBK_ONLY_TEXT,
        FaultServer,
        ServerState,
        UnacceptingListener,
        refused_port,
        self_signed_context,
    )

T = TypeVar("T")

FAST = FetchSettings(
    connect_timeout=0.5,
    read_timeout=0.3,
    retries=2,
    backoff=0.01,
    max_retry_after=5.0,
)


def run(coro: Coroutine[Any, Any, T], timeout: float = 20.0) -> T:
    async def bounded() -> T:
        return await asyncio.wait_for(coro, timeout)

    return asyncio.run(bounded())


async def fetch(url: str, settings: FetchSettings = FAST, **kwargs: Any) -> tuple[Page, int]:
    async with Fetcher(settings) as fetcher:
        page = await fetcher.get(url, **kwargs)
        return page, fetcher.request_count


async def fetch_error(
    url: str, settings: FetchSettings = FAST, transport: httpx.AsyncBaseTransport | None = None
) -> tuple[Exception, int]:
    async with Fetcher(settings, transport=transport) as fetcher:
        try:
            await fetcher.get(url)
        except Exception as exc:  # noqa: BLE001 - the test inspects it
            return exc, fetcher.request_count
    raise AssertionError(f"expected {url} to fail")


@pytest.fixture
def server() -> Iterator[FaultServer]:
    with FaultServer() as srv:
        yield srv


# --------------------------------------------------------------------------- success paths


def test_ok_page_sends_browser_headers_and_decodes(server: FaultServer) -> None:
    page, count = run(fetch(server.url("/ok")))
    assert page.status == 200
    assert "关于发布强制性产品认证实施规则的公告" in page.text
    assert page.encoding == "utf-8"
    assert page.url == server.url("/ok")
    assert count == 1
    sent = server.state.headers_of("/ok")[0]
    assert sent["user-agent"] == DEFAULT_USER_AGENT
    assert "text/html" in sent["accept"]
    assert "x-requested-with" not in sent
    assert "referer" not in sent


def test_json_request_sends_xhr_headers_referer_and_params(server: FaultServer) -> None:
    column = "https://www.cnca.gov.cn/zwxx/gg/index.html"
    params = {"webId": "w1", "paramJson": '{"pageNo":2,"pageSize":20}'}
    run(fetch(server.url("/ok"), accept_json=True, referer=column, params=params))
    sent = server.state.headers_of("/ok")[0]
    assert sent["accept"] == "application/json, text/javascript, */*; q=0.01"
    assert sent["x-requested-with"] == "XMLHttpRequest"
    assert sent["referer"] == column
    with server.state.lock:
        assert server.state.requests[0].path == "/ok"


def test_params_reach_the_server(server: FaultServer) -> None:
    params = {"paramJson": '{"pageNo":2,"pageSize":20}'}
    page, _ = run(fetch(server.url("/ok"), params=params))
    assert "paramJson=" in page.url
    assert httpx.URL(page.url).params["paramJson"] == '{"pageNo":2,"pageSize":20}'


def test_etag_and_last_modified_then_304(server: FaultServer) -> None:
    first, _ = run(fetch(server.url("/etag")))
    assert first.status == 200
    assert first.etag == '"v1-abc"'
    assert first.last_modified == "Wed, 01 May 2024 08:00:00 GMT"

    validators = Validators(etag=first.etag, last_modified=first.last_modified)
    second, _ = run(fetch(server.url("/etag"), validators=validators))
    assert second.status == 304
    assert second.not_modified
    assert second.text == ""
    sent = server.state.headers_of("/etag")[1]
    assert sent["if-none-match"] == '"v1-abc"'
    assert sent["if-modified-since"] == "Wed, 01 May 2024 08:00:00 GMT"

    only_date, _ = run(fetch(server.url("/etag"), validators=Validators(last_modified=first.last_modified)))
    assert only_date.status == 304


# --------------------------------------------------------------------------- 5xx, 429, retries


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_errors_are_retried_then_reported(server: FaultServer, status: int) -> None:
    url = server.url(f"/status/{status}")
    exc, count = run(fetch_error(url))
    assert type(exc) is HTTPStatusError
    assert exc.status == status
    assert f"HTTP {status}" in str(exc) and url in str(exc)
    assert "gave up after 3 attempts" in str(exc)
    assert count == 3 == server.state.count(f"/status/{status}")


def test_exponential_backoff_between_retries(server: FaultServer) -> None:
    settings = replace(FAST, backoff=0.2, retries=2)
    exc, count = run(fetch_error(server.url("/status/500"), settings))
    assert isinstance(exc, HTTPStatusError) and count == 3
    first, second, third = server.state.arrivals("/status/500")
    assert second - first >= 0.2
    assert third - second >= 0.4


def test_503_with_retry_after_is_honoured(server: FaultServer) -> None:
    url = server.url("/flaky/503?fails=1&status=503&retry_after=1")
    page, count = run(fetch(url))
    assert page.status == 200 and count == 2
    first, retry = server.state.arrivals("/flaky/503")
    assert retry - first >= 1.0


def test_429_with_retry_after_is_honoured(server: FaultServer) -> None:
    page, count = run(fetch(server.url("/flaky/429?fails=1&status=429&retry_after=1")))
    assert page.status == 200 and count == 2
    first, retry = server.state.arrivals("/flaky/429")
    assert retry - first >= 1.0


def test_retry_after_as_http_date_is_honoured(server: FaultServer) -> None:
    target = int(time.time()) + 2  # an HTTP date has whole seconds: 1-2 s away
    when = email.utils.formatdate(target, usegmt=True)
    page, _ = run(fetch(server.url(f"/flaky/date?fails=1&status=503&retry_after={quote(when)}")))
    assert page.status == 200
    first, retry = server.state.arrivals("/flaky/date")
    # the server stamps arrivals on the monotonic clock: the retry comes no earlier than the
    # date named (not a fixed gap after the first answer, which a loaded machine delays)
    wall_minus_monotonic = time.time() - time.monotonic()
    assert retry + wall_minus_monotonic >= target - 0.05
    assert retry > first


def test_retry_after_longer_than_the_cap_fails_now(server: FaultServer) -> None:
    url = server.url("/status/503?retry_after=120")
    exc, count = run(fetch_error(url))
    assert type(exc) is HTTPStatusError and exc.status == 503
    assert url in str(exc)
    assert "retry after 120 s" in str(exc) and "5 s limit" in str(exc)
    assert count == 1  # no wait, no retry: the message and the single request prove it


def test_flaky_route_succeeds_after_failures(server: FaultServer) -> None:
    page, count = run(fetch(server.url("/flaky/twice?fails=2&status=502")))
    assert page.status == 200 and "公告" in page.text
    assert count == 3 == server.state.count("/flaky/twice")


def test_flaky_route_failing_more_than_retries_gives_up(server: FaultServer) -> None:
    exc, count = run(fetch_error(server.url("/flaky/often?fails=5&status=503")))
    assert isinstance(exc, HTTPStatusError) and exc.status == 503
    assert count == 3 == server.state.count("/flaky/often")


# --------------------------------------------------------------------------- gone / blocked / odd 200s


@pytest.mark.parametrize("status", [404, 410])
def test_gone_pages_raise_gone_without_retry(server: FaultServer, status: int) -> None:
    url = server.url(f"/status/{status}")
    exc, count = run(fetch_error(url))
    assert type(exc) is GoneError and exc.status == status
    assert url in str(exc) and f"HTTP {status}" in str(exc)
    assert count == 1


def test_waf_403_page_is_blocked(server: FaultServer) -> None:
    url = server.url("/waf403")
    exc, count = run(fetch_error(url))
    assert type(exc) is BlockedError
    assert str(exc) == f"blocked by anti-bot challenge at {url} (HTTP 403)"
    assert count == 1


def test_plain_403_is_a_status_error_not_a_block(server: FaultServer) -> None:
    url = server.url("/status/403")
    exc, count = run(fetch_error(url))
    assert type(exc) is HTTPStatusError and exc.status == 403
    assert url in str(exc) and "Forbidden" in str(exc)
    assert count == 1


@pytest.mark.parametrize("status", [412, 521])
def test_js_challenge_with_jsl_cookies_is_blocked(server: FaultServer, status: int) -> None:
    url = server.url(f"/challenge/{status}")
    exc, count = run(fetch_error(url))
    assert type(exc) is BlockedError
    assert str(exc) == f"blocked by anti-bot challenge at {url} (HTTP {status})"
    assert count == 1  # retrying a challenge only annoys the WAF


def test_js_challenge_served_with_200_is_blocked(server: FaultServer) -> None:
    url = server.url("/challenge/200")
    exc, _ = run(fetch_error(url))
    assert type(exc) is BlockedError
    assert str(exc) == f"blocked by anti-bot challenge at {url} (HTTP 200)"


def test_ordinary_page_with_jsluid_cookie_is_not_blocked(server: FaultServer) -> None:
    page, _ = run(fetch(server.url("/jsluid-ok")))
    assert page.status == 200 and "公告" in page.text
    assert "__jsluid_s" in page.headers["set-cookie"]


def test_html_where_json_expected_is_returned_for_extract_to_judge(server: FaultServer) -> None:
    page, _ = run(fetch(server.url("/html-for-json"), accept_json=True))
    assert page.status == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "系统维护中" in page.text
    with pytest.raises(json.JSONDecodeError):
        json.loads(page.text)


def test_malformed_json_is_returned_verbatim(server: FaultServer) -> None:
    page, _ = run(fetch(server.url("/malformed-json"), accept_json=True))
    assert page.status == 200
    assert page.text == '{"success": true, "data": {"html": "<ul><li>'
    with pytest.raises(json.JSONDecodeError):
        json.loads(page.text)


def test_200_page_not_found_is_not_a_fetch_error(server: FaultServer) -> None:
    page, _ = run(fetch(server.url("/not-found-200")))
    assert page.status == 200 and "页面不存在" in page.text
    assert detect_challenge(page.status, page.headers, page.text) is None


# --------------------------------------------------------------------------- broken transfers


def test_truncated_body_is_a_fetch_error(server: FaultServer) -> None:
    url = server.url("/truncated")
    exc, count = run(fetch_error(url))
    assert type(exc) is FetchError
    assert url in str(exc)
    assert "closed before the whole answer" in str(exc) and "of 5000 bytes" in str(exc)
    assert count == 3  # transient: retried


def test_read_timeout_mid_body(server: FaultServer) -> None:
    url = server.url("/stall?seconds=3")
    exc, count = run(fetch_error(url, replace(FAST, retries=0)))
    assert type(exc) is FetchError
    assert str(exc) == f"timed out reading the answer from {url} (no data for 0.3 s)"
    assert count == 1


def test_redirect_loop(server: FaultServer) -> None:
    exc, count = run(fetch_error(server.url("/loop/a")))
    assert type(exc) is FetchError
    assert str(exc).startswith(f"redirect loop at {server.url('/loop/a')}")
    assert count == 2


@pytest.mark.parametrize("target", ["ftp://127.0.0.1/pub/file.pdf", "file:///etc/passwd"])
def test_redirect_to_non_http_is_refused(server: FaultServer, target: str) -> None:
    url = server.url(f"/redirect?to={quote(target, safe='')}")
    exc, count = run(fetch_error(url))
    assert type(exc) is FetchError
    assert f"refused redirect to non-http URL {target}" in str(exc)
    assert url in str(exc)
    assert count == 1


def test_redirects_are_followed_up_to_the_limit(server: FaultServer) -> None:
    page, count = run(fetch(server.url("/chain/3")))
    assert page.url == server.url("/chain/0") and page.status == 200
    assert count == 4

    url = server.url("/chain/9")
    exc, _ = run(fetch_error(url, replace(FAST, max_redirects=2)))
    assert type(exc) is FetchError
    assert str(exc) == f"too many redirects (more than 2) starting at {url}"


def test_50_mb_body_with_content_length_is_refused_early(server: FaultServer) -> None:
    url = server.url("/big")
    exc, _ = run(fetch_error(url, replace(FAST, read_timeout=5.0)))
    assert type(exc) is FetchError
    assert str(exc) == f"answer from {url} exceeds 10 MiB; refusing to read more"


def test_50_mb_streamed_body_is_cut_at_the_cap_with_bounded_memory(server: FaultServer) -> None:
    url = server.url("/big-chunked")
    tracemalloc.start()
    try:
        exc, _ = run(fetch_error(url, replace(FAST, read_timeout=5.0)))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert type(exc) is FetchError
    assert str(exc) == f"answer from {url} exceeds 10 MiB; refusing to read more"
    assert peak < 25 * 1024 * 1024, f"peak {peak / 2**20:.1f} MiB"


# --------------------------------------------------------------------------- encodings


def test_gb2312_declared_page_with_gbk_only_characters(server: FaultServer) -> None:
    page, _ = run(fetch(server.url("/gb2312-gbk")))
    assert GBK_ONLY_TEXT in page.text
    assert page.encoding == "gb18030"


def test_page_without_any_charset(server: FaultServer) -> None:
    page, _ = run(fetch(server.url("/no-charset")))
    assert GBK_ONLY_TEXT in page.text
    assert page.encoding == "gb18030"


def test_page_with_wrong_charset_header(server: FaultServer) -> None:
    page, _ = run(fetch(server.url("/wrong-charset")))
    assert GBK_ONLY_TEXT in page.text
    assert "\ufffd" not in page.text
    assert page.encoding == "gb18030"


# --------------------------------------------------------------------------- network faults


def test_connection_refused() -> None:
    port = refused_port()
    url = f"http://127.0.0.1:{port}/zwxx/gg/index.html"
    exc, count = run(fetch_error(url))
    assert type(exc) is FetchError
    assert str(exc) == f"connection refused by 127.0.0.1:{port} ({url}); gave up after 3 attempts"
    assert count == 3


def test_connect_timeout_on_a_listener_that_never_accepts() -> None:
    with UnacceptingListener() as listener:
        port = listener.port
        url = f"http://127.0.0.1:{port}/"
        started = time.monotonic()
        exc, count = run(fetch_error(url, replace(FAST, connect_timeout=0.3, retries=1)))
        elapsed = time.monotonic() - started
    assert type(exc) is FetchError
    assert str(exc).startswith(f"timed out connecting to 127.0.0.1:{port} after 0.3 s ({url})")
    assert count == 2
    assert elapsed >= 0.5  # two attempts each waited out the 0.3 s connect timeout


def test_dns_failure_names_the_host() -> None:
    # No DNS query is ever sent: the transport fails the way the resolver would.
    def unresolvable(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("[Errno -2] Name or service not known", request=request)

    url = "https://www.cnca.gov.cn/zwxx/gg/index.html"
    exc, count = run(fetch_error(url, transport=httpx.MockTransport(unresolvable)))
    assert type(exc) is FetchError
    assert str(exc) == f"cannot resolve host www.cnca.gov.cn ({url})"
    assert count == 1  # a missing host name does not come back in 10 ms


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[FaultServer]:
    with FaultServer(tls_context=self_signed_context(tmp_path)) as srv:
        yield srv


def test_tls_verification_failure(tls_server: FaultServer) -> None:
    url = tls_server.url("/ok")
    exc, count = run(fetch_error(url))
    assert type(exc) is FetchError
    assert str(exc).startswith("TLS error talking to 127.0.0.1: certificate verify failed")
    assert "self" in str(exc) and "signed" in str(exc)
    assert count == 1


def test_tls_context_built_in_background_trusts_ssl_cert_file(
    tls_server: FaultServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the server's own certificate as the trust store: accepted only if the context built on
    # the helper thread is the one used, and built from SSL_CERT_FILE as httpx would
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "cert.pem"))
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    start_loading()
    page, _ = run(fetch(tls_server.url("/ok")))
    assert page.status == 200 and "公告" in page.text
    # that context was used up: the next run builds (and checks with) its own
    monkeypatch.delenv("SSL_CERT_FILE")
    monkeypatch.setenv("SSL_CERT_DIR", str(tmp_path / "no-certificates-here"))
    exc, _ = run(fetch_error(tls_server.url("/ok")))
    assert "certificate verify failed" in str(exc)


def test_tls_without_verification_when_configured(tls_server: FaultServer) -> None:
    page, _ = run(fetch(tls_server.url("/ok"), replace(FAST, verify_tls=False)))
    assert page.status == 200 and "公告" in page.text


# --------------------------------------------------------------------------- politeness limits


async def _hold_many(urls: list[str], settings: FetchSettings) -> None:
    async with Fetcher(settings) as fetcher:
        pages = await asyncio.gather(*(fetcher.get(u) for u in urls))
    assert all(p.status == 200 for p in pages)


def test_per_host_limit_is_per_host() -> None:
    state = ServerState()
    with FaultServer("127.0.0.1", state=state) as one, FaultServer("127.0.0.2", state=state) as two:
        urls = [s.url(f"/hold?n={i}") for s in (one, two) for i in range(6)]
        run(_hold_many(urls, replace(FAST, per_host=2, max_connections=8, read_timeout=5.0)))
    assert state.max_in_flight == {"127.0.0.1": 2, "127.0.0.2": 2}
    assert state.max_total_in_flight == 4  # the two hosts do not wait for each other


def test_global_limit_caps_all_hosts_together() -> None:
    state = ServerState()
    with FaultServer("127.0.0.1", state=state) as one, FaultServer("127.0.0.2", state=state) as two:
        urls = [s.url(f"/hold?n={i}") for s in (one, two) for i in range(4)]
        run(_hold_many(urls, replace(FAST, per_host=2, max_connections=3, read_timeout=5.0)))
    assert state.max_total_in_flight == 3
    assert max(state.max_in_flight.values()) == 2


def test_waiting_retry_does_not_hold_the_host_slot(server: FaultServer) -> None:
    async def both() -> None:
        async with Fetcher(replace(FAST, per_host=1)) as fetcher:
            pages = await asyncio.gather(
                fetcher.get(server.url("/flaky/slot?fails=1&status=503&retry_after=1")),
                fetcher.get(server.url("/ok")),
            )
        assert [p.status for p in pages] == [200, 200]

    run(both())
    first_try, retry = server.state.arrivals("/flaky/slot")
    (other,) = server.state.arrivals("/ok")
    assert first_try < other < retry  # /ok went while the retry was waiting
    assert retry - first_try >= 1.0
