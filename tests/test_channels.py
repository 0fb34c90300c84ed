"""Chat formats against local stand-ins of the platforms (tests/chat_server.py)."""

from __future__ import annotations

import json
import re

import httpx
import pytest

from cnca_watch.channels import DigestItem, build_messages, dingtalk_sign, failure, feishu_sign
from cnca_watch.routing import Route, RouteMatch, RoutedChange, RoutingTable, compile_terms, route, route_names
from chat_server import ChatServer

PLATFORMS = ("wecom", "dingtalk", "feishu", "slack", "teams")
NOW_MS = 1_733_100_000_123


def item(n: int, title: str = "市场监管总局关于发布《电动自行车强制性产品认证实施规则》的公告", **kw) -> DigestItem:
    return DigestItem(
        change_id=n,
        kind=kw.pop("kind", "new"),
        title=title,
        url=f"https://www.samr.gov.cn/zw/art/2024/art_{n:032x}.html",
        date="2024-05-20",
        source="samr-certification",
        areas=("Unified mgmt 统一管理", "Regulation 监管"),
        facts=kw.pop("facts", "市场监管总局公告2024年第12号 · effective 2024-07-01"),
    )


def post(message) -> tuple[int, bytes]:
    with httpx.Client(timeout=5) as client:
        response = client.post(message.url, content=message.body, headers=dict(message.headers))
    return response.status_code, response.content


@pytest.mark.parametrize("platform", PLATFORMS)
def test_a_digest_is_accepted_by_each_platform(platform):
    with ChatServer(secret="SECtest-secret") as chat:
        secret = "SECtest-secret" if platform in ("dingtalk", "feishu") else None
        messages = build_messages(platform, chat.url(platform), "cnca-watch: 2 new", [item(1), item(2)], secret=secret, now_ms=NOW_MS)
        assert len(messages) == 1
        status, body = post(messages[0])
        assert failure(platform, status, body) is None, chat.rejected
        assert messages[0].change_ids == (1, 2)
        document = chat.received[platform][0]
        text = json.dumps(document, ensure_ascii=False)
        # the title, its link, the areas and the facts line all reach the platform
        assert "电动自行车强制性产品认证实施规则" in text
        assert f"art_{1:032x}.html" in text and f"art_{2:032x}.html" in text
        assert "Regulation 监管" in text and "effective 2024-07-01" in text


@pytest.mark.parametrize("platform", PLATFORMS)
def test_long_digests_are_split_within_the_platform_limit(platform):
    items = [item(n, title=f"关于第{n}批强制性产品认证指定机构名单的公告" * 3) for n in range(1, 301)]
    with ChatServer() as chat:
        messages = build_messages(platform, chat.url(platform), "cnca-watch: 300 new", items, now_ms=NOW_MS)
        assert len(messages) > 1
        # every change is in exactly one part, in order
        assert [i for m in messages for i in m.change_ids] == list(range(1, 301))
        for message in messages:
            status, body = post(message)
            assert failure(platform, status, body) is None, chat.rejected
        assert len(chat.received[platform]) == len(messages)
        first = json.dumps(chat.received[platform][0], ensure_ascii=False)
        assert f"(1/{len(messages)})" in first


@pytest.mark.parametrize("platform", PLATFORMS)
def test_one_huge_item_is_shortened_to_fit(platform):
    huge = item(7, title="认证" * 20_000, facts="x" * 50_000)
    with ChatServer() as chat:
        messages = build_messages(platform, chat.url(platform), "cnca-watch: 1 new", [huge], now_ms=NOW_MS)
        assert len(messages) == 1
        status, body = post(messages[0])
        assert failure(platform, status, body) is None, chat.rejected
        assert f"art_{7:032x}.html" in json.dumps(chat.received[platform][0])  # the link survives


@pytest.mark.parametrize("platform", PLATFORMS)
def test_the_platform_error_body_is_a_failure(platform):
    with ChatServer() as chat:
        chat.fail[platform] = True
        (message,) = build_messages(platform, chat.url(platform), "cnca-watch: 1 new", [item(1)], now_ms=NOW_MS)
        status, body = post(message)
        reason = failure(platform, status, body)
        assert reason is not None and "robot disabled" in reason
        assert platform not in chat.received


@pytest.mark.parametrize("platform", ("dingtalk", "feishu"))
def test_a_wrong_secret_is_refused_by_the_signature_check(platform):
    with ChatServer(secret="SECright") as chat:
        (message,) = build_messages(platform, chat.url(platform), "h", [item(1)], secret="SECwrong", now_ms=NOW_MS)
        status, body = post(message)
        assert "sign" in (failure(platform, status, body) or "")
        assert platform not in chat.received


@pytest.mark.parametrize("platform", ("dingtalk", "feishu"))
def test_an_unsigned_message_is_refused_where_signing_is_on(platform):
    with ChatServer(secret="SECright") as chat:
        (message,) = build_messages(platform, chat.url(platform), "h", [item(1)], now_ms=NOW_MS)
        status, body = post(message)
        assert failure(platform, status, body) is not None


def test_signatures_match_the_documented_examples():
    # Independent of the code under test: the algorithms as the platforms document them.
    import base64
    import hashlib
    import hmac

    secret = "SEC000"
    ding = base64.b64encode(hmac.new(b"SEC000", b"1700000000000\nSEC000", hashlib.sha256).digest()).decode()
    assert dingtalk_sign(secret, 1_700_000_000_000) == ding
    fei = base64.b64encode(hmac.new(b"1700000000\nSEC000", b"", hashlib.sha256).digest()).decode()
    assert feishu_sign(secret, 1_700_000_000) == fei


def test_dingtalk_signature_goes_in_the_query_keeping_the_token():
    (message,) = build_messages("dingtalk", "http://127.0.0.1:1/robot/send?access_token=T0K", "h", [item(1)], secret="S", now_ms=NOW_MS)
    assert message.url.startswith("http://127.0.0.1:1/robot/send?access_token=T0K&timestamp=1733100000123&sign=")


def test_markdown_in_titles_stays_inert():
    hostile = item(1, title="**bold** [click](http://evil.example) <at>all</at> # heading")
    for platform in ("wecom", "dingtalk", "feishu", "teams"):
        (message,) = build_messages(platform, "http://127.0.0.1:1/x", "h", [hostile], now_ms=NOW_MS)
        text = json.loads(message.body)
        flat = json.dumps(text, ensure_ascii=False)
        assert "](http://evil.example)" not in flat and "**bold**" not in flat and "<at>" not in flat
    (message,) = build_messages("slack", "http://127.0.0.1:1/x", "h", [hostile], now_ms=NOW_MS)
    assert "<at>" not in message.body.decode() and "&lt;at&gt;" in message.body.decode()


@pytest.mark.parametrize(
    ("platform", "status", "body", "ok"),
    [
        ("wecom", 200, b'{"errcode":0,"errmsg":"ok"}', True),
        ("wecom", 200, b'{"errcode":93000,"errmsg":"invalid webhook url"}', False),
        ("dingtalk", 200, b'{"errcode":310000,"errmsg":"keywords not in content"}', False),
        ("feishu", 200, b'{"StatusCode":0,"StatusMessage":"success"}', True),
        ("feishu", 200, b'{"code":9499,"msg":"Bad Request"}', False),
        ("feishu", 200, b"<html>gateway</html>", False),
        ("slack", 200, b"ok", True),
        ("slack", 404, b"no_service", False),
        ("teams", 200, b"1", True),
        ("teams", 200, b"Webhook message delivery failed with error: Microsoft Teams endpoint returned HTTP error 413", False),
        ("json", 204, b"", True),
        ("json", 500, b"boom", False),
    ],
)
def test_success_signals(platform, status, body, ok):
    assert (failure(platform, status, body) is None) is ok


def test_unknown_format_is_refused_by_name():
    with pytest.raises(ValueError, match="'telegram' is not one of wecom, dingtalk, feishu, slack, teams"):
        build_messages("telegram", "http://127.0.0.1:1/", "h", [], now_ms=0)


# -- routing ---------------------------------------------------------------------------

CCC = Route("ccc", RouteMatch(terms=compile_terms(["强制性产品认证", r"\bCCC\b"], "routes.ccc")), email=("ccc@example.org",))
LAB = Route("lab", RouteMatch(areas=frozenset({"capabilities"}), not_kinds=frozenset({"removed"})), webhooks=("lab-wecom",))
DESK = Route("desk", RouteMatch(areas=frozenset({"going-global"})), email=("desk@example.org", "ccc@example.org"))


def change(**kw) -> RoutedChange:
    base = dict(kind="new", source="cnca-notices", areas=(), text="")
    base.update(kw)
    return RoutedChange(**base)


def test_a_change_goes_to_every_route_it_matches_each_target_once():
    table = RoutingTable((CCC, LAB, DESK))
    targets = route(table, change(areas=("going-global",), text="关于CCC 强制性产品认证国际互认的通知"))
    assert targets.routes == ("ccc", "desk")
    assert targets.email == ("ccc@example.org", "desk@example.org")  # ccc@ once, though two routes name it
    assert not targets.default


def test_exclusions_and_unmatched():
    table = RoutingTable((LAB,))
    assert route(table, change(kind="removed", areas=("capabilities",))).routes == ()
    assert route(table, change(kind="removed", areas=("capabilities",))).default is True
    assert route(RoutingTable((LAB,), unmatched="drop"), change()).default is False


def test_deadline_and_doc_type_criteria():
    drafts = Route("drafts", RouteMatch(doc_types=frozenset({"call-for-comments"}), has_deadline=True), email=("a@x",))
    table = RoutingTable((drafts,))
    assert route(table, change(doc_type="call-for-comments", has_deadline=True)).routes == ("drafts",)
    assert route(table, change(doc_type="call-for-comments", has_deadline=False)).routes == ()
    assert route(table, change(doc_type="news", has_deadline=True)).routes == ()


def test_route_names_counts_what_each_route_would_get():
    table = RoutingTable((CCC, LAB), unmatched="drop")
    counts = route_names(table, [change(text="CCC"), change(areas=("capabilities",)), change()])
    assert counts == {"ccc": 1, "lab": 1, "(default)": 0, "(dropped)": 1}


def test_a_bad_regular_expression_names_itself_and_the_fix():
    with pytest.raises(ValueError, match=re.escape("routes.x: '(认证' is not a valid regular expression")):
        compile_terms(["(认证"], "routes.x")
