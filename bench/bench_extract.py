"""Benchmark: extract_list throughput against selectolax's raw parse rate.

Run: .venv/bin/python bench/bench_extract.py [--pages N] [--repeats R]

Builds synthetic list pages in the three shapes cnca-watch meets (CNCA jpaas fragment inside
a site chrome, SAMR one-ul-per-row fragment, static table page with menus and a pager),
then times (a) LexborHTMLParser alone and (b) extract_list on the same pages.  Prints the
median pages/s of several repetitions and the ratio (target: >= 0.50).

The allocator is pinned first (see ``pin_allocator``): without that, the parse rate
flips by about 2x between runs depending on the process's malloc history, and the ratio
with it.  ``--default-allocator`` measures without pinning.
"""

from __future__ import annotations

import argparse
import ctypes
import ctypes.util
import statistics
import time

from selectolax.lexbor import LexborHTMLParser

from cnca_watch.extract import extract_list

TARGET_RATIO = 0.50


_INLINE_STYLE = "".join(
    f".m{n} .item{n}{{margin:{n}px 0;padding:0 {n}px;font:14px/1.8 'Microsoft YaHei';color:#333;}}\n"
    for n in range(60)
)
_INLINE_SCRIPT = "".join(
    f"  var cfg{n} = {{siteId: '953091537', colId: '{n:032x}', barrier: true, gray: false}};\n"
    f"  if (window.jubaConfig) {{ jubaConfig.push(cfg{n}); }} else {{ window.jubaConfig = [cfg{n}]; }}\n"
    for n in range(30)
)
_METAS = "".join(
    f'<meta name="{name}" content="{value}">'
    for name, value in (
        ("SiteName", "国家认证认可监督管理委员会"),
        ("SiteDomain", "www.cnca.gov.cn"),
        ("SiteIDCode", "bm31360001"),
        ("ColumnType", "公告"),
        ("Keywords", "认证,认可,检验检测"),
        ("Description", "国家认证认可监督管理委员会公告栏目"),
        ("Author", "国家认监委"),
    )
)


_MENU = (
    "首页",
    "机构概况",
    "政务信息",
    "新闻聚焦",
    "互联网服务",
    "互动交流",
    "专题专栏",
    "数据查询",
)
_SUBMENU = (
    "公告",
    "通知",
    "政策法规",
    "行业动态",
    "监管动态",
    "认证监管",
    "认可与检验检测",
    "国际合作",
    "强制性产品认证",
    "自愿性认证",
    "领导活动",
    "人事信息",
)
_FOOTER = ("网站地图", "联系我们", "使用帮助", "隐私声明", "网站纠错", "无障碍说明", "English")


def _chrome(inner: str, title: str) -> str:
    """Site chrome shaped like the saved CNCA pages (head scripts/styles, mega menu, footer).

    Real CNCA pages are 107-130 KB; these are about a third of that, with the same mix:
    inline style/script blocks, a two-level menu, a column tree and a long footer.
    """
    menu = "".join(
        f'<li class="nav_item"><a href="/col{n}/index.html">{_MENU[n]}</a><div class="sub"><ul>'
        + "".join(
            f'<li><a href="/col{n}/sub{m}/index.html">{_SUBMENU[(n + m) % len(_SUBMENU)]}</a></li>'
            for m in range(6)
        )
        + "</ul></div></li>"
        for n in range(8)
    )
    tree = "".join(f'<li><a href="/zwxx/c{n}/index.html">{_SUBMENU[n]}</a></li>' for n in range(10))
    footer = "".join(f'<a href="/f{n}/index.html">{_FOOTER[n]}</a> | ' for n in range(len(_FOOTER)))
    options = "".join(
        f'<option value="https://dept{n}.gov.cn">部委网站{n}</option>' for n in range(30)
    )
    scripts = "".join(
        f'<script src="/cms_files/default/script/lib{n}.js"></script>' for n in range(8)
    )
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f'{_METAS}<meta name="ColumnName" content="{title}"><title>{title}_国家认证认可监督管理委员会</title>'
        f"{scripts}<style>{_INLINE_STYLE}</style><script>{_INLINE_SCRIPT}</script></head><body>"
        '<div id="barrierfree_container"><div class="toolbar"><button>无障碍</button><button>长者模式</button></div>'
        '<div class="header"><div class="logo"><img src="/logo.png" alt="国家认证认可监督管理委员会"></div>'
        '<form class="search" action="/search/"><input name="q" placeholder="请输入关键字"><button>搜索</button></form>'
        f'<div class="top_links"><a href="/">网站首页</a> <a href="/en/">English</a></div></div>'
        f'<div class="nav"><ul class="nav_list">{menu}</ul></div>'
        '<div class="dqwz_con">当前位置：<a href="/index.html">首页</a> &gt; '
        f'<a href="/zwxx/index.html">政务信息</a> &gt; {title}</div>'
        f'<div class="list_page"><div class="list_tree"><ul>{tree}</ul></div>'
        f'<div class="list_left"><div class="list_title">{title}</div>{inner}</div></div>'
        f'<div class="footer"><div class="links">{footer}</div><select>{options}</select>'
        "<p>主办单位：国家认证认可监督管理委员会 地址：北京市海淀区马甸东路9号 邮编：100088</p>"
        "<p>京ICP备09062530号 京公网安备11010802039567号 网站标识码：bm31360001</p>"
        f"<script>{_INLINE_SCRIPT[:2000]}</script></div></div>"
        "</body></html>"
    )


def cnca_page(seed: int, rows: int = 20) -> str:
    items = "".join(
        f'<li><a href="/zwxx/gg/2024/art/2024/art_{seed:08x}{n:024x}.html" target="_blank" '
        f'title="国家认监委关于发布第{seed}批第{n}号认证规则实施要求的公告">'
        f"国家认监委关于发布第{seed}批第{n}号认证规则实施要求的公告</a>"
        f"<span>2024-{1 + n % 12:02d}-{1 + n % 28:02d}</span></li>"
        for n in range(rows)
    )
    pager = (
        '<div class="pagination" count="137">'
        + "".join(f'<a href="javascript:void(0)">{n}</a>' for n in range(1, 8))
        + "</div>"
    )
    return _chrome(f'<ul class="common_list_ul">{items}</ul>{pager}', "公告")


def samr_fragment(seed: int, rows: int = 20) -> str:
    items = "".join(
        f'<ul><li class="nav04Left02_content"><a href="/zw/zfxxgk/fdzdgknr/rzjgs/art/2024/'
        f'art_{seed:08x}{n:024x}.html" target="_blank" title="市场监管总局关于第{n}项认证\n'
        f'监督管理事项的公告">市场监管总局关于第{n}项认证\n监督管理事项的公告</a></li>'
        f'<li class="nav04Left02_contenttime">2024-{1 + n % 12:02d}-{1 + n % 28:02d}</li></ul>'
        for n in range(rows)
    )
    return f'<div class="Three_zhnlist_02">{items}</div><div class="pagination" count="58"></div>'


def static_page(seed: int, rows: int = 20) -> str:
    items = "".join(
        f'<tr class="{"odd" if n % 2 else "even"}"><td>·</td><td><a href="../gsgg/2024/{seed}/c{n}.html" '
        f'title="关于第{seed}批检验检测机构资质认定许可情况第{n}号的公示">关于第{seed}批检验检测机构资质认定...</a></td>'
        f'<td class="date">[2024年{1 + n % 12}月{1 + n % 28}日]</td></tr>'
        for n in range(rows)
    )
    pager = (
        '<div class="page">'
        + "".join(f'<a href="index_{n}.html">{n}</a>' for n in range(1, 10))
        + '<a href="index_2.html">下一页</a></div>'
    )
    return _chrome(f'<table class="list"><tbody>{items}</tbody></table>{pager}', "公示公告")


SHAPES = (
    ("CNCA column page (full page)", None, "https://www.cnca.gov.cn/zwxx/gg/index.html"),
    ("SAMR jpaas data.html fragment", None, "https://www.samr.gov.cn/zw/zfxxgk/fdzdgknr/rzjgs/"),
    ("static table page (full page)", None, "http://www.example-province.gov.cn/gsgg/index.html"),
)


def build_pages(count: int) -> list[tuple[str, str]]:
    builders = (cnca_page, samr_fragment, static_page)
    return [(builders[i % 3](i), SHAPES[i % 3][2]) for i in range(count)]


def _seconds(run, pages: list[tuple[str, str]]) -> float:
    started = time.perf_counter()
    for html, url in pages:
        run(html, url)
    return time.perf_counter() - started


def _rates(pages: list[tuple[str, str]], repeats: int) -> tuple[float, float, float]:
    """Median parse rate, median extract rate, median per-repetition ratio.

    Parse and extract runs alternate within each repetition so that both see the same
    machine load (other processes share the CPU); the ratio is taken per repetition.
    """
    parse_rates, extract_rates, ratios = [], [], []
    for _ in range(repeats):
        parse_rate = len(pages) / _seconds(_parse_only, pages)
        extract_rate = len(pages) / _seconds(extract_list, pages)
        parse_rates.append(parse_rate)
        extract_rates.append(extract_rate)
        ratios.append(extract_rate / parse_rate)
    return (
        statistics.median(parse_rates),
        statistics.median(extract_rates),
        statistics.median(ratios),
    )


def _parse_only(html: str, url: str) -> None:
    LexborHTMLParser(html)


def pin_allocator() -> str:
    """Fix glibc malloc's thresholds so that every run sees the same memory behaviour.

    glibc serves large blocks with mmap until freeing one raises its (dynamic) threshold.
    Lexbor's document blocks sit around that threshold, so depending on what the process
    freed before, each parse either maps fresh pages and takes the page faults (about half
    of the parse time on these pages) or reuses the heap.  The same code then measures
    0.30 or 0.40, and an unrelated change can flip it.  Fixed thresholds keep every block
    on the heap: the rates measure parsing and extraction, not page faults.  This is also
    the state a real ``check`` settles in, after freeing its first large response bodies.
    """
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name)
        mallopt = libc.mallopt
    except (OSError, AttributeError, TypeError):
        return "allocator: default (no glibc mallopt)"
    m_trim_threshold, m_top_pad, m_mmap_threshold = -1, -2, -3  # glibc <malloc.h>
    pinned = (
        mallopt(m_mmap_threshold, 32 << 20)
        and mallopt(m_trim_threshold, 256 << 20)
        and mallopt(m_top_pad, 64 << 20)
    )
    return "allocator: glibc pinned (no mmap per parse)" if pinned else "allocator: default"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument(
        "--default-allocator", action="store_true", help="do not pin malloc's thresholds"
    )
    args = parser.parse_args()
    allocator = "allocator: default" if args.default_allocator else pin_allocator()
    pages = build_pages(args.pages)
    found = [len(extract_list(html, url)) for html, url in pages[:3]]
    assert found == [20, 20, 20], f"sanity check: expected 20 rows per page, got {found}"
    print(f"{len(pages)} pages, median of {args.repeats} repetitions; {allocator}")
    print(f"{'shape':32} {'KiB':>6} {'parse/s':>9} {'extract/s':>10} {'ratio':>6}")
    for index, (label, _, _) in enumerate(SHAPES):
        subset = pages[index::3]
        size = sum(len(html.encode()) for html, _ in subset) / len(subset) / 1024
        raw, extracted, ratio = _rates(subset, args.repeats)
        print(f"{label:32} {size:6.1f} {raw:9.0f} {extracted:10.0f} {ratio:6.2f}")
    raw, extracted, ratio = _rates(pages, args.repeats)
    print(f"{'all pages':32} {'':6} {raw:9.0f} {extracted:10.0f} {ratio:6.2f}")
    verdict = "met" if ratio >= TARGET_RATIO else "NOT met"
    print(f"target: extract_list >= {TARGET_RATIO:.2f} x raw parse rate over all pages: {verdict}")


if __name__ == "__main__":
    main()
