"""A tiny site on 127.0.0.1 whose pages a test edits between runs.

    with PageServer({"/list.html": LIST}) as site:
        site.pages["/list.html"] = SHORTER   # the next request sees the new page
        site.requests  # [(path, headers), ...] in arrival order

Pages are served as UTF-8 HTML with an ETag of their content; a matching If-None-Match gets
304, as the real static list pages do.  Unknown paths answer 404.  A ``bytes`` value is a file
(application/octet-stream); a ``(bytes, headers)`` pair a file with its own headers
(Content-Type, Content-Disposition).
"""

from __future__ import annotations

import hashlib
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:  # noqa: N802 - http.server's spelling
        site = self.server.site
        path = self.path.split("?", 1)[0]
        with site.lock:
            site.requests.append((path, {k.lower(): v for k, v in self.headers.items()}))
            page = site.pages.get(path)
        if page is None:
            self._answer(404, b"not found")
            return
        headers = {"Content-Type": "text/html; charset=utf-8"}
        if isinstance(page, tuple):
            body, extra = page
            headers = {"Content-Type": "application/octet-stream", **extra}
        elif isinstance(page, bytes):
            body, headers = page, {"Content-Type": "application/octet-stream"}
        else:
            body = page.encode("utf-8")
        etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
        if self.headers.get("If-None-Match") == etag:
            self._answer(304, b"", etag)
            return
        self._answer(200, body, etag, headers)

    def _answer(self, status: int, body: bytes, etag: str | None = None, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        if etag:
            self.send_header("ETag", etag)
        if status != 304:
            for name, value in (headers or {"Content-Type": "text/html; charset=utf-8"}).items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if status != 304:
            self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    site: PageServer


class PageServer:
    def __init__(self, pages: dict[str, str | bytes | tuple[bytes, dict[str, str]]]) -> None:
        self.pages = dict(pages)
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.lock = threading.Lock()
        self._httpd = _Server(("127.0.0.1", 0), _Handler)
        self._httpd.site = self
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}{path}"

    def __enter__(self) -> PageServer:
        self._thread.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)


Pages = dict[str, str | bytes | tuple[bytes, dict[str, str]]]


def one_announcement(title: str, day: str, body: str, links: dict[str, str]) -> Pages:
    """A static list with one row (``/list.html``) and its detail page (``/a.html``), whose
    body ends with ``links`` (path → link text): the site the attachment tests start from;
    a test adds the files under those paths."""
    anchors = "".join(f'<p><a href="{path}">{text}</a></p>' for path, text in links.items())
    return {
        "/list.html": (
            '<html><head><meta charset="utf-8"></head><body><ul class="news">'
            f'<li><a href="/a.html" title="{title}">{title}</a><span>{day}</span></li></ul></body></html>'
        ),
        "/a.html": (
            f'<html><head><meta charset="utf-8"><title>{title}</title></head><body><div class="article">'
            f'<h2 class="title">{title}</h2><div class="content"><p>{body}</p>{anchors}</div></div></body></html>'
        ),
    }
