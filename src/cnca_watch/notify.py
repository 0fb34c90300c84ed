"""Deliver notifications: SMTP email and JSON webhooks.

Each function either returns (the other side accepted: the caller may mark the changes
delivered) or raises ``DeliveryError`` with one line naming where delivery failed.  The
SMTP password never appears in any message: errors are rebuilt from the server's reply
code and text, scrubbed of the password, and raised ``from None`` so no traceback chains
to an exception that might carry it.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import smtplib
import socket
import ssl
from email.message import EmailMessage
from email.utils import getaddresses, parseaddr
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

import httpx

from cnca_watch.errors import DeliveryError
from cnca_watch.render.safe import one_line
from cnca_watch.settings import EmailSettings, WebhookSettings

if TYPE_CHECKING:
    from cnca_watch.channels import OutgoingMessage

log = logging.getLogger(__name__)

SECURITY_MODES = ("starttls", "ssl", "none")
USER_AGENT = "cnca-watch/0.1 (+notify)"


def password_from_env(settings: EmailSettings) -> str | None:
    """The SMTP password: from the variable ``password_env`` names, else the config's ``password``.

    Raises DeliveryError when ``password_env`` names a variable that is unset or empty,
    so a cron job without the variable fails loudly instead of trying an anonymous login.
    """
    if settings.password_env:
        value = os.environ.get(settings.password_env)
        if not value:
            raise DeliveryError(
                f"environment variable {settings.password_env} (email password_env) is not set: "
                f"export it with the SMTP password for {settings.username or settings.host}"
            )
        return value
    return settings.password or None


def send_email(settings: EmailSettings, message: EmailMessage, *, password: str | None) -> None:
    """Send ``message`` to ``settings.to`` through the configured SMTP server.

    security: "ssl" (implicit TLS, usually port 465), "starttls" (STARTTLS required: a
    server that does not offer it is an error, never a silent fallback to clear text) or
    "none".  Logs in only when ``username`` is set.
    """
    where = f"{settings.host}:{settings.port}"
    if settings.security not in SECURITY_MODES:
        raise DeliveryError(f"email security {settings.security!r} is not one of {', '.join(SECURITY_MODES)}")
    # Envelope addresses are the bare addr-specs: passing "王分析师 <wang@example.org>" would
    # make smtplib switch to SMTPUTF8 and send raw 8-bit headers.
    recipients = [addr for _, addr in getaddresses([one_line(a) for a in settings.to]) if addr]
    if not recipients:
        raise DeliveryError(f"no email recipients configured (email to) for {where}")
    if settings.username and not password:
        raise DeliveryError(
            f"SMTP server {where}: username {settings.username} is set but no password "
            "(set password_env to the name of an environment variable holding it)"
        )

    try:
        _deliver(settings, message, recipients, password)
    except DeliveryError:
        raise
    except smtplib.SMTPAuthenticationError as error:
        cause = _reply(error.smtp_code, error.smtp_error)
        raise DeliveryError(
            _scrub(f"SMTP server {where} refused the login of {settings.username}: {cause}", settings, password)
        ) from None
    except smtplib.SMTPRecipientsRefused as error:
        refused = "; ".join(f"{addr}: {_reply(code, text)}" for addr, (code, text) in error.recipients.items())
        raise DeliveryError(_scrub(f"SMTP server {where} refused every recipient: {refused}", settings, password)) from None
    except smtplib.SMTPSenderRefused as error:
        cause = _reply(error.smtp_code, error.smtp_error)
        raise DeliveryError(
            _scrub(f"SMTP server {where} refused the sender {error.sender}: {cause}", settings, password)
        ) from None
    except smtplib.SMTPResponseException as error:
        cause = _reply(error.smtp_code, error.smtp_error)
        raise DeliveryError(_scrub(f"SMTP server {where} refused the message: {cause}", settings, password)) from None
    except smtplib.SMTPServerDisconnected:
        raise DeliveryError(f"SMTP server {where} closed the connection unexpectedly") from None
    except smtplib.SMTPNotSupportedError as error:
        raise DeliveryError(_scrub(f"SMTP server {where}: {one_line(str(error))}", settings, password)) from None
    except ssl.SSLError as error:
        reason = one_line(error.reason or str(error))
        raise DeliveryError(f"TLS error talking to SMTP server {where}: {reason}") from None
    except (socket.timeout, TimeoutError):
        raise DeliveryError(f"timed out talking to SMTP server {where} (after {settings.timeout:g} s)") from None
    except ConnectionRefusedError:
        raise DeliveryError(f"connection refused by SMTP server {where}") from None
    except socket.gaierror as error:
        raise DeliveryError(f"cannot resolve SMTP host {settings.host}: {one_line(error.strerror)}") from None
    except UnicodeError:
        # The exception text would quote the offending character (perhaps of the password).
        raise DeliveryError(f"cannot deliver to SMTP server {where}: a header or address is not encodable") from None
    except (OSError, smtplib.SMTPException) as error:
        detail = one_line(getattr(error, "strerror", None) or str(error)) or type(error).__name__
        raise DeliveryError(_scrub(f"cannot deliver to SMTP server {where}: {detail}", settings, password)) from None


def _deliver(settings: EmailSettings, message: EmailMessage, recipients: list[str], password: str | None) -> None:
    context = ssl.create_default_context()
    client: smtplib.SMTP
    if settings.security == "ssl":
        client = smtplib.SMTP_SSL(settings.host, settings.port, timeout=settings.timeout, context=context)
    else:
        client = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
    with client:
        client.ehlo()
        if settings.security == "starttls":
            if not client.has_extn("starttls"):
                raise DeliveryError(
                    f"SMTP server {settings.host}:{settings.port} does not offer STARTTLS; refusing to send "
                    'in clear text (set email security = "none" to allow it, or "ssl" for port 465)'
                )
            client.starttls(context=context)
            client.ehlo()
        if settings.username:
            _login(client, f"{settings.host}:{settings.port}", settings.username, password or "")
        sender = parseaddr(one_line(settings.sender))[1] or one_line(settings.sender)
        refused = client.send_message(message, from_addr=sender, to_addrs=recipients)
        if refused:
            # Some recipients got it: the message is out, so it counts as delivered.
            log.warning(
                "SMTP server %s:%s refused some recipients: %s",
                settings.host,
                settings.port,
                ", ".join(sorted(refused)),
            )


def _login(client: smtplib.SMTP, where: str, username: str, password: str) -> None:
    """Log in; smtplib only handles ASCII credentials, so others go as UTF-8 AUTH PLAIN (RFC 4616)."""
    if username.isascii() and password.isascii():
        client.login(username, password)
        return
    if "plain" not in client.esmtp_features.get("auth", "").lower().split():
        raise DeliveryError(
            f"SMTP server {where}: a non-ASCII username or password needs AUTH PLAIN, "
            "which the server does not offer"
        )
    token = base64.b64encode(f"\0{username}\0{password}".encode("utf-8")).decode("ascii")
    code, reply = client.docmd("AUTH", f"PLAIN {token}")
    if code != 235:
        raise smtplib.SMTPAuthenticationError(code, reply)


def _reply(code: int | None, text: bytes | str | None) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return one_line(f"{code or ''} {text or ''}") or "no reason given"


def _scrub(text: str, settings: EmailSettings, password: str | None) -> str:
    """``text`` without the password in any spelling an SMTP exchange could echo back."""
    if not password:
        return text
    secrets = {password, base64.b64encode(password.encode()).decode()}
    user = settings.username or ""
    for form in (f"\0{user}\0{password}", f"{user}\0{password}"):
        secrets.add(base64.b64encode(form.encode()).decode())
    for secret in sorted(secrets, key=len, reverse=True):
        if secret:
            text = text.replace(secret, "********")
    return text


def redact_url(url: str) -> str:
    """``url`` without user info, query string or fragment (where tokens usually live)."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        if ":" in host:  # IPv6 literal
            host = f"[{host}]"
        netloc = f"{host}:{parts.port}" if parts.port else host
    except ValueError:
        return one_line(url.split("?", 1)[0].split("#", 1)[0])
    return one_line(urlunsplit((parts.scheme, netloc, parts.path, "", "")))


def post_webhook(settings: WebhookSettings, document: dict[str, Any], *, transport: httpx.BaseTransport | None = None) -> None:
    """POST ``document`` as JSON to the webhook; any non-2xx answer or network error raises.

    Redirects are not followed: a 3xx is reported (a POST silently turned into a GET
    elsewhere would lose the notification).
    """
    where = redact_url(settings.url)
    body = json.dumps(document, ensure_ascii=False).encode("utf-8")
    headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": USER_AGENT}
    try:
        with httpx.Client(timeout=settings.timeout, follow_redirects=False, transport=transport) as client:
            response = client.post(settings.url, content=body, headers=headers)
    except httpx.TimeoutException:
        raise DeliveryError(f"webhook {where} timed out (after {settings.timeout:g} s)") from None
    except httpx.ConnectError as error:
        raise DeliveryError(f"cannot connect to webhook {where}: {_network_cause(error, settings.url)}") from None
    except (httpx.HTTPError, httpx.InvalidURL, ValueError) as error:
        raise DeliveryError(f"webhook {where} failed: {_network_cause(error, settings.url)}") from None
    if not 200 <= response.status_code < 300:
        snippet = one_line(response.text[:200]) if response.content else ""
        reason = one_line(response.reason_phrase)
        detail = f"HTTP {response.status_code}{' ' + reason if reason else ''}"
        raise DeliveryError(f"webhook {where} answered {detail}{': ' + snippet if snippet else ''}")


def _network_cause(error: Exception, url: str) -> str:
    """The reason httpx gives, without the URL's query string should the reason repeat it."""
    text = one_line(str(error)).replace(one_line(url), redact_url(url))
    query = urlsplit(url).query
    if query:
        text = text.replace(query, "…")
    return text or type(error).__name__


def post_chat_message(
    settings: WebhookSettings, message: "OutgoingMessage", *, transport: httpx.BaseTransport | None = None
) -> None:
    """POST one chat robot message; raises unless the platform's own success signal came back.

    WeCom, DingTalk and Feishu answer HTTP 200 with an error code in the body for a refused
    message: that is a failure (``channels.failure``).  The URL's query (tokens, signature)
    never appears in a message.
    """
    from cnca_watch.channels import failure

    where = settings.name or redact_url(settings.url)
    headers = {**dict(message.headers), "User-Agent": USER_AGENT}
    try:
        with httpx.Client(timeout=settings.timeout, follow_redirects=False, transport=transport) as client:
            response = client.post(message.url, content=message.body, headers=headers)
    except httpx.TimeoutException:
        raise DeliveryError(f"webhook {where} timed out (after {settings.timeout:g} s)") from None
    except httpx.ConnectError as error:
        raise DeliveryError(f"cannot connect to webhook {where}: {_network_cause(error, message.url)}") from None
    except (httpx.HTTPError, httpx.InvalidURL, ValueError) as error:
        raise DeliveryError(f"webhook {where} failed: {_network_cause(error, message.url)}") from None
    problem = failure(settings.format, response.status_code, response.content)
    if problem is not None:
        raise DeliveryError(f"{settings.format} webhook {where} refused the message: {one_line(problem)}")
