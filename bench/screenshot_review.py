"""Render the demo archive's 2024 review as HTML and photograph it with headless Chromium.

Not a test: a picture to check by eye (docs/review-2024.png), that the inline SVG chart and its
table render in a real browser.  The review is built the way `review` will be once the backfill
is integrated: every item the archive mirror lists (jpaas API pages, TRS index_N.html pages) is
read with the product's list and detail extractors and classified, then aggregated by
publication date.  Everything runs on 127.0.0.1; Chromium opens a local file.

    .venv/bin/python bench/screenshot_review.py [--out docs/review-2024.png] [--html PATH]
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from html import escape
from pathlib import Path

import httpx

from cnca_watch.classify import classify, load_vocabulary
from cnca_watch.demo.server import MirrorServer
from cnca_watch.extract.detail import extract_detail
from cnca_watch.extract.families import find_jpaas_unit, parse_jpaas_payload
from cnca_watch.extract.lists import extract_list
from cnca_watch.render.chart_common import area_name, short_area_labels
from cnca_watch.render.common import AREA_ORDER
from cnca_watch.render.chart_svg import review_figure_html
from cnca_watch.review import Period, ReviewItem, build_review

ROOT = Path(__file__).resolve().parent.parent
JPAAS_LISTS = {"cnca-notices": "/zwxx/tz/index.html", "cnca-announcements": "/zwxx/gg/index.html",
               "samr-certification": "/zw/zfxxgk/fdzdgknr/rzjgs/"}
MAX_PAGES = 50  # bounds each column's walk
PAGE_SIZE = 10
_CREATE_PAGE = re.compile(r'createPageHTML\((\d+),\s*(\d+),\s*"index",\s*"html"\)')


def _listed(client: httpx.Client, base: str) -> list[tuple[str, object]]:
    rows: list[tuple[str, object]] = []
    for source, path in JPAAS_LISTS.items():
        unit = find_jpaas_unit(client.get(path).text, base + path)
        if unit is None:
            raise SystemExit(f"{path}: no jpaas unit on the column page")
        for page_no in range(1, MAX_PAGES + 1):
            payload = parse_jpaas_payload(client.get(unit.api_url, params=unit.page_params(page_no, PAGE_SIZE)).text)
            page = extract_list(payload.html, base + path)
            if not page:
                break
            rows += [(source, row) for row in page]
    path = "/province/gg/index.html"
    for _ in range(MAX_PAGES):
        text = client.get(path).content.decode("gb18030")
        rows += [("province-notices", row) for row in extract_list(text, base + path)]
        pager = _CREATE_PAGE.search(text)
        if pager is None or int(pager.group(2)) + 1 >= int(pager.group(1)):
            break
        path = f"/province/gg/index_{int(pager.group(2)) + 1}.html"
    return rows


def collect() -> list[ReviewItem]:
    vocabulary = load_vocabulary()
    items = []
    with MirrorServer(archive=True) as mirror, httpx.Client(base_url=mirror.base_url, timeout=10.0) as client:
        for source, row in _listed(client, mirror.base_url):
            url = row.url  # type: ignore[attr-defined]
            answer = client.get(url.removeprefix(mirror.base_url))
            encoding = "gb18030" if source == "province-notices" else "utf-8"
            detail = extract_detail(answer.content.decode(encoding), url)
            title = detail.title or row.title  # type: ignore[attr-defined]
            tags = classify(title, detail.body, vocabulary)
            items.append(ReviewItem(url, title, source, row.date or detail.date,  # type: ignore[attr-defined]
                                    tuple((t.id, t.score) for t in tags), kind="backfilled"))
    return items


def page(items: list[ReviewItem]) -> str:
    review = build_review(items, Period.year(2024), AREA_ORDER)
    labels = short_area_labels()
    tops = []
    for area in review.current.areas:
        links = "".join(f"<li>{escape(i.published or '')} {escape(i.title)}</li>" for i in area.top[:3])
        tops.append(f"<h3>{escape(area_name(area.area, labels))} ({area.count})</h3><ol>{links}</ol>")
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>cnca-watch review 2024 (demo)</title>'
        "</head><body style=\"font-family:Helvetica,Arial,'Noto Sans CJK SC',sans-serif;margin:16px;color:#222\">"
        "<h1 style=\"font-size:20px\">A year in review: 2024 (demo mirror archive)</h1>"
        + review_figure_html(review, labels)
        + "<h2 style=\"font-size:16px\">Most important items per area</h2>"
        + "".join(tops)
        + "</body></html>"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "review-2024.png")
    parser.add_argument("--html", type=Path, default=None, help="also keep the HTML here")
    args = parser.parse_args()
    browser = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if browser is None:
        print("screenshot_review: no chromium on PATH (apt-get install -y chromium)", file=sys.stderr)
        return 2
    html = page(collect())
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(args.html) if args.html else Path(tmp) / "review.html"
        source.write_text(html, encoding="utf-8")
        args.out.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            # no network beyond the local file: no updates, sync, metrics or first-run fetches
            [browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--disable-default-apps", "--no-default-browser-check", "--metrics-recording-only",
             "--window-size=1000,1400", f"--screenshot={args.out.resolve()}", source.resolve().as_uri()],
            check=True, timeout=120, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
