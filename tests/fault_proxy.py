"""A loopback HTTP proxy in front of the demo mirror that can make one source misbehave.

    with MirrorServer() as mirror, FaultProxy(mirror.base_url) as proxy:
        proxy.fault = Fault("waf403", match="/zw/zfxxgk/")

Requests whose path+query contains ``fault.match`` get the fault; everything else is
forwarded to the mirror unchanged (conditional headers included), so a source can
be broken for one run and healthy the next while its URLs stay the same.
Every handler is bounded in time.
"""

from __future__ import annotations

import http.client
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from faultserver import JSL_CHALLENGE_PAGE, NOT_FOUND_200_PAGE, WAF_403_PAGE

STALL_SECONDS = 3.0  # longer than the tests' read timeout, bounded by the stop event


@dataclass(frozen=True)
class Fault:
    kind: str
    match: str


SAMR_LIST_API_ROWS = (
    '<div class="Three_zhnlist_02">'
    '<ul><li class="nav04Left02_content"><a href="/zw/zfxxgk/fdzdgknr/rzjgs/art/2024/'
    'art_6a83555d972462aebaa78b3f207efffb.html" title="t">t</a></li>'
    '<li class="nav04Left02_contenttime">2024-06-14</li></ul>'
    '<ul><li class="nav04Left02_content"><a href="/zw/zfxxgk/fdzdgknr/rzjgs/art/2024/'
    'art_48dd4329ef4eea1229ce450872544ace.html" title="t2">t2</a></li>'
    '<li class="nav04Left02_contenttime">2024-06-06</li></ul></div>'
)


def _json_answer(html: str) -> bytes:
    import json

    return json.dumps({"success": True, "code": "200", "data": {"html": html}}, ensure_ascii=False).encode()


class FaultProxy:
    def __init__(self, upstream: str) -> None:
        parts = urlsplit(upstream)
        self.upstream_host = parts.hostname or "127.0.0.1"
        self.upstream_port = parts.port or 80
        self.fault: Fault | None = None
        self.stop = threading.Event()
        self.hits = 0  # requests that got the fault
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                pass

            def do_GET(self) -> None:  # noqa: N802
                fault = owner.fault
                if fault is not None and fault.match in self.path:
                    owner.hits += 1
                    if fault.kind == "ignore-validators":  # a server that never answers 304
                        owner._forward(self, conditional=False)
                    else:
                        owner._inject(self, fault.kind)
                else:
                    owner._forward(self)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> "FaultProxy":
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    # -- behaviours ------------------------------------------------------------

    def _forward(self, h: BaseHTTPRequestHandler, *, conditional: bool = True) -> None:
        conn = http.client.HTTPConnection(self.upstream_host, self.upstream_port, timeout=5)
        passed = ("if-none-match", "if-modified-since", "accept") if conditional else ("accept",)
        headers = {k: v for k, v in h.headers.items() if k.lower() in passed}
        conn.request("GET", h.path, headers=headers)
        answer = conn.getresponse()
        body = answer.read()
        h.send_response(answer.status)
        for key, value in answer.getheaders():
            if key.lower() not in ("transfer-encoding", "connection", "content-length"):
                h.send_header(key, value)
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)
        conn.close()

    def _send(self, h: BaseHTTPRequestHandler, status: int, body: bytes, ctype: str = "text/html; charset=utf-8",
              extra: dict[str, str] | None = None) -> None:
        h.send_response(status)
        h.send_header("Content-Type", ctype)
        h.send_header("Content-Length", str(len(body)))
        for key, value in (extra or {}).items():
            h.send_header(key, value)
        h.end_headers()
        h.wfile.write(body)

    def _inject(self, h: BaseHTTPRequestHandler, kind: str) -> None:
        html = "text/html; charset=utf-8"
        if kind.startswith("status"):
            self._send(h, int(kind[6:]), b"<html><body>error</body></html>")
        elif kind == "503-retry-after":
            self._send(h, 503, b"busy", extra={"Retry-After": "120"})
        elif kind == "429":
            self._send(h, 429, b"slow down", extra={"Retry-After": "120"})
        elif kind == "waf403":
            self._send(h, 403, WAF_403_PAGE.encode())
        elif kind in ("challenge521", "challenge412"):
            self._send(h, int(kind[-3:]), JSL_CHALLENGE_PAGE.encode(), html,
                       {"Set-Cookie": "__jsluid_s=0f3c9a1b2d; path=/; HttpOnly"})
        elif kind == "html-for-json":
            self._send(h, 200, b"<html><head><title>\xe7\xbd\x91\xe7\xab\x99</title></head><body>maintenance</body></html>")
        elif kind == "malformed-json":
            self._send(h, 200, b'{"success": true, "data": {"html": "<ul>', "application/json")
        elif kind == "garbage":
            self._send(h, 200, bytes(range(256)) * 40, "application/octet-stream")
        elif kind == "not-found-200":
            self._send(h, 200, NOT_FOUND_200_PAGE.encode())
        elif kind == "zero-items":
            self._send(h, 200, _json_answer('<div class="Three_zhnlist_02"></div><div class="pagination" count="0"></div>'),
                       "application/json")
        elif kind == "far-fewer":
            self._send(h, 200, _json_answer(SAMR_LIST_API_ROWS), "application/json")
        elif kind == "truncated":
            h.send_response(200)
            h.send_header("Content-Type", "application/json")
            h.send_header("Content-Length", "5000")
            h.end_headers()
            h.wfile.write(b'{"success": true, "data": {"html": "<ul><li>')
            h.wfile.flush()
            h.close_connection = True
        elif kind == "stall":
            h.send_response(200)
            h.send_header("Content-Type", "application/json")
            h.send_header("Content-Length", "5000")
            h.end_headers()
            h.wfile.write(b'{"success": ')
            h.wfile.flush()
            self.stop.wait(STALL_SECONDS)
            h.close_connection = True
        elif kind == "redirect-loop":
            h.send_response(302)
            h.send_header("Location", h.path)
            h.send_header("Content-Length", "0")
            h.end_headers()
        elif kind == "redirect-ftp":
            h.send_response(302)
            h.send_header("Location", "ftp://127.0.0.1/x")
            h.send_header("Content-Length", "0")
            h.end_headers()
        elif kind == "huge":
            size = 3 * 1024 * 1024
            h.send_response(200)
            h.send_header("Content-Type", "application/json")
            h.send_header("Content-Length", str(size))
            h.end_headers()
            chunk = b" " * 65536
            try:
                for _ in range(size // len(chunk)):
                    if self.stop.is_set():
                        break
                    h.wfile.write(chunk)
            except OSError:
                pass  # the client stopped reading at its cap
            h.close_connection = True
        else:  # pragma: no cover - a typo in a test
            raise ValueError(kind)
