"""Local stand-ins for the chat platforms' webhook endpoints, on 127.0.0.1.

Each path checks what the real platform checks before it posts a message — the message
shape, the signature (DingTalk in the query, Feishu in the body, with the secret the test
set), the size limit — and answers the way the platform does: HTTP 200 with its own error
code in the body for a bad message, and its own success body otherwise.

    with ChatServer(secret="SECxyz") as chat:
        url = chat.url("dingtalk")
        chat.fail["dingtalk"] = True     # answer the platform's error body next time
        chat.fail_after["wecom"] = 1     # accept one message, refuse the ones after it
        chat.received["dingtalk"]        # the accepted JSON documents, in order
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

LIMITS = {"wecom": 4096, "dingtalk": 20_000, "feishu": 20_000, "slack": 40_000, "teams": 28_000}


def _err(platform: str, code: int, message: str) -> tuple[int, bytes]:
    if platform in ("wecom", "dingtalk"):
        return 200, json.dumps({"errcode": code, "errmsg": message}).encode()
    if platform == "feishu":
        return 200, json.dumps({"code": code, "msg": message, "data": {}}).encode()
    if platform == "slack":
        return 400, message.encode()
    return 200, f"Microsoft Teams endpoint returned HTTP error {code}: {message}".encode()


_OK = {
    "wecom": (200, b'{"errcode":0,"errmsg":"ok"}'),
    "dingtalk": (200, b'{"errcode":0,"errmsg":"ok"}'),
    "feishu": (200, b'{"code":0,"msg":"success","data":{}}'),
    "slack": (200, b"ok"),
    "teams": (202, b""),
    "json": (200, b""),
}


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:  # noqa: N802 - http.server's spelling
        chat = self.server.chat
        parts = urlsplit(self.path)
        platform = parts.path.strip("/")
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        with chat.lock:
            chat.requests.append((platform, dict(parse_qs(parts.query)), body))
            fail = chat.fail.get(platform, False)
            if platform in chat.fail_after:
                fail = fail or len(chat.received.get(platform, [])) >= chat.fail_after[platform]
        status, answer = self._judge(platform, parse_qs(parts.query), body, fail)
        self.send_response(status)
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def _judge(self, platform: str, query: dict[str, list[str]], body: bytes, fail: bool) -> tuple[int, bytes]:
        chat = self.server.chat
        if platform not in _OK:
            return 404, b"no such endpoint"
        if platform in LIMITS and len(body) > LIMITS[platform]:
            return _err(platform, 413, f"request body {len(body)} bytes is over {LIMITS[platform]}")
        try:
            document = json.loads(body)
        except ValueError:
            return _err(platform, 400, "body is not JSON")
        problem = _shape_problem(platform, document)
        if problem is None and platform == "dingtalk" and chat.secret is not None:
            problem = _dingtalk_signature_problem(query, chat.secret)
        if problem is None and platform == "feishu" and chat.secret is not None:
            problem = _feishu_signature_problem(document, chat.secret)
        if problem is None and fail:
            problem = "robot disabled by the group owner"
        if problem is not None:
            with chat.lock:
                chat.rejected.setdefault(platform, []).append(problem)
            return _err(platform, 310000 if platform == "dingtalk" else 19021, problem)
        with chat.lock:
            chat.received.setdefault(platform, []).append(document)
        return _OK[platform]

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


def _shape_problem(platform: str, doc: Any) -> str | None:
    if not isinstance(doc, dict):
        return "not a JSON object"
    if platform == "wecom":
        content = doc.get("markdown", {}).get("content") if doc.get("msgtype") == "markdown" else None
        if not isinstance(content, str) or not content:
            return "msgtype markdown with markdown.content required"
        if len(content.encode()) > 4096:
            return "markdown.content exceeds 4096 bytes"
    elif platform == "dingtalk":
        md = doc.get("markdown", {}) if doc.get("msgtype") == "markdown" else {}
        if not (isinstance(md.get("title"), str) and isinstance(md.get("text"), str) and md["text"]):
            return "msgtype markdown with markdown.title and markdown.text required"
    elif platform == "feishu":
        card = doc.get("card", {}) if doc.get("msg_type") == "interactive" else {}
        if not (isinstance(card.get("elements"), list) and card.get("header", {}).get("title", {}).get("content")):
            return "msg_type interactive with card.header.title and card.elements required"
    elif platform == "slack":
        blocks = doc.get("blocks")
        if not isinstance(doc.get("text"), str) or not isinstance(blocks, list) or len(blocks) > 50:
            return "invalid_blocks"
        for block in blocks:
            if block.get("type") == "section" and len(block["text"]["text"]) > 3000:
                return "invalid_blocks: section text over 3000 characters"
    elif platform == "teams":
        attachments = doc.get("attachments")
        if doc.get("type") != "message" or not isinstance(attachments, list) or not attachments:
            return "type message with attachments required"
        if attachments[0].get("contentType") != "application/vnd.microsoft.card.adaptive":
            return "an Adaptive Card attachment is required"
    return None


def _dingtalk_signature_problem(query: dict[str, list[str]], secret: str) -> str | None:
    timestamp = query.get("timestamp", [""])[0]
    sign = query.get("sign", [""])[0]
    expected = base64.b64encode(hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()).decode()
    return None if timestamp and hmac.compare_digest(sign, expected) else "sign not match"


def _feishu_signature_problem(doc: dict[str, Any], secret: str) -> str | None:
    timestamp = str(doc.get("timestamp", ""))
    expected = base64.b64encode(hmac.new(f"{timestamp}\n{secret}".encode(), b"", hashlib.sha256).digest()).decode()
    ok = timestamp and hmac.compare_digest(str(doc.get("sign", "")), expected)
    return None if ok else "sign match fail or timestamp is not within one hour from current time"


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    chat: ChatServer


class ChatServer:
    def __init__(self, secret: str | None = None) -> None:
        self.secret = secret
        self.lock = threading.Lock()
        self.requests: list[tuple[str, dict[str, list[str]], bytes]] = []
        self.received: dict[str, list[Any]] = {}
        self.rejected: dict[str, list[str]] = {}
        self.fail: dict[str, bool] = {}
        self.fail_after: dict[str, int] = {}  # accept this many messages, then answer the error body
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.chat = self
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def url(self, platform: str) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/{platform}"

    def __enter__(self) -> ChatServer:
        self._thread.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
