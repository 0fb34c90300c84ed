"""Benchmark: ``backfill`` of a 2,000-item archive at the default politeness.

    .venv/bin/python bench/bench_backfill.py [--per-column 500] [--latency 0.03] [--json OUT]

Copies the demo mirror's site into bench/.work/backfill-site and writes a generated archive
there (``--per-column`` items in each of the four columns, dated back from 2024-06, invented
titles; bench only, never shipped), serves it with ``MirrorServer(root=…, archive=True,
latency=…)`` on 127.0.0.1 and runs ``cnca-watch backfill --json`` once on a fresh store with
the default ``[fetch]`` settings (2 requests in flight per host, ``backfill_pause`` 1 s).

Prints requests (as cnca-watch counted them and as the server saw them), time, and the network
floor beside it.  The answer time is measured first (a plain httpx client, one request at a
time, over list and detail pages of this server: the configured latency plus what the mirror
itself takes).  The floor is the larger of (requests x answer time / per_host) — the answers
alone, at the per-host limit — and, for the deepest column, (pages - 1) x pause + its list
pages' answers.
Exits non-zero only when the benchmark cannot run, never on a number.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = Path(__file__).resolve().parent / ".work"
CNCA_WATCH = ROOT / ".venv" / "bin" / "cnca-watch"
COLUMNS = {  # column -> (slug prefix, [defaults] of the generated toml)
    "cnca-notices": ("tz-b", {"source": "国家认监委", "signer": "国家认监委秘书处"}),
    "cnca-announcements": ("gg-b", {"source": "国家认监委", "signer": "国家认监委"}),
    "samr-certification": ("rz-b", {"source": "市场监管总局", "signer": "市场监管总局办公厅"}),
    "province-notices": ("pv-b", {"source": "认证认可监督管理处"}),
}
TOPICS = (
    ("关于开展{y}年度认证机构监督检查工作的通知", "regulation"),
    ("关于做好{y}年度检验检测机构能力验证工作的通知", "capabilities"),
    ("关于推进认证认可国际互认合作的通知", "going-global"),
    ("关于调整强制性产品认证目录的公告", "unified-management"),
    ("关于开展小微企业质量管理体系认证提升行动的通知", "serving-development"),
    ("关于开展认证结果采信推广工作的通知", "benefit"),
    ("关于做好{y}年节假日值班工作的通知", ""),
)


def _toml_str(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def write_archive(site: Path, per_column: int) -> int:
    """A generated archive of ``per_column`` items per column, newest 2024-06-01, one every 2 days."""
    total = 0
    for column, (prefix, defaults) in COLUMNS.items():
        lines = ["[defaults]"] + [f"{k} = {_toml_str(v)}" for k, v in defaults.items()] + [""]
        for n in range(per_column):
            day = date(2024, 6, 1) - timedelta(days=2 * n)
            title, area = TOPICS[n % len(TOPICS)]
            lines += [
                "[[items]]",
                f'slug = "{prefix}{n:05d}"',
                f'date = "{day.isoformat()}"',
                f"title = {_toml_str(title.format(y=day.year) + f'（第{n}号）')}",
                f"areas = [{_toml_str(area)}]" if area else "areas = []",
                f"paragraphs = [{_toml_str('为做好相关工作，现将有关事项通知如下。' * 3)}]",
                "",
            ]
        (site / "archive" / f"{column}.toml").write_text("\n".join(lines), encoding="utf-8")
        total += per_column
    return total


def measure_answer_time(base_url: str, list_urls: list[str], rounds: int = 5) -> float:
    """Mean seconds per answer, one request at a time: list pages and the detail pages they link."""
    import re

    import httpx

    times = []
    with httpx.Client(trust_env=False) as client:
        for url in list_urls:
            for _ in range(rounds):
                started = time.perf_counter()
                page = client.get(url)
                times.append(time.perf_counter() - started)
            for href in re.findall(r'href="([^"]+\.html)"', page.text)[:rounds]:
                started = time.perf_counter()
                client.get(httpx.URL(url).join(href))
                times.append(time.perf_counter() - started)
    return sum(times) / len(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-column", type=int, default=500)
    parser.add_argument("--latency", type=float, default=0.03, help="seconds per answer of the local server")
    parser.add_argument("--json", type=Path, help="also write the numbers here")
    args = parser.parse_args()
    if not CNCA_WATCH.exists():
        print(f"{CNCA_WATCH} is missing: make the venv first (README)", file=sys.stderr)
        return 2
    sys.path.insert(0, str(ROOT / "src"))
    from cnca_watch.demo import demo_sources
    from cnca_watch.demo.server import MirrorServer
    from cnca_watch.settings import FetchSettings

    site = WORK / "backfill-site"
    shutil.rmtree(site, ignore_errors=True)
    shutil.copytree(ROOT / "src" / "cnca_watch" / "demo" / "site", site)
    archived = write_archive(site, args.per_column)
    store = WORK / "backfill.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{store}{suffix}").unlink(missing_ok=True)
    defaults = FetchSettings()
    with MirrorServer(root=site, archive=True, latency=args.latency) as mirror:
        config = WORK / "backfill.toml"
        lines = ["[store]", f'path = "{store}"', ""]
        for s in demo_sources(mirror.base_url):
            lines += ["[[sources]]", f'name = "{s.name}"', f'url = "{s.url}"', f"page_size = {s.page_size}", ""]
        config.write_text("\n".join(lines), encoding="utf-8")
        env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")} | {"NO_PROXY": "127.0.0.1"}
        answer = measure_answer_time(mirror.base_url, [s.url for s in demo_sources(mirror.base_url)])
        mirror.reset_requests()
        started = time.perf_counter()
        done = subprocess.run(
            [str(CNCA_WATCH), "backfill", "--json", "--config", str(config)], capture_output=True, text=True, env=env
        )
        wall = time.perf_counter() - started
        seen = len(mirror.requests)
    if done.returncode != 0:
        print(done.stderr, file=sys.stderr)
        return 1
    summary = json.loads(done.stdout)
    totals = summary["totals"]
    answers_floor = totals["requests"] * answer / defaults.per_host
    deepest = max(s["pages"] for s in summary["sources"])
    pause_floor = (deepest - 1) * defaults.backfill_pause + deepest * answer
    floor = max(answers_floor, pause_floor)
    numbers = {
        "archived_items": archived,
        "items_recorded": totals["items"],
        "list_pages": totals["pages"],
        "detail_pages": totals["detail_pages"],
        "requests_counted": totals["requests"],
        "requests_seen_by_server": seen,
        "bytes": totals["bytes"],
        "wall_seconds": round(wall, 2),
        "backfill_seconds": summary["seconds"],
        "latency": args.latency,
        "answer_seconds_measured": round(answer, 4),
        "per_host": defaults.per_host,
        "backfill_pause": defaults.backfill_pause,
        "floor_answers_seconds": round(answers_floor, 2),
        "floor_pauses_seconds": round(pause_floor, 2),
        "network_floor_seconds": round(floor, 2),
    }
    width = max(map(len, numbers))
    for key, value in numbers.items():
        print(f"{key:<{width}}  {value}")
    print(f"{'time / floor':<{width}}  {summary['seconds'] / floor:.2f}x")
    if args.json:
        args.json.write_text(json.dumps(numbers, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
