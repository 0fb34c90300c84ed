"""A fault-injecting HTTP(S) server on loopback, for the fetch tests.

    with FaultServer() as server:
        url = server.url("/status/503?retry_after=1")

Every route reproduces one way the real sites (or the network) misbehave; see
``ROUTES`` at the bottom.  The server binds to a loopback address and port 0,
runs in a daemon thread, records every request (path, Host, headers, arrival
time on ``time.monotonic``) and the highest number of requests it was serving
at once, and stops when the ``with`` block ends.  Every handler is bounded in
time: stalls and holds wait on the server's stop event with a timeout.
"""

from __future__ import annotations

import socket
import ssl
import subprocess
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Callable
from urllib.parse import parse_qs, urlsplit

HANDLER_MAX_SECONDS = 5.0  # no handler ever runs longer than this
BIG_BODY_BYTES = 50 * 1024 * 1024

CHINESE_PAGE = (
    "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>认监委公告</title></head>"
    "<body><ul class=\"common_list_ul\"><li><a href=\"/zwxx/gg/2024/art/2024/art_1.html\">"
    "关于发布强制性产品认证实施规则的公告</a><span>2024-03-01</span></li></ul></body></html>"
)
GBK_ONLY_TEXT = "朱镕基 陶喆 王堃 关于认证机构资质审批的公告"  # 镕 喆 堃 are not in GB2312
JSL_CHALLENGE_PAGE = (
    "<html><head><meta charset=\"utf-8\"></head><body><script>"
    "document.cookie=('_')+('_')+('j')+('s')+('l')+('_')+('c')+('l')+('e')+('a')+('r')+('a')+('n')+"
    "('c')+('e')+('=')+(+[]+[]+[])+('1')+('7')+';max-age=3600;path=/';"
    "location.href=location.pathname+location.search</script></body></html>"
)
WAF_403_PAGE = (
    "<html><head><title>403 Forbidden</title></head><body><h1>您的访问被拦截</h1>"
    "<p>当前访问疑似黑客攻击，已被网站防火墙拦截（WAF）。</p>"
    "<p>如果您是网站管理员，请登录WAF控制台查看拦截详情。</p></body></html>"
)
NOT_FOUND_200_PAGE = (
    "<html><head><meta charset=\"utf-8\"><title>页面不存在</title></head>"
    "<body><div class=\"error\">页面不存在 / page not found</div>"
    "<p>您访问的页面不存在或已被删除，请返回首页。</p></body></html>"
)


@dataclass
class RequestRecord:
    path: str
    host: str
    headers: dict[str, str]
    at: float  # time.monotonic() on arrival


@dataclass
class ServerState:
    """Shared by servers on different loopback addresses (per-host tests)."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    stop: threading.Event = field(default_factory=threading.Event)
    requests: list[RequestRecord] = field(default_factory=list)
    counters: dict[str, int] = field(default_factory=dict)
    in_flight: dict[str, int] = field(default_factory=dict)  # by Host header's host part
    max_in_flight: dict[str, int] = field(default_factory=dict)
    total_in_flight: int = 0
    max_total_in_flight: int = 0
    bytes_sent: dict[str, int] = field(default_factory=dict)

    def arrivals(self, path_prefix: str) -> list[float]:
        with self.lock:
            return [r.at for r in self.requests if r.path.startswith(path_prefix)]

    def count(self, path_prefix: str) -> int:
        return len(self.arrivals(path_prefix))

    def headers_of(self, path_prefix: str) -> list[dict[str, str]]:
        with self.lock:
            return [r.headers for r in self.requests if r.path.startswith(path_prefix)]


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    state: ServerState
    tls_context: ssl.SSLContext | None = None

    def finish_request(self, request, client_address):  # type: ignore[no-untyped-def]
        if self.tls_context is not None:
            # Handshake in the handler thread so a failing client never blocks accept().
            request.settimeout(HANDLER_MAX_SECONDS)
            try:
                request = self.tls_context.wrap_socket(request, server_side=True)
            except (ssl.SSLError, OSError):
                return
        super().finish_request(request, client_address)

    def handle_error(self, request, client_address):  # type: ignore[no-untyped-def]
        pass  # clients hanging up early is what these tests are about


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = HANDLER_MAX_SECONDS
    server: _Server

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass

    def do_GET(self) -> None:  # noqa: N802
        state = self.server.state
        parts = urlsplit(self.path)
        host = (self.headers.get("Host") or "").rsplit(":", 1)[0]
        record = RequestRecord(
            path=parts.path,
            host=host,
            headers={k.lower(): v for k, v in self.headers.items()},
            at=time.monotonic(),
        )
        with state.lock:
            state.requests.append(record)
            state.in_flight[host] = state.in_flight.get(host, 0) + 1
            state.max_in_flight[host] = max(state.max_in_flight.get(host, 0), state.in_flight[host])
            state.total_in_flight += 1
            state.max_total_in_flight = max(state.max_total_in_flight, state.total_in_flight)
        self._in_flight_host: str | None = host
        try:
            query = {k: v[0] for k, v in parse_qs(parts.query).items()}
            route = _find_route(parts.path)
            if route is None:
                self._send(404, b"no such route", "text/plain")
            else:
                route(self, parts.path, query)
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError, socket.timeout):
            self.close_connection = True
        finally:
            self._leave_in_flight()

    def _leave_in_flight(self) -> None:
        """Count the request as finished — before its answer is written, because the client
        may send its next request the moment the answer arrives (counting after the write
        would see a phantom extra request in flight)."""
        host, self._in_flight_host = self._in_flight_host, None
        if host is None:
            return
        state = self.server.state
        with state.lock:
            state.in_flight[host] -= 1
            state.total_in_flight -= 1

    # ---------------------------------------------------------------- helpers

    def _send(
        self,
        status: int,
        body: bytes,
        content_type: str | None = "text/html; charset=utf-8",
        headers: list[tuple[str, str]] | None = None,
    ) -> None:
        self._leave_in_flight()
        self.send_response(status)
        if content_type is not None:
            self.send_header("Content-Type", content_type)
        for name, value in headers or []:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _wait(self, seconds: float) -> None:
        """Hold the request, but never past the test's end or the handler bound."""
        self.server.state.stop.wait(min(seconds, HANDLER_MAX_SECONDS))


Route = Callable[[_Handler, str, dict[str, str]], None]


def _ok(h: _Handler, path: str, q: dict[str, str]) -> None:
    h._send(200, CHINESE_PAGE.encode("utf-8"))


def _etag(h: _Handler, path: str, q: dict[str, str]) -> None:
    etag, modified = '"v1-abc"', "Wed, 01 May 2024 08:00:00 GMT"
    validators = [("ETag", etag), ("Last-Modified", modified)]
    if h.headers.get("If-None-Match") == etag or (
        h.headers.get("If-None-Match") is None and h.headers.get("If-Modified-Since") == modified
    ):
        h.send_response(304)
        for name, value in validators:
            h.send_header(name, value)
        h.end_headers()
        return
    h._send(200, CHINESE_PAGE.encode("utf-8"), headers=validators)


def _status(h: _Handler, path: str, q: dict[str, str]) -> None:
    """/status/<code>?retry_after=<value>: a plain error page."""
    code = int(path.rsplit("/", 1)[1])
    headers = [("Retry-After", q["retry_after"])] if "retry_after" in q else []
    h._send(code, f"<html><body><h1>{code}</h1><p>server error</p></body></html>".encode(), headers=headers)


def _flaky(h: _Handler, path: str, q: dict[str, str]) -> None:
    """/flaky/<key>?fails=N&status=503&retry_after=S: fail N times, then succeed."""
    state = h.server.state
    with state.lock:
        seen = state.counters.get(path, 0)
        state.counters[path] = seen + 1
    if seen < int(q.get("fails", "1")):
        headers = [("Retry-After", q["retry_after"])] if "retry_after" in q else []
        h._send(int(q.get("status", "503")), b"<html><body>try again later</body></html>", headers=headers)
    else:
        h._send(200, CHINESE_PAGE.encode("utf-8"))


def _waf403(h: _Handler, path: str, q: dict[str, str]) -> None:
    h._send(403, WAF_403_PAGE.encode("utf-8"))


def _challenge(h: _Handler, path: str, q: dict[str, str]) -> None:
    """/challenge/<status>: a jiasule-style JS challenge with its cookies."""
    code = int(path.rsplit("/", 1)[1])
    cookies = [
        ("Set-Cookie", "__jsluid_s=4f6b3c2a1d0e9f8a7b6c5d4e3f2a1b0c; max-age=31536000; path=/; HttpOnly; secure"),
        ("Set-Cookie", "__jsl_clearance_s=1714550400.123|0|abc; max-age=3600; path=/"),
    ]
    h._send(code, JSL_CHALLENGE_PAGE.encode("utf-8"), headers=cookies)


def _jsluid_ok(h: _Handler, path: str, q: dict[str, str]) -> None:
    """An ordinary page that carries the __jsluid_s cookie: not a block."""
    h._send(200, CHINESE_PAGE.encode("utf-8"), headers=[("Set-Cookie", "__jsluid_s=abc; path=/")])


def _html_for_json(h: _Handler, path: str, q: dict[str, str]) -> None:
    h._send(200, NOT_FOUND_200_PAGE.replace("页面不存在 / page not found", "系统维护中").encode())


def _malformed_json(h: _Handler, path: str, q: dict[str, str]) -> None:
    h._send(200, b'{"success": true, "data": {"html": "<ul><li>', "application/json;charset=UTF-8")


def _not_found_200(h: _Handler, path: str, q: dict[str, str]) -> None:
    h._send(200, NOT_FOUND_200_PAGE.encode("utf-8"))


def _truncated(h: _Handler, path: str, q: dict[str, str]) -> None:
    h.send_response(200)
    h.send_header("Content-Type", "text/html; charset=utf-8")
    h.send_header("Content-Length", "5000")
    h.end_headers()
    h.wfile.write(b"<html><body>" + b"x" * 988)
    h.wfile.flush()
    h.close_connection = True


def _stall(h: _Handler, path: str, q: dict[str, str]) -> None:
    """Send part of the body, then go quiet (until the test ends)."""
    h.send_response(200)
    h.send_header("Content-Type", "text/html; charset=utf-8")
    h.send_header("Content-Length", "5000")
    h.end_headers()
    h.wfile.write(b"<html><body>" + b"x" * 500)
    h.wfile.flush()
    h._wait(float(q.get("seconds", "3")))
    h.close_connection = True


def _loop(h: _Handler, path: str, q: dict[str, str]) -> None:
    """/loop/a -> /loop/b -> /loop/a ..."""
    target = "/loop/b" if path.endswith("/a") else "/loop/a"
    h._send(302, b"", None, headers=[("Location", target)])


def _redirect(h: _Handler, path: str, q: dict[str, str]) -> None:
    """/redirect?to=<location>: one redirect to wherever."""
    h._send(302, b"", None, headers=[("Location", q["to"])])


def _chain(h: _Handler, path: str, q: dict[str, str]) -> None:
    """/chain/<n>: n redirects, then the ok page."""
    left = int(path.rsplit("/", 1)[1])
    if left <= 0:
        _ok(h, path, q)
    else:
        h._send(301, b"", None, headers=[("Location", f"/chain/{left - 1}")])


def _big(h: _Handler, path: str, q: dict[str, str]) -> None:
    """/big (Content-Length declared) or /big-chunked: 50 MB, generated as it is sent."""
    chunked = path.endswith("chunked")
    h.send_response(200)
    h.send_header("Content-Type", "text/html; charset=utf-8")
    if chunked:
        h.send_header("Transfer-Encoding", "chunked")
    else:
        h.send_header("Content-Length", str(BIG_BODY_BYTES))
    h.end_headers()
    block = b"<p>" + b"x" * (64 * 1024 - 8) + b"</p>\n"
    sent = 0
    deadline = time.monotonic() + HANDLER_MAX_SECONDS
    while sent < BIG_BODY_BYTES and time.monotonic() < deadline and not h.server.state.stop.is_set():
        piece = block[: BIG_BODY_BYTES - sent]
        if chunked:
            h.wfile.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
        else:
            h.wfile.write(piece)
        sent += len(piece)
        with h.server.state.lock:
            h.server.state.bytes_sent[path] = sent
    if chunked:
        h.wfile.write(b"0\r\n\r\n")
    h.close_connection = True


def _gb2312_gbk(h: _Handler, path: str, q: dict[str, str]) -> None:
    body = f"<html><head><title>公告</title></head><body><p>{GBK_ONLY_TEXT}</p></body></html>"
    h._send(200, body.encode("gbk"), "text/html; charset=gb2312")


def _no_charset(h: _Handler, path: str, q: dict[str, str]) -> None:
    body = f"<html><head><title>通知</title></head><body><p>{GBK_ONLY_TEXT}</p></body></html>"
    h._send(200, body.encode("gb18030"), "text/html")


def _wrong_charset(h: _Handler, path: str, q: dict[str, str]) -> None:
    """Header says UTF-8; the page is GBK and says so in its meta tag."""
    body = (
        '<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312">'
        f"<title>通知</title></head><body><p>{GBK_ONLY_TEXT}</p></body></html>"
    )
    h._send(200, body.encode("gbk"), "text/html; charset=utf-8")


def _hold(h: _Handler, path: str, q: dict[str, str]) -> None:
    """Keep the request open a while so concurrent requests overlap."""
    h._wait(float(q.get("seconds", "0.3")))
    h._send(200, b"<html><body>held</body></html>")


ROUTES: list[tuple[str, Route]] = [
    ("/ok", _ok),
    ("/etag", _etag),
    ("/status/", _status),
    ("/flaky/", _flaky),
    ("/waf403", _waf403),
    ("/challenge/", _challenge),
    ("/jsluid-ok", _jsluid_ok),
    ("/html-for-json", _html_for_json),
    ("/malformed-json", _malformed_json),
    ("/not-found-200", _not_found_200),
    ("/truncated", _truncated),
    ("/stall", _stall),
    ("/loop/", _loop),
    ("/redirect", _redirect),
    ("/chain/", _chain),
    ("/big", _big),
    ("/gb2312-gbk", _gb2312_gbk),
    ("/no-charset", _no_charset),
    ("/wrong-charset", _wrong_charset),
    ("/hold", _hold),
]


def _find_route(path: str) -> Route | None:
    for prefix, route in ROUTES:
        if path.startswith(prefix):
            return route
    return None


class FaultServer:
    """Context manager: a threaded fault server on ``host`` (loopback only)."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        *,
        state: ServerState | None = None,
        tls_context: ssl.SSLContext | None = None,
    ) -> None:
        if not host.startswith("127."):
            raise ValueError("the fault server only listens on loopback")
        self.host = host
        self.state = state or ServerState()
        self._tls_context = tls_context
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        assert self._httpd is not None
        return self._httpd.server_address[1]

    def url(self, path: str) -> str:
        scheme = "https" if self._tls_context is not None else "http"
        return f"{scheme}://{self.host}:{self.port}{path}"

    def __enter__(self) -> FaultServer:
        httpd = _Server((self.host, 0), _Handler)
        httpd.state = self.state
        httpd.tls_context = self._tls_context
        self._httpd = httpd
        self._thread = threading.Thread(
            target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.state.stop.set()  # releases stalled and held handlers
        assert self._httpd is not None and self._thread is not None
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=HANDLER_MAX_SECONDS)


# ------------------------------------------------------------------ sockets for network faults


def refused_port(host: str = "127.0.0.1") -> int:
    """A port nothing listens on: bound, then closed."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


class UnacceptingListener:
    """A listening socket whose accept queue is full, so new connects hang (Linux).

    With backlog 0 and the queue filled by a couple of connections nobody accepts,
    the kernel drops further SYNs and a client's connect() times out.
    """

    def __init__(self, host: str = "127.0.0.1", fillers: int = 4) -> None:
        self.host = host
        self._fillers = fillers
        self._listener: socket.socket | None = None
        self._clients: list[socket.socket] = []

    def __enter__(self) -> UnacceptingListener:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.bind((self.host, 0))
        listener.listen(0)
        self._listener = listener
        for _ in range(self._fillers):
            client = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            client.setblocking(False)
            client.connect_ex(listener.getsockname())
            self._clients.append(client)
        return self

    @property
    def port(self) -> int:
        assert self._listener is not None
        return self._listener.getsockname()[1]

    def __exit__(self, *exc_info: object) -> None:
        for client in self._clients:
            client.close()
        if self._listener is not None:
            self._listener.close()


# ------------------------------------------------------------------ TLS


def self_signed_context(directory: Path, host: str = "127.0.0.1") -> ssl.SSLContext:
    """A server SSL context with a fresh self-signed certificate (needs the openssl CLI)."""
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
            "-keyout", str(key), "-out", str(cert), "-days", "2",
            "-subj", f"/CN={host}", "-addext", f"subjectAltName=IP:{host}",
        ],
        check=True,
        capture_output=True,
        timeout=30,
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    return context
