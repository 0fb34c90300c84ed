"""Anti-bot recognition (``cnca_watch.antibot``): pure, tested without a server."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cnca_watch import fetch
from cnca_watch.antibot import (
    CHALLENGE_MAX_VISIBLE_CHARS,
    MARKER_SCAN_CHARS,
    PREFILTER_MAX_BYTES,
    detect_challenge,
    might_be_challenge,
    waf_markers,
)

FIXTURES = Path(__file__).parent / "fixtures" / "fetch"
JSL_COOKIES = "__jsluid_s=4f6b3c2a; max-age=31536000; path=/, __jsl_clearance_s=1714550400|0|x; path=/"
PACKED_SCRIPT = "<script>document.cookie='__jsluid_s=1';location.href=location.pathname</script>"


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


def test_fetch_still_exports_detect_challenge() -> None:
    assert fetch.detect_challenge is detect_challenge


@pytest.mark.parametrize("status", [403, 429, 503])
def test_challenge_script_on_an_error_status_is_recognised(status: int) -> None:
    assert detect_challenge(status, {}, PACKED_SCRIPT) == "JavaScript challenge page"


def test_a_cookie_script_without_a_reload_is_not_a_challenge_script() -> None:
    assert detect_challenge(200, {}, "<script>document.cookie='a=1'</script>") is None
    assert detect_challenge(200, {}, "<script>setTimeout(go, 1)</script>") is None


@pytest.mark.parametrize("sign", ["__jsl_clearance", "_cf_chl_opt", "challenge-platform"])
def test_each_named_challenge_token_alone_is_a_challenge(sign: str) -> None:
    assert detect_challenge(200, {}, f"<script>var x='{sign}'</script>") == "JavaScript challenge page instead of content"


def test_visible_text_limit_is_inclusive_and_ignores_script_text() -> None:
    at_limit = PACKED_SCRIPT + "<p>" + "字" * CHALLENGE_MAX_VISIBLE_CHARS + "</p>"
    over = PACKED_SCRIPT + "<p>" + "字" * (CHALLENGE_MAX_VISIBLE_CHARS + 1) + "</p>"
    assert detect_challenge(200, {}, at_limit) is not None
    assert detect_challenge(200, {}, over) is None
    assert detect_challenge(503, {}, over) is None


@pytest.mark.parametrize("status", [199, 300, 304, 404, 500])
def test_challenge_script_outside_the_challenge_statuses_is_not_reported(status: int) -> None:
    assert detect_challenge(status, {}, PACKED_SCRIPT) is None


def test_jsl_cookie_marks_a_403_but_not_a_429() -> None:
    cookie = {"set-cookie": "__jsluid_h=abc; path=/"}
    assert detect_challenge(403, cookie, "<h1>403</h1>") == "web application firewall block page"
    assert detect_challenge(429, cookie, "<h1>429</h1>") is None


def test_waf_markers_are_matched_case_insensitively_within_the_scan_window() -> None:
    assert detect_challenge(403, {}, "<h1>ACCESS DENIED</h1>") is not None
    far = "<p>" + "x" * MARKER_SCAN_CHARS + "access denied</p>"
    assert detect_challenge(403, {}, far) is None


def test_server_header_names_are_matched_case_insensitively() -> None:
    assert detect_challenge(403, {"server": "SafeDog"}, "<h1>403</h1>") is not None


def test_cloudflare_header_other_than_challenge_is_not_a_challenge() -> None:
    assert detect_challenge(200, {"cf-mitigated": "none"}, "<p>ok</p>") is None
    assert detect_challenge(200, {"cf-mitigated": "Challenge"}, "<p>ok</p>") == "Cloudflare challenge"


def test_marker_list_is_lower_cased_data() -> None:
    markers = waf_markers()
    assert "access denied" in markers.page_markers and "加速乐" in markers.page_markers
    assert all(m == m.lower() for m in markers.page_markers + markers.server_names)


@pytest.mark.parametrize("sign", [b"document.cookie", b"__jsl_clearance", b"_cf_chl_opt", b"challenge-platform"])
def test_prefilter_looks_at_small_bodies_with_a_sign(sign: bytes) -> None:
    assert might_be_challenge(b"<script>" + sign + b"</script>", {})
    body = b"<script>" + sign + b"</script>"
    assert not might_be_challenge(body + b" " * (PREFILTER_MAX_BYTES - len(body) + 1), {})
    assert might_be_challenge(body + b" " * (PREFILTER_MAX_BYTES - len(body)), {})


def test_prefilter_skips_plain_pages_unless_cloudflare_says_so() -> None:
    assert not might_be_challenge(b"<p>plain</p>", {})
    assert might_be_challenge(b"<p>plain</p>", {"cf-mitigated": "challenge"})


def test_a_long_multi_line_upper_case_script_counts_as_code_not_as_visible_text() -> None:
    # The page's only readable text is in the script; the script itself is not content.
    script = "<SCRIPT>\nvar k = '" + "a" * (CHALLENGE_MAX_VISIBLE_CHARS * 2) + "';\n"
    page = script + "document.cookie = k;\nlocation.reload();\n</SCRIPT><p>请稍候</p>"
    assert detect_challenge(200, {}, page) == "JavaScript challenge page instead of content"
