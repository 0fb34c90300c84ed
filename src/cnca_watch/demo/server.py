"""A real HTTP server on loopback serving the demo mirror (``cnca-watch demo``, tests, benchmarks).

Every answer carries a strong ETag and a Last-Modified (the day its bytes last changed), and
conditional requests get 304.  Anything the mirror does not hold answers 404.
"""

from __future__ import annotations

import hashlib
import json
import math
import threading
import time
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from urllib.parse import parse_qs, urlsplit

from cnca_watch.demo import pages
from cnca_watch.demo.sitedata import Column, Item, Site, load_site

HTML_UTF8 = "text/html; charset=utf-8"
HTML_NO_CHARSET = "text/html"  # the provincial server declares the charset only in the page
JSON_UTF8 = "application/json;charset=UTF-8"
_STUB_TYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "xls": "application/vnd.ms-excel",
    "wps": "application/octet-stream",
}
_UNITBUILD_JS = "/cms_files/default/script/ajax/page/unitbuild.js"
_DOWNLOAD_GATEWAY = "/api-gateway/jpaas-web-server/front/document/download"
_JOIN_TIMEOUT = 5.0
_MAX_PAGE_SIZE = 100


@dataclass(frozen=True, slots=True)
class Resource:
    body: bytes
    content_type: str


class Mirror:
    """Maps (day, path, query) to the bytes the mirror serves; no sockets here.

    ``archive=True`` also lists the older items of site/archive/ (STORY.md, "The archive"):
    the API pages back through them and static columns gain index_1.html, index_2.html, ….
    """

    def __init__(self, root: Path | None = None, *, archive: bool = False) -> None:
        self.site: Site = load_site(root)
        self.archive = archive
        self.templates = pages.Templates(root) if root else pages.default_templates()
        self._cache: dict[tuple[object, ...], Resource | None] = {}
        self._lock = threading.Lock()

    def resolve(self, day: int, path: str, query: str) -> Resource | None:
        key = self._key(path, query)
        with self._lock:
            if (day, key) in self._cache:
                return self._cache[(day, key)]
        resource = self._render(day, key)
        with self._lock:
            self._cache[(day, key)] = resource
        return resource

    def last_modified(self, day: int, path: str, query: str, body: bytes) -> str:
        """The HTTP date of the earliest day since which these bytes have not changed."""
        since = day
        earlier = [d for d in self.site.days if d < day]
        for previous in sorted(earlier, reverse=True):
            resource = self.resolve(previous, path, query)
            if resource is None or resource.body != body:
                break
            since = previous
        return self.site.day_times[since]

    @staticmethod
    def _key(path: str, query: str) -> tuple[object, ...]:
        if path != pages.API_PATH:
            return ("path", path)
        params = parse_qs(query)
        page_id = params.get("pageId", [""])[0]
        page_no, page_size = _paging(params.get("paramJson", [""])[0])
        return ("api", page_id, page_no, page_size)

    def _render(self, day: int, key: tuple[object, ...]) -> Resource | None:
        if key[0] == "api":
            _, page_id, page_no, page_size = key
            return self._api(day, str(page_id), int(page_no), int(page_size))  # type: ignore[call-overload]
        path = str(key[1])
        for column in self.site.columns:
            if path in _list_paths(column):
                return self._list_page(day, column)
            if self.archive and column.family == "static-gb18030":
                index = _static_page_index(column, path)
                if index is not None:
                    return self._static_archive_page(day, column, index)
        for column in self.site.columns:
            for item in column.items_on(day, archive=self.archive):
                if item.path == path:
                    return self._detail(column, item)
                if path in pages.attachment_paths(item) or (
                    path == _DOWNLOAD_GATEWAY and any(_DOWNLOAD_GATEWAY in a.href for a in item.attachments)
                ):
                    return _stub_file(path)
        if path == _UNITBUILD_JS:
            return Resource(b"/* jpaas unit build loader (demo stub) */\n", "application/javascript")
        return None

    def _api(self, day: int, page_id: str, page_no: int, page_size: int) -> Resource:
        column = self.site.column_by_page_id(page_id)
        if column is None:
            # The real gateway answers unknown units with success=false, not with an HTTP error.
            text = pages.api_error_payload("页面不存在")
        else:
            fragment = pages.api_fragment(column, column.items_on(day, archive=self.archive), page_no, page_size)
            text = pages.api_payload(fragment)
        return Resource(text.encode("utf-8"), JSON_UTF8)

    def _list_page(self, day: int, column: Column) -> Resource | None:
        if column.family == "static-gb18030":
            if self.archive:
                return self._static_archive_page(day, column, 0)
            html = pages.province_list(column, column.items_on(day), self.templates)
            return Resource(html.encode("gb18030"), HTML_NO_CHARSET)
        return Resource(pages.column_page(column, self.templates).encode("utf-8"), HTML_UTF8)

    def _static_archive_page(self, day: int, column: Column, index: int) -> Resource | None:
        items = column.items_on(day, archive=True)
        size = column.archive_page_size
        page_count = max(1, math.ceil(len(items) / size))
        if index >= page_count:
            return None  # a static site has no file past its last page
        pager = pages.trs_pager(len(items), index, page_count)
        html = pages.province_list(column, items[index * size : (index + 1) * size], self.templates, pager)
        return Resource(html.encode("gb18030"), HTML_NO_CHARSET)

    def _detail(self, column: Column, item: Item) -> Resource:
        if column.family == "static-gb18030":
            return Resource(pages.province_detail(column, item, self.templates).encode("gb18030"), HTML_NO_CHARSET)
        render = pages.samr_detail if column.family == "samr-jpaas" else pages.cnca_detail
        return Resource(render(column, item, self.templates).encode("utf-8"), HTML_UTF8)


def _list_paths(column: Column) -> tuple[str, ...]:
    if column.list_path.endswith("/"):
        return (column.list_path, column.list_path + "index.html")
    return (column.list_path,)


def _static_page_index(column: Column, path: str) -> int | None:
    """1, 2, … for <list dir>/index_1.html, index_2.html, …; None for any other path."""
    directory = column.list_path.rsplit("/", 1)[0] + "/"
    if not path.startswith(directory):
        return None
    name = path[len(directory) :]
    if not (name.startswith("index_") and name.endswith(".html")):
        return None
    number = name[len("index_") : -len(".html")]
    # index_01.html is not a TRS page name: only canonical numbers answer
    if not number.isdigit() or number != str(int(number)) or int(number) < 1:
        return None
    return int(number)


def _paging(param_json: str) -> tuple[int, int]:
    """Page number and size from ``paramJson``; bare pageNo/pageSize are ignored like the real API."""
    try:
        value = json.loads(param_json) if param_json else {}
        page_no = int(value.get("pageNo", 1))
        page_size = int(value.get("pageSize", pages.DEFAULT_API_PAGE_SIZE))
    except (ValueError, TypeError, AttributeError):
        return 1, pages.DEFAULT_API_PAGE_SIZE
    return max(1, page_no), min(max(1, page_size), _MAX_PAGE_SIZE)


def _stub_file(path: str) -> Resource:
    ext = path.rsplit(".", 1)[-1].lower() if "." in path.rsplit("/", 1)[-1] else "pdf"
    body = b"%PDF-1.4\n% cnca-watch demo attachment stub\n%%EOF\n" if ext == "pdf" else b"demo attachment stub\n"
    return Resource(body, _STUB_TYPES.get(ext, "application/octet-stream"))


def _strong_etag(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:24] + '"'


def _etag_matches(header: str, etag: str) -> bool:
    # If-None-Match uses the weak comparison (RFC 9110 13.1.2).
    candidates = [c.strip() for c in header.split(",")]
    return any(c == "*" or c.removeprefix("W/") == etag for c in candidates)


def _not_modified_since(header: str, last_modified: str) -> bool:
    try:
        return parsedate_to_datetime(last_modified) <= parsedate_to_datetime(header)
    except (TypeError, ValueError):
        return False


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # keep-alive clients must not hold up shutdown

    def __init__(self, address: tuple[str, int], owner: "MirrorServer") -> None:
        self.owner = owner
        super().__init__(address, _Handler)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "nginx"
    sys_version = ""
    timeout = 10  # idle keep-alive connections end on their own
    server: _Server

    def do_GET(self) -> None:  # noqa: N802 (http.server naming)
        self._serve(head=False)

    def do_HEAD(self) -> None:  # noqa: N802
        self._serve(head=True)

    def _serve(self, *, head: bool) -> None:
        owner = self.server.owner
        if owner.latency > 0:
            time.sleep(owner.latency)
        day = owner.day
        split = urlsplit(self.path)
        resource = owner.mirror.resolve(day, split.path, split.query)
        if resource is None:
            body = b"<html><head><title>404 Not Found</title></head><body><h1>404 Not Found</h1></body></html>"
            self._send(404, {"Content-Type": HTML_UTF8}, b"" if head else body, len(body))
            return
        etag = _strong_etag(resource.body)
        last_modified = owner.mirror.last_modified(day, split.path, split.query, resource.body)
        headers = {"ETag": etag, "Last-Modified": last_modified, "Content-Type": resource.content_type}
        inm = self.headers.get("If-None-Match")
        ims = self.headers.get("If-Modified-Since")
        fresh = _etag_matches(inm, etag) if inm is not None else bool(ims) and _not_modified_since(ims or "", last_modified)
        if fresh:
            del headers["Content-Type"]
            self._send(304, headers, b"", None)
            return
        self._send(200, headers, b"" if head else resource.body, len(resource.body))

    def _send(self, status: int, headers: dict[str, str], body: bytes, length: int | None) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        if length is not None:
            self.send_header("Content-Length", str(length))
        self.end_headers()
        if body:
            self.wfile.write(body)

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        status = code.value if hasattr(code, "value") else code
        self.server.owner._record(self.command or "", self.path, int(status) if str(status).isdigit() else 0)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass  # the request log lives in MirrorServer.requests


class MirrorServer:
    """The demo mirror on ``host:port`` (port 0 = any free port), serving from construction on.

    ``requests`` lists (method, path-with-query, status) in arrival order.  ``archive=True``
    serves the older items too (STORY.md, "The archive"); the default is the two-day story alone.
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        day: int = 1,
        latency: float = 0.0,
        root: Path | None = None,
        archive: bool = False,
    ) -> None:
        self.mirror = Mirror(root, archive=archive)
        self._check_day(day)
        self._day = day
        self.latency = max(0.0, float(latency))
        self._lock = threading.Lock()
        self._requests: list[tuple[str, str, int]] = []
        self._server = _Server((host, port), self)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="cnca-demo-mirror", daemon=True
        )
        self._thread.start()
        self._closed = False

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def site(self) -> Site:
        return self.mirror.site

    @property
    def day(self) -> int:
        with self._lock:
            return self._day

    def set_day(self, day: int) -> None:
        self._check_day(day)
        with self._lock:
            self._day = day

    @property
    def requests(self) -> list[tuple[str, str, int]]:
        with self._lock:
            return list(self._requests)

    def reset_requests(self) -> None:
        with self._lock:
            self._requests.clear()

    def _record(self, method: str, path: str, status: int) -> None:
        with self._lock:
            self._requests.append((method, path, status))

    def _check_day(self, day: int) -> None:
        if day not in self.mirror.site.days:
            raise ValueError(f"the demo mirror has days {list(self.mirror.site.days)}, not {day}")

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=_JOIN_TIMEOUT)

    def __enter__(self) -> "MirrorServer":
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
