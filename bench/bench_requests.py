"""Benchmark 2: what a cnca-watch run costs the site, as the server saw it.

    .venv/bin/python bench/bench_requests.py [--json OUT]

The same local site as benchmark 1 (50 list pages x 20 items on 127.0.0.2-6, 100 ms per
answer), cnca-watch with its defaults (details on).  Counts the requests of:

  first run            every list page and every detail page once
  steady run           list pages only, answered 304 (conditional GET), zero detail pages
  after 5 pages changed  5 list pages 200 + 45 304, one detail page per new row, and one
                       404/410 probe per row that scrolled off the bottom
  steady, no validators  the same site without ETag/Last-Modified: list pages only, all 200

Prints the counts and whether each matches the expectation.  Exits non-zero only when the
benchmark itself cannot run (cnca-watch missing or failing), never on a count or a time.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (
    CNCA_OK,
    WORK,
    Site,
    SiteServer,
    check_loopback_hosts,
    clean_env,
    cnca_check,
    cnca_config,
    ensure_cnca_watch,
    fresh_dir,
    require_ok,
    run_measured,
    summarize_hits,
    table,
)

PAGES = 50


def expectations(changed: int) -> dict[str, dict[str, int]]:
    return {
        "first run": {"list 200": PAGES, "list 304": 0, "detail": PAGES * 20, "unlisted detail": 0},
        "steady run": {"list 200": 0, "list 304": PAGES, "detail": 0, "unlisted detail": 0},
        # One detail page per new row; each row that scrolled off is probed once for 404/410
        # (withdrawn vs merely scrolled past): the price of truthful "removed" reports.
        f"after {changed} pages changed": {
            "list 200": changed,
            "list 304": PAGES - changed,
            "detail": changed,
            "unlisted detail": changed,
        },
        "steady, server without validators": {
            "list 200": PAGES,
            "list 304": 0,
            "detail": 0,
            "unlisted detail": 0,
        },
    }


def observe(
    validators: bool, env: dict[str, str], work: Path, changed: int
) -> dict[str, dict[str, int]]:
    site = Site(pages=PAGES, per_page=20)
    seen: dict[str, dict[str, int]] = {}
    with SiteServer(site, validators=validators) as server:
        config = cnca_config(work / "config.toml", site.list_urls(), details=True)
        store = work / "store.db"
        argv = cnca_check(config, store)

        def run(label: str) -> None:
            server.take_hits()
            require_ok(run_measured(argv, env), f"cnca-watch check ({label})", CNCA_OK)
            seen[label] = summarize_hits(server.take_hits())

        if validators:
            run("first run")
            run("steady run")
            site.change_pages(changed)
            run(f"after {changed} pages changed")
        else:
            run("first run (no validators)")
            run("steady, server without validators")
    return seen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", type=Path, default=WORK / "results" / "requests.json")
    args = parser.parse_args()
    check_loopback_hosts()
    ensure_cnca_watch()
    env = clean_env(WORK / "home")
    changed = 5
    seen = observe(True, env, fresh_dir(WORK / "requests" / "with-validators"), changed)
    seen |= observe(False, env, fresh_dir(WORK / "requests" / "without-validators"), changed)
    expected = expectations(changed)
    rows = []
    for label, counts in seen.items():
        want = expected.get(label)
        verdict = "—"
        if want is not None:
            verdict = (
                "as expected"
                if all(counts[k] == v for k, v in want.items())
                else ("UNEXPECTED (want " + ", ".join(f"{k} {v}" for k, v in want.items()) + ")")
            )
        rows.append(
            [
                label,
                str(counts["requests"]),
                str(counts["list 200"]),
                str(counts["list 304"]),
                str(counts["detail"]),
                str(counts["unlisted detail"]),
                str(counts["other"]),
                verdict,
            ]
        )
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(seen, indent=2), encoding="utf-8")
    print(
        table(
            [
                "run",
                "requests",
                "list 200",
                "list 304",
                "detail pages",
                "scrolled-off probes",
                "other",
                "check",
            ],
            rows,
        )
    )


if __name__ == "__main__":
    main()
