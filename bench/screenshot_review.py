"""Render the demo archive's 2024 review as HTML and photograph it with headless Chromium.

Not a test: a picture to check by eye (docs/review-2024.png), that the inline SVG chart and its
table render in a real browser.  The product end to end: `backfill --since 2023-01-01` of the
archive mirror (MirrorServer(archive=True) on 127.0.0.1) into a temporary store, then the page
`review --year 2024 --format html` prints; Chromium opens it as a local file.

    .venv/bin/python bench/screenshot_review.py [--out docs/review-2024.png] [--html PATH]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from cnca_watch.backfill import backfill
from cnca_watch.demo import demo_sources
from cnca_watch.demo.server import MirrorServer
from cnca_watch.operations import build_store_review
from cnca_watch.render.review import review_html
from cnca_watch.settings import Config, FetchSettings

ROOT = Path(__file__).resolve().parent.parent


def product_html(tmp: Path) -> str:
    """What `review --year 2024 --format html` prints after backfilling the demo archive."""
    with MirrorServer(day=1, archive=True) as mirror:
        config = Config(
            sources=demo_sources(mirror.base_url), store_path=tmp / "review.db",
            fetch=FetchSettings(retries=0, backfill_pause=0.0),
        )
        backfill(config, since="2023-01-01")
    return review_html(build_store_review(config, year=2024))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "review-2024.png")
    parser.add_argument("--html", type=Path, default=None, help="also keep the HTML here")
    args = parser.parse_args()
    browser = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if browser is None:
        print("screenshot_review: no chromium on PATH (apt-get install -y chromium)", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        html = product_html(Path(tmp))
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
