"""notify.py against real servers on 127.0.0.1: aiosmtpd for SMTP, http.server for webhooks."""

from __future__ import annotations

import email
import email.policy
import json
import threading
from collections.abc import Iterator
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from aiosmtpd.controller import Controller

from cnca_watch.errors import DeliveryError
from cnca_watch.notify import password_from_env, post_webhook, redact_url, send_email
from cnca_watch.render.email import compose_email
from cnca_watch.settings import EmailSettings, WebhookSettings
from notify_helpers import (
    ASCII_SECRET, HOSTILE_TITLE, SECRET, USER, SmtpCollector, changed_change, failed_source, free_port, new_change,
    running_smtp_server)

# The test server allows AUTH without TLS on loopback; aiosmtpd warns about that on purpose.
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")



@pytest.fixture
def smtp_server(request) -> Iterator[tuple[Controller, SmtpCollector]]:
    options = getattr(request, "param", {})
    with running_smtp_server(refuse=options.get("refuse"), auth=options.get("auth", False)) as server:
        yield server


def settings_for(controller: Controller, **overrides) -> EmailSettings:
    values = dict(
        host="127.0.0.1", port=controller.port, security="none", sender="watch@example.org",
        to=("analyst@example.org", "王分析师 <wang@example.org>"), subject="认监委动态: {summary} — {date}", timeout=5.0,
    )
    values.update(overrides)
    return EmailSettings(**values)


def message_for(settings: EmailSettings) -> EmailMessage:
    changes = [new_change(), changed_change(), new_change(HOSTILE_TITLE, url="https://www.cnca.gov.cn/x.html", id=9)]
    return compose_email(changes, [failed_source()], settings, today="2024-01-12")


def test_sends_a_multipart_message_that_arrives_intact(smtp_server):
    controller, handler = smtp_server
    settings = settings_for(controller)
    send_email(settings, message_for(settings), password=None)

    assert len(handler.envelopes) == 1
    envelope = handler.envelopes[0]
    assert envelope.mail_from == "watch@example.org"
    assert sorted(envelope.rcpt_tos) == ["analyst@example.org", "wang@example.org"]
    raw = envelope.original_content
    assert raw.isascii()  # everything non-ASCII is encoded (RFC 2047 / QP / base64)
    received = email.message_from_bytes(raw, policy=email.policy.default)
    assert received["Subject"] == "认监委动态: 2 new, 1 changed, 1 source failed — 2024-01-12"
    assert "=?utf-8?" in raw.split(b"\r\n\r\n", 1)[0].decode().lower()
    assert received["From"] == "watch@example.org"
    assert "王分析师" in str(received["To"])
    assert received["Date"] and received["Message-ID"].startswith("<")
    assert received.get_content_type() == "multipart/alternative"
    text = received.get_body(("plain",)).get_content()
    html = received.get_body(("html",)).get_content()
    for body in (text, html):
        assert "https://www.cnca.gov.cn/zxtz/2024/art/2024/art_1.html" in body
        assert "电动自行车用锂离子蓄电池" in body
        assert "samr-bulletins" in body and "HTTP 521" in body
    assert text.index("SOURCES THAT FAILED") < text.index("电动自行车")
    assert '<a href="https://www.samr.gov.cn/zw/zfxxgk/fdzdgknr/art/2024/art_2.html"' in html
    assert "<del" in html and "<ins" in html and "[-50-]{+60+}" in text


def test_a_hostile_title_cannot_inject_headers(smtp_server):
    controller, handler = smtp_server
    settings = settings_for(controller, subject="{summary}: " + HOSTILE_TITLE)
    send_email(settings, message_for(settings), password=None)

    raw = handler.envelopes[0].original_content
    headers = raw.split(b"\r\n\r\n", 1)[0]
    assert b"\nBcc:" not in headers and b"\x1b" not in raw and b"\x00" not in raw
    assert sorted(handler.envelopes[0].rcpt_tos) == ["analyst@example.org", "wang@example.org"]
    received = email.message_from_bytes(raw, policy=email.policy.default)
    assert received["Bcc"] is None
    subject = received["Subject"]
    assert "\n" not in subject and "\r" not in subject and "\u202e" not in subject
    assert "Bcc: evil@x" in subject  # still visible, as inert text


@pytest.mark.parametrize("smtp_server", [{"refuse": "550 5.7.1 Message rejected as spam"}], indirect=True)
def test_a_refusing_server_raises_delivery_error(smtp_server):
    controller, handler = smtp_server
    settings = settings_for(controller)
    with pytest.raises(DeliveryError) as caught:
        send_email(settings, message_for(settings), password=None)
    message = str(caught.value)
    assert f"127.0.0.1:{controller.port}" in message and "550" in message and "spam" in message
    assert "\n" not in message
    assert handler.envelopes == []


@pytest.mark.parametrize("smtp_server", [{"auth": True}], indirect=True)
def test_login_with_the_right_password_delivers(smtp_server):
    controller, handler = smtp_server
    settings = settings_for(controller, username=USER)
    send_email(settings, message_for(settings), password=SECRET)
    assert len(handler.envelopes) == 1


@pytest.mark.parametrize("smtp_server", [{"auth": True}], indirect=True)
def test_a_refused_login_never_shows_the_password(smtp_server, caplog):
    controller, handler = smtp_server
    settings = settings_for(controller, username=USER)
    wrong = "wrong-" + SECRET  # non-ASCII: goes through cnca-watch's own AUTH PLAIN
    with pytest.raises(DeliveryError) as caught:
        send_email(settings, message_for(settings), password=wrong)
    error = caught.value
    shown = " ".join([str(error), repr(error), repr(settings), caplog.text])
    assert "refused the login" in str(error) and f"127.0.0.1:{controller.port}" in str(error)
    assert SECRET not in shown and wrong not in shown
    assert error.__cause__ is None and error.__suppress_context__
    assert handler.envelopes == []


@pytest.mark.parametrize("smtp_server", [{"auth": True}], indirect=True)
def test_an_unauthenticated_send_to_a_server_requiring_auth_fails(smtp_server):
    controller, handler = smtp_server
    settings = settings_for(controller)
    with pytest.raises(DeliveryError, match=f"127.0.0.1:{controller.port}"):
        send_email(settings, message_for(settings), password=None)
    assert handler.envelopes == []


def test_starttls_is_required_when_configured(smtp_server):
    controller, handler = smtp_server  # this server offers no STARTTLS
    settings = settings_for(controller, security="starttls")
    with pytest.raises(DeliveryError, match="does not offer STARTTLS"):
        send_email(settings, message_for(settings), password=None)
    assert handler.envelopes == []


def test_implicit_tls_against_a_plain_server_is_a_delivery_error(smtp_server):
    controller, handler = smtp_server
    settings = settings_for(controller, security="ssl")
    with pytest.raises(DeliveryError, match=f"127.0.0.1:{controller.port}"):
        send_email(settings, message_for(settings), password=None)
    assert handler.envelopes == []


def test_connection_refused_names_host_and_port():
    port = free_port()  # nothing listens here any more
    settings = EmailSettings(host="127.0.0.1", port=port, security="none", to=("a@example.org",), timeout=5.0)
    message = compose_email([new_change()], [], settings, today="2024-01-12")
    with pytest.raises(DeliveryError, match=f"connection refused by SMTP server 127.0.0.1:{port}"):
        send_email(settings, message, password=None)


def test_username_without_password_is_refused_before_connecting():
    settings = EmailSettings(host="127.0.0.1", port=free_port(), username=USER, to=("a@example.org",))
    message = compose_email([new_change()], [], settings, today="2024-01-12")
    with pytest.raises(DeliveryError, match="no password"):
        send_email(settings, message, password=None)


def test_password_from_env(monkeypatch):
    settings = EmailSettings(host="smtp.example.org", username=USER, password_env="CNCA_TEST_SMTP_PASSWORD")
    monkeypatch.setenv("CNCA_TEST_SMTP_PASSWORD", SECRET)
    assert password_from_env(settings) == SECRET
    monkeypatch.delenv("CNCA_TEST_SMTP_PASSWORD")
    with pytest.raises(DeliveryError, match="CNCA_TEST_SMTP_PASSWORD") as caught:
        password_from_env(settings)
    assert "not set" in str(caught.value)
    assert password_from_env(EmailSettings(host="h")) is None
    assert password_from_env(EmailSettings(host="h", password="inline")) == "inline"


# --- webhooks ---------------------------------------------------------------------------


class WebhookHandler(BaseHTTPRequestHandler):
    received: list[tuple[str, dict, dict]] = []
    status = 200

    def do_POST(self):  # noqa: N802 (http.server hook name)
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        type(self).received.append((self.path, dict(self.headers), json.loads(body.decode("utf-8"))))
        self.send_response(type(self).status)
        self.send_header("Content-Type", "text/plain")
        payload = b"boom: token=abc" if type(self).status >= 400 else b"ok"
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):  # keep test output quiet
        pass


@pytest.fixture
def webhook_server() -> Iterator[tuple[str, type[WebhookHandler]]]:
    handler = type("Handler", (WebhookHandler,), {"received": [], "status": 200})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", handler
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture(autouse=True)
def no_proxies(monkeypatch):
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)


def test_webhook_receives_the_json_document(webhook_server):
    base, handler = webhook_server
    document = {"schema_version": 1, "changes": [{"title": "认证 <b>", "kind": "new"}]}
    post_webhook(WebhookSettings(url=f"{base}/hook?token=abc", timeout=5.0), document)
    assert len(handler.received) == 1
    path, headers, body = handler.received[0]
    assert path == "/hook?token=abc"
    assert body == document
    assert headers["Content-Type"].startswith("application/json")


@pytest.mark.parametrize("status", [500, 404, 302])
def test_webhook_non_2xx_is_a_delivery_error_without_secrets(webhook_server, status):
    base, handler = webhook_server
    handler.status = status
    with pytest.raises(DeliveryError) as caught:
        post_webhook(WebhookSettings(url=f"{base}/hook?token=topsecret", timeout=5.0), {"a": 1})
    message = str(caught.value)
    assert f"{base}/hook" in message and f"HTTP {status}" in message
    assert "topsecret" not in message


def test_webhook_connection_refused_is_a_delivery_error():
    url = f"http://127.0.0.1:{free_port()}/hook?token=topsecret"
    with pytest.raises(DeliveryError) as caught:
        post_webhook(WebhookSettings(url=url, timeout=5.0), {"a": 1})
    assert "cannot connect" in str(caught.value) and "topsecret" not in str(caught.value)


def test_redact_url_drops_credentials_query_and_fragment():
    assert redact_url("https://user:pw@hooks.example.org:8443/a/b?token=x#frag") == "https://hooks.example.org:8443/a/b"


@pytest.mark.parametrize("smtp_server", [{"auth": True}], indirect=True)
def test_an_ascii_password_uses_the_standard_login(smtp_server):
    controller, handler = smtp_server
    settings = settings_for(controller, username=USER)
    send_email(settings, message_for(settings), password=ASCII_SECRET)
    assert len(handler.envelopes) == 1


@pytest.mark.parametrize("smtp_server", [{"auth": True}], indirect=True)
def test_a_refused_ascii_login_never_shows_the_password(smtp_server):
    controller, handler = smtp_server
    settings = settings_for(controller, username=USER)
    with pytest.raises(DeliveryError, match="refused the login") as caught:
        send_email(settings, message_for(settings), password="wrong-ascii-pw")
    assert "wrong-ascii-pw" not in str(caught.value) and "535" in str(caught.value)


def test_after_a_refusal_the_same_message_goes_out_on_the_next_try():
    with running_smtp_server(refuse="451 4.3.0 Try again later") as (controller, handler):
        settings = settings_for(controller)
        message = message_for(settings)
        with pytest.raises(DeliveryError, match="451"):
            send_email(settings, message, password=None)
        handler.refuse = None
        send_email(settings, message, password=None)
        assert len(handler.envelopes) == 1
