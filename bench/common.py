"""Shared pieces of the benchmarks: a local CNCA-like site, its HTTP servers, and a measured runner.

The site is static list pages (20 ``li`` rows each: an article link and a ``YYYY-MM-DD`` date)
plus one detail page per row, spread round-robin over the loopback hosts 127.0.0.2–127.0.0.6
so that per-host connection limits apply as they would against several real sites.  Every
answer waits ``latency`` seconds (100 ms by default) before it is sent, like a distant
government server.  List and detail pages carry ETag and Last-Modified and answer conditional
GETs with 304.  Every request is logged so that a benchmark can count what a run cost the site.

Nothing here listens on, or talks to, anything but loopback addresses.
"""

from __future__ import annotations

import email.utils
import hashlib
import http.server
import ipaddress
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from statistics import median
from typing import Self

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
WORK = BENCH_DIR / ".work"
HOSTS = ("127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5", "127.0.0.6")
# Benchmarks run cnca-watch as users get it: a regular (not editable) ``pip install`` into a
# throwaway virtualenv, like urlwatch's.  pip compiles the .pyc files at install time; an
# editable checkout under PYTHONDONTWRITEBYTECODE=1 (set on this project's machines) would
# compile every module again on each start and charge ~50 ms to every run.
CNCA_WATCH_VENV = WORK / "cnca-watch-venv"
CNCA_WATCH = CNCA_WATCH_VENV / "bin" / "cnca-watch"
SERVER_LIFETIME = 3600.0  # seconds: a forgotten server stops by itself
_TODAY = int(time.time() // 86400)

# -- content ---------------------------------------------------------------------------------

_ISSUERS = (
    "市场监管总局",
    "国家认监委",
    "认监委",
    "市场监管总局办公厅",
    "国家认证认可监督管理委员会",
)
_PRODUCTS = (
    "电动自行车",
    "儿童玩具",
    "电线电缆",
    "家用燃气器具",
    "锂离子电池和电池组",
    "防爆电气产品",
    "汽车安全玻璃",
    "食品接触材料",
    "电动汽车供电设备",
    "低压电器",
    "信息安全产品",
    "机动车儿童乘员用约束系统",
    "消防产品",
    "建筑用安全玻璃",
    "家用电器",
    "移动电源",
    "摩托车乘员头盔",
    "电子坐便器",
)
_SCHEMES = (
    "强制性产品认证",
    "有机产品认证",
    "绿色产品认证",
    "低碳产品认证",
    "良好农业规范认证",
    "管理体系认证",
    "服务认证",
    "检验检测机构资质认定",
    "认证机构资质审批",
)
_TEMPLATES = (
    "{issuer}关于发布《{product}{scheme}实施规则》的公告",
    "{issuer}关于开展{year}年度{scheme}有效性抽查工作的通知",
    "{issuer}关于{product}纳入{scheme}目录管理的公告",
    "{issuer}关于调整{product}{scheme}实施方式的公告",
    "{issuer}关于公布{year}年{scheme}机构监督检查结果的通告",
    "{issuer}关于印发《{scheme}监督管理办法（{year}年修订）》的通知",
    "{issuer}关于征求《{product}{scheme}技术规范》意见的通知",
    "{issuer}关于撤销部分{scheme}证书的公告（{year}年第{n}号）",
    "关于{year}年第{n}批{scheme}获证机构名单的公告",
    "{issuer}关于进一步加强{product}{scheme}事中事后监管的通知",
)
_SENTENCES = (
    "为贯彻落实党中央、国务院关于深化“放管服”改革的决策部署，进一步规范{scheme}活动，现就有关事项公告如下。",
    "自本公告发布之日起，{product}的{scheme}按照新版实施规则执行，原实施规则同时废止。",
    "各认证机构应当于{year}年12月31日前完成证书转换工作，逾期未完成转换的证书予以暂停。",
    "各地市场监管部门要加强对{product}生产企业的监督检查，对无证生产、销售等违法行为依法查处。",
    "检验检测机构应当严格按照标准开展检测，确保检测数据真实、准确、可追溯。",
    "认证机构应当建立健全内部管理制度，加强对认证人员的培训和考核，不断提升认证有效性。",
    "本次抽查共涉及{n}家认证机构，发现问题的机构已按要求完成整改。",
    "联系人：认证监督管理司 电话：010-8226{n:04d}",
)


def _render(template: str, rng: random.Random) -> str:
    return template.format(
        issuer=rng.choice(_ISSUERS),
        product=rng.choice(_PRODUCTS),
        scheme=rng.choice(_SCHEMES),
        year=rng.choice((2023, 2024, 2025)),
        n=rng.randint(1, 60),
    )


@dataclass(frozen=True, slots=True)
class Item:
    """One announcement of the site: its list row and its detail page."""

    page: int
    serial: int

    @property
    def key(self) -> str:
        return hashlib.md5(f"{self.page}-{self.serial}".encode()).hexdigest()

    @property
    def path(self) -> str:
        return f"/zwxx/gg/art/2025/art_{self.key}.html"

    def _rng(self) -> random.Random:
        return random.Random(f"{self.page}/{self.serial}")

    @property
    def title(self) -> str:
        rng = self._rng()
        return _render(rng.choice(_TEMPLATES), rng)

    @property
    def date(self) -> str:
        # Higher serials are newer: serial 10000 is dated today, two serials a day before it,
        # so a 5000-item history spans about seven years.
        day = _TODAY - max(0, 10_000 - self.serial) // 2
        return time.strftime("%Y-%m-%d", time.gmtime(max(day, 0) * 86400))

    def body_paragraphs(self) -> list[str]:
        rng = self._rng()
        return [_render(rng.choice(_SENTENCES), rng) for _ in range(rng.randint(4, 9))]


_NAV = "".join(
    f'<li><a href="/col/{i}/index.html">{name}</a></li>'
    for i, name in enumerate(
        (
            "首页",
            "机构概况",
            "政务信息",
            "公告",
            "通知",
            "行业动态",
            "监管动态",
            "政策法规",
            "办事服务",
            "互动交流",
            "专题专栏",
            "认证监管",
            "认可与检验检测",
            "国际合作",
            "统计数据",
            "信息公开",
        )
    )
)
_FOOTER = (
    '<div class="footer"><p>主办单位：国家认证认可监督管理委员会 地址：北京市海淀区马甸东路9号</p>'
    '<p>网站标识码：bm31000012 京ICP备09062530号</p><p><a href="/sitemap.html">网站地图</a> '
    '<a href="/contact.html">联系我们</a></p></div>'
)


def list_html(title: str, items: Sequence[Item], page_no: int, pages: int) -> str:
    rows = "\n".join(
        f'<li><a href="{it.path}" target="_blank" title="{it.title}">{it.title}</a><span>{it.date}</span></li>'
        for it in items
    )
    return (
        '<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">'
        f"<title>{title}_国家认证认可监督管理委员会</title>"
        '<meta name="ColumnName" content="公告"></head><body>'
        f'<div class="header"><div class="logo">国家认证认可监督管理委员会</div><ul class="nav">{_NAV}</ul></div>'
        f'<div class="main"><div class="position">当前位置：<a href="/">首页</a> &gt; <a href="/zwxx/">政务信息</a> &gt; {title}</div>'
        f'<div class="list_box"><ul class="common_list_ul">\n{rows}\n</ul>'
        f'<div class="pagination" count="{len(items) * pages}"><a href="#">首页</a><a href="#">上一页</a>'
        f'<span>{page_no}/{pages}</span><a href="#">下一页</a><a href="#">尾页</a></div></div></div>'
        f"{_FOOTER}</body></html>"
    )


def detail_html(item: Item) -> str:
    paragraphs = "".join(
        f'<p style="text-indent:2em;mso-char-indent-count:2.0">{p}</p>'
        for p in item.body_paragraphs()
    )
    attachment = (
        f'<p>附件：<a href="/cms_files/filemanager/1/attach/20251/{item.key}.pdf?fileName={item.key}.pdf">'
        f"{item.title[:12]}实施细则.pdf</a></p>"
    )
    return (
        '<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">'
        f'<title>{item.title}</title><meta name="ArticleTitle" content="{item.title}">'
        f'<meta name="PubDate" content="{item.date} 09:30"><meta name="ContentSource" content="国家认监委">'
        '<meta name="ColumnName" content="公告"></head><body>'
        f'<div class="header"><ul class="nav">{_NAV}</ul></div>'
        '<div class="news_detail_page"><div class="detail_content"><div class="detail_main">'
        f'<p class="detail_tittle">{item.title}</p>'
        f'<p class="detail_xx">信息来源：<span id="source">国家认监委</span> 发布时间：{item.date}</p>'
        f'<div class="detail_messge">{paragraphs}{attachment}</div>'
        f"</div></div></div>{_FOOTER}</body></html>"
    )


# -- the site ----------------------------------------------------------------------------------


@dataclass
class ListPage:
    number: int  # 1-based
    host: str
    items: list[Item]
    modified: float = field(default_factory=time.time)

    @property
    def path(self) -> str:
        return f"/zwxx/gg/list{self.number:02d}/index.html"


@dataclass(frozen=True, slots=True)
class Hit:
    """One request as the server saw it."""

    host: str
    path: str
    kind: str  # "list", "detail" (of a listed row), "unlisted detail" (of a row that scrolled off) or "other"
    status: int
    conditional: bool  # the request carried If-None-Match or If-Modified-Since
    arrived: float = 0.0  # time.perf_counter() when the request line was read
    answered: float = 0.0  # ... and when the answer was written


class Site:
    """``pages`` list pages of ``per_page`` items, spread round-robin over ``hosts``."""

    def __init__(
        self,
        pages: int = 50,
        per_page: int = 20,
        hosts: Sequence[str] = HOSTS,
        *,
        first_serial: int = 10_000,
    ) -> None:
        self.hosts = tuple(hosts)
        self.pages = [
            ListPage(
                number=n,
                host=self.hosts[(n - 1) % len(self.hosts)],
                items=[Item(n, first_serial - i) for i in range(per_page)],
            )
            for n in range(1, pages + 1)
        ]
        self._lock = threading.Lock()
        self._by_path = {(p.host, p.path): p for p in self.pages}
        self._details: dict[tuple[str, str], Item] = {}
        for page in self.pages:
            for item in page.items:
                self._details[(page.host, item.path)] = item
        self._rotation = 0
        self.port = 0

    def list_urls(self) -> list[str]:
        return [f"http://{p.host}:{self.port}{p.path}" for p in self.pages]

    def change_pages(self, count: int = 5) -> list[int]:
        """A new announcement on ``count`` pages (the oldest row scrolls off); returns the page numbers."""
        with self._lock:
            changed = []
            for _ in range(count):
                page = self.pages[self._rotation % len(self.pages)]
                self._rotation += 1
                new = Item(page.number, page.items[0].serial + 1)
                page.items.insert(0, new)
                page.items.pop()
                self._details[(page.host, new.path)] = new
                # Last-Modified has one-second resolution: make sure it moves forward.
                page.modified = max(time.time(), page.modified + 1.0)
                changed.append(page.number)
            return changed

    def answer(self, host: str, path: str) -> tuple[str, bytes, float] | None:
        """(kind, body, last-modified) for a path on a host, or None."""
        with self._lock:
            page = self._by_path.get((host, path))
            if page is not None:
                html = list_html(
                    f"公告（第{page.number}页）", page.items, page.number, len(self.pages)
                )
                return "list", html.encode(), page.modified
            item = self._details.get((host, path))
            listed = item is not None and item in self.pages[item.page - 1].items
        if item is not None:
            # A detail page of a row that scrolled off its list: a withdrawal probe, not a read.
            kind = "detail" if listed else "unlisted detail"
            return kind, detail_html(item).encode(), 1_700_000_000.0
        return None


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as real servers do
    server: _HostServer

    def do_GET(self) -> None:
        srv = self.server
        arrived = time.perf_counter()
        time.sleep(srv.owner.latency)
        path = self.path.split("?", 1)[0]
        answer = srv.owner.site.answer(srv.host, path)
        conditional = bool(
            self.headers.get("If-None-Match") or self.headers.get("If-Modified-Since")
        )
        if answer is None:
            self._send(404, b"<html><body>404 Not Found</body></html>", {})
            srv.owner.log(
                Hit(srv.host, path, "other", 404, conditional, arrived, time.perf_counter())
            )
            return
        kind, body, modified = answer
        headers: dict[str, str] = {}
        status = 200
        if srv.owner.validators:
            etag = '"' + hashlib.sha1(body).hexdigest()[:20] + '"'
            headers = {"ETag": etag, "Last-Modified": email.utils.formatdate(modified, usegmt=True)}
            if self._not_modified(etag, modified):
                status = 304
        self._send(status, b"" if status == 304 else body, headers)
        srv.owner.log(Hit(srv.host, path, kind, status, conditional, arrived, time.perf_counter()))

    def _not_modified(self, etag: str, modified: float) -> bool:
        inm = self.headers.get("If-None-Match")
        if inm is not None:  # RFC 9110: If-None-Match wins over If-Modified-Since
            return etag in [tag.strip() for tag in inm.split(",")] or inm.strip() == "*"
        ims = self.headers.get("If-Modified-Since")
        if ims:
            try:
                since = email.utils.parsedate_to_datetime(ims).timestamp()
            except (TypeError, ValueError):
                return False
            return int(modified) <= since
        return False

    def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        if status != 304:
            self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        if body:
            self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # quiet: the Hit log is ours
        pass


class _HostServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    # socketserver's default backlog is 5: a client opening more connections at once than
    # that would see SYNs dropped and retried a second later, a stall no real server has
    request_queue_size = 128

    def __init__(self, host: str, port: int, owner: SiteServer) -> None:
        if not ipaddress.ip_address(host).is_loopback:
            raise ValueError(f"refusing to listen on non-loopback address {host}")
        self.host = host
        self.owner = owner
        super().__init__((host, port), _Handler)


class SiteServer:
    """One threaded HTTP server per host of ``site``, all on the same port.

    Use as a context manager.  A timer shuts everything down after ``lifetime`` seconds
    even if the benchmark forgets to.
    """

    def __init__(
        self,
        site: Site,
        *,
        latency: float = 0.1,
        validators: bool = True,
        lifetime: float = SERVER_LIFETIME,
        port: int = 0,
    ) -> None:
        self.site = site
        self.port = port  # 0: any port free on every host
        self.latency = latency
        self.validators = validators
        self.lifetime = lifetime
        self.hits: list[Hit] = []
        self._log_lock = threading.Lock()
        self._servers: list[_HostServer] = []
        self._threads: list[threading.Thread] = []
        self._timer: threading.Timer | None = None

    def log(self, hit: Hit) -> None:
        with self._log_lock:
            self.hits.append(hit)

    def take_hits(self) -> list[Hit]:
        """The requests since the last call, and a fresh log."""
        with self._log_lock:
            hits, self.hits = self.hits, []
        return hits

    def __enter__(self) -> Self:
        for attempt in range(20):  # find one port free on every host
            port = self.port or _free_port(self.site.hosts[0])
            try:
                self._servers = [_HostServer(h, port, self) for h in self.site.hosts]
                break
            except OSError:
                for s in self._servers:
                    s.server_close()
                self._servers = []
                if self.port:
                    raise
        else:
            raise RuntimeError("no common free port on the loopback hosts")
        self.site.port = port
        for srv in self._servers:
            t = threading.Thread(
                target=srv.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True
            )
            t.start()
            self._threads.append(t)
        self._timer = threading.Timer(self.lifetime, self.stop)
        self._timer.daemon = True
        self._timer.start()
        return self

    def stop(self) -> None:
        for srv in self._servers:
            srv.shutdown()
            srv.server_close()
        self._servers = []
        for t in self._threads:
            t.join(timeout=5)
        self._threads = []

    def __exit__(self, *exc: object) -> None:
        if self._timer:
            self._timer.cancel()
        self.stop()


def _free_port(host: str) -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def check_loopback_hosts(hosts: Iterable[str] = HOSTS) -> None:
    """Fail early, with a clear message, where 127.0.0.2–6 are not routed to lo (non-Linux)."""
    for host in hosts:
        if not ipaddress.ip_address(host).is_loopback:
            raise SystemExit(f"{host} is not a loopback address")
        try:
            with socket.socket() as s:
                s.bind((host, 0))
        except OSError as exc:
            raise SystemExit(
                f"cannot listen on {host} ({exc}); on macOS run `sudo ifconfig lo0 alias {host}` first"
            ) from None


def phases(started: float, wall: float, hits: Sequence[Hit]) -> dict[str, float]:
    """Where a run's wall time went, as the server saw it: before the first request arrived,
    between it and the last answer, and after the last answer until the process ended."""
    if not hits:
        return {
            "to first request": wall,
            "network": 0.0,
            "after last answer": 0.0,
            "max in flight": 0,
        }
    first = min(h.arrived for h in hits)
    last = max(h.answered for h in hits)
    events = sorted([(h.arrived, 1) for h in hits] + [(h.answered, -1) for h in hits])
    in_flight = peak = 0
    for _, step in events:
        in_flight += step
        peak = max(peak, in_flight)
    return {
        "to first request": first - started,
        "network": last - first,
        "after last answer": started + wall - last,
        "max in flight": peak,
    }


def summarize_hits(hits: Sequence[Hit]) -> dict[str, int]:
    return {
        "requests": len(hits),
        "list": sum(h.kind == "list" for h in hits),
        "list 200": sum(h.kind == "list" and h.status == 200 for h in hits),
        "list 304": sum(h.kind == "list" and h.status == 304 for h in hits),
        "detail": sum(h.kind == "detail" for h in hits),
        "unlisted detail": sum(h.kind == "unlisted detail" for h in hits),
        "other": sum(h.kind == "other" for h in hits),
    }


# -- running and measuring ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Measured:
    wall: float  # seconds
    started: float  # time.perf_counter() just before the child was spawned
    rss_mib: float  # the child's own peak resident set size
    returncode: int
    stdout: str
    stderr: str


def _source_stamp() -> str:
    digest = hashlib.sha256()
    for path in sorted([REPO / "pyproject.toml", *(REPO / "src").rglob("*")]):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(str(path.relative_to(REPO)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def ensure_cnca_watch() -> Path:
    """Install this checkout into ``bench/.work/cnca-watch-venv`` (again when the source changed)."""
    stamp_file = CNCA_WATCH_VENV / "installed-from.sha256"
    stamp = _source_stamp()
    if CNCA_WATCH.exists() and stamp_file.exists() and stamp_file.read_text() == stamp:
        return CNCA_WATCH
    pip = [str(CNCA_WATCH_VENV / "bin" / "pip"), "install", "-q"]
    if (CNCA_WATCH_VENV / "bin" / "pip").exists():
        # same version number as before: force the package itself to be rebuilt from the tree
        pip += ["--no-deps", "--force-reinstall"]
    else:
        subprocess.run([sys.executable, "-m", "venv", str(CNCA_WATCH_VENV)], check=True, timeout=300)
    print("installing this checkout into", CNCA_WATCH_VENV, flush=True)
    subprocess.run([*pip, str(REPO)], check=True, timeout=600)
    stamp_file.write_text(stamp)
    return CNCA_WATCH


def clean_env(home: Path) -> dict[str, str]:
    """An environment that keeps both tools away from the user's real config, cache and proxies."""
    env = {
        k: v
        for k, v in os.environ.items()
        if "proxy" not in k.lower() and not k.startswith("CNCA_WATCH")
    }
    home.mkdir(parents=True, exist_ok=True)
    env.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / ".config"),
        XDG_DATA_HOME=str(home / ".local" / "share"),
        XDG_CACHE_HOME=str(home / ".cache"),
        NO_PROXY="*",
        LANG="C.UTF-8",
        COLUMNS="100",
        PYTHONIOENCODING="utf-8",
    )
    return env


def run_measured(argv: Sequence[str], env: dict[str, str], *, timeout: float = 300.0) -> Measured:
    """Run ``argv``; wall time by perf_counter, peak RSS of that child alone via os.wait4."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(
            list(argv), stdout=out, stderr=err, stdin=subprocess.DEVNULL, env=env
        )
        killer = threading.Timer(timeout, _kill, args=(proc,))
        killer.daemon = True
        killer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            killer.cancel()
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        kib = usage.ru_maxrss if sys.platform != "darwin" else usage.ru_maxrss / 1024
        return Measured(
            wall=wall,
            started=start,
            rss_mib=kib / 1024,
            returncode=proc.returncode,
            stdout=out.read().decode("utf-8", "replace"),
            stderr=err.read().decode("utf-8", "replace"),
        )


def _kill(proc: subprocess.Popen) -> None:
    try:
        proc.kill()
    except ProcessLookupError:
        pass


def require_ok(m: Measured, what: str, ok: Iterable[int] = (0,)) -> Measured:
    if m.returncode not in tuple(ok):
        sys.stderr.write(
            f"{what} exited {m.returncode}\n--- stdout\n{m.stdout[-3000:]}\n--- stderr\n{m.stderr[-3000:]}\n"
        )
        raise SystemExit(2)
    return m


# -- cnca-watch configuration --------------------------------------------------------------------


def cnca_config(path: Path, urls: Sequence[str], *, details: bool, extra_fetch: str = "") -> Path:
    """A cnca-watch TOML config watching ``urls`` (one source per list page)."""
    lines = ["[fetch]", f"details = {'true' if details else 'false'}", extra_fetch, ""]
    for n, url in enumerate(urls, 1):
        lines += ["[[sources]]", f'name = "list-{n:02d}"', f'url = "{url}"', ""]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def cnca_check(config: Path, store: Path) -> list[str]:
    return [str(CNCA_WATCH), "check", "--config", str(config), "--store", str(store)]


# cnca-watch check: 0 ok, 5 never (no --exit-code), 1 = a source failed (a benchmark bug).
CNCA_OK = (0,)


def remove_store(store: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        p = Path(str(store) + suffix)
        if p.exists():
            p.unlink()


# -- reporting ---------------------------------------------------------------------------------


def med(values: Sequence[float]) -> float:
    return median(values) if values else float("nan")


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A Markdown table (readable in a terminal too)."""
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]

    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(str(c).ljust(w) for c, w in zip(cells, widths)) + " |"

    sep = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(header), sep, *(line(r) for r in rows)])


def fresh_dir(path: Path) -> Path:
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True)
    return path
