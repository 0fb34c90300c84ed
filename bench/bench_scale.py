"""Benchmark 3: cnca-watch on top of a store of 100,000 announcements.

    .venv/bin/python bench/bench_scale.py [--rounds 5] [--announcements 100000] [--regenerate]

1. Builds (once; cached in bench/.work/scale/) a store of 100,000 announcements over 20
   sources, 3 versions each, through the store's own API (``Store.run`` /
   ``RunWriter.record_observations`` with ``diff.diff_source``), as ~100 daily-ish runs
   would have written it over seven years: every run lists the newest 150 rows of each
   source; each announcement is new in one run and changed in the two after.  All changes
   are marked delivered, as after years of use.  The last run lists exactly the 20 rows
   that the local site (20 list pages on 127.0.0.2-6, 100 ms per answer) shows now.
2. Times ``cnca-watch check`` (details on) against that site on a copy of the big store and
   on an "empty" store (one that holds only the first check of the same site), alternately:
   steady runs (nothing changed) and runs after 5 pages changed.  Wall time (median),
   time added by the big store, peak RSS.
3. The big store's file size before and after 10 unchanged runs.
4. ``cnca-watch report --since 365d --format json`` on the big store (median wall, RSS).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sqlite3
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (
    CNCA_OK,
    CNCA_WATCH,
    WORK,
    Item,
    Site,
    SiteServer,
    check_loopback_hosts,
    clean_env,
    cnca_check,
    cnca_config,
    ensure_cnca_watch,
    fresh_dir,
    med,
    remove_store,
    require_ok,
    run_measured,
    table,
)

SOURCES = 20
WINDOW = 20  # rows per list page of the site
BATCH = 50  # announcements per source that appear for the first time in one generated run
SCALE = WORK / "scale"
AREA_POOL = 200  # distinct classifications reused while generating (classify() is ~0.5 ms a call)


# -- generating the big store ------------------------------------------------------------------


def _run_time(date: str, n: int) -> str:
    """A generated run's timestamp: the day before ``date`` (so never in the future), n minutes in."""
    day = datetime.strptime(date, "%Y-%m-%d").replace(tzinfo=UTC) - timedelta(days=1)
    return (day + timedelta(hours=8, minutes=n)).strftime("%Y-%m-%dT%H:%M:%SZ")


def _url(host: str, port: int, item: Item) -> str:
    return f"http://{host}:{port}{item.path}"


def generate(path: Path, site: Site, port: int, total: int) -> dict:
    """Write the history store at ``path`` through cnca-watch's store API; returns stats."""
    from cnca_watch.classify import classify, load_vocabulary
    from cnca_watch.diff import diff_source
    from cnca_watch.models import Announcement, Attachment, SourceResult, SourceStatus
    from cnca_watch.store import Store

    vocabulary = load_vocabulary()
    pool_items = [Item(0, 20_000 + n) for n in range(AREA_POOL)]
    area_pool = [
        classify(it.title, "\n".join(it.body_paragraphs()), vocabulary) for it in pool_items
    ]

    per_source = total // SOURCES
    newest = site.pages[0].items[0].serial
    oldest = newest - per_source + 1
    batches = [
        list(range(min(newest, start + BATCH - 1), start - 1, -1))
        for start in range(oldest, newest + 1, BATCH)
    ]  # oldest batch first; each batch newest serial first

    def version(page: int, serial: int, v: int, position: int) -> Announcement:
        item = Item(page, serial)
        host = site.pages[page - 1].host
        paragraphs = item.body_paragraphs()
        title = item.title + ("（征求意见稿）" if v == 1 else "")
        body = "\n".join(paragraphs[: max(1, len(paragraphs) * v // 3)])
        attachments = (
            (
                Attachment(
                    url=f"http://{host}:{port}/cms_files/filemanager/1/attach/20251/{item.key}.pdf"
                    f"?fileName={item.key}.pdf",
                    name=f"{item.title[:12]}实施细则.pdf",
                ),
            )
            if v == 3
            else ()
        )
        return Announcement(
            url=_url(host, port, item),
            title=title,
            date=item.date,
            body=body,
            attachments=attachments,
            areas=area_pool[serial % AREA_POOL],
            list_title=title,
            list_date=item.date,
            position=position,
        )

    remove_store(path)
    runs = 0
    started = time.perf_counter()
    with Store.open(path) as store:
        # Run b: batch b appears (v1), b-1 is corrected (v2), b-2 gets its final text (v3);
        # two trailing runs finish the newest batches, a last one shows the site's window.
        for b in range(len(batches) + 3):
            final = b == len(batches) + 2
            at = _run_time(Item(1, batches[min(b, len(batches) - 1)][0]).date, b)
            ids: list[int] = []
            with store.run(started_at=at, channels=("report",)) as run:
                for page in range(1, SOURCES + 1):
                    if final:
                        window = [(s, 3) for s in range(newest, newest - WINDOW, -1)]
                    else:
                        window = [
                            (s, v)
                            for v, k in ((1, b), (2, b - 1), (3, b - 2))
                            if 0 <= k < len(batches)
                            for s in batches[k]
                        ]
                    current = [version(page, s, v, pos) for pos, (s, v) in enumerate(window)]
                    name, url = (
                        f"list-{page:02d}",
                        f"http://{site.pages[page - 1].host}:{port}{site.pages[page - 1].path}",
                    )
                    state = run.previous(name, [a.url for a in current])
                    diff = diff_source(name, state.snapshots, current, detected_at=at)
                    run.record_source(
                        SourceResult(
                            name=name,
                            url=url,
                            status=SourceStatus.OK,
                            items_seen=len(current),
                            first_run=not state.known,
                            new=sum(c.kind == "new" for c in diff.changes),
                            changed=sum(c.kind == "changed" for c in diff.changes),
                        )
                    )
                    ids += [
                        c.id
                        for c in run.record_observations(name, url, current, diff)
                        if c.id is not None
                    ]
                run.finish(at, "ok")
            store.mark_delivered("report", ids, at)
            runs += 1
            if b % 10 == 0:
                print(
                    f"  generated run {b + 1}/{len(batches) + 3} ({time.perf_counter() - started:.0f} s)",
                    flush=True,
                )
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        counts = {
            table_: conn.execute(f"SELECT COUNT(*) FROM {table_}").fetchone()[0]
            for table_ in ("announcements", "versions", "changes", "runs", "sources")
        }
    return {
        "seconds": round(time.perf_counter() - started, 1),
        "runs": runs,
        **counts,
        "port": port,
    }


def big_store(site: Site, total: int, regenerate: bool) -> tuple[Path, dict, int]:
    """The cached base store and its stats; its URLs embed the site port it was built for."""
    base = SCALE / f"base-{total}.db"
    meta = SCALE / f"base-{total}.json"
    if base.exists() and meta.exists() and not regenerate:
        stats = json.loads(meta.read_text())
        return base, stats, int(stats["port"])
    SCALE.mkdir(parents=True, exist_ok=True)
    from common import (
        _free_port,  # a port that is free now; the store will be tied to it
    )

    port = _free_port(site.hosts[0])
    print(f"generating a {total}-announcement store (once; cached in {base}) ...", flush=True)
    stats = generate(base, site, port, total)
    meta.write_text(json.dumps(stats))
    return base, stats, port


def file_size(path: Path) -> tuple[int, int]:
    wal = Path(str(path) + "-wal")
    return path.stat().st_size, wal.stat().st_size if wal.exists() else 0


# -- measuring ----------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5, help="alternating rounds per scenario")
    parser.add_argument("--announcements", type=int, default=100_000)
    parser.add_argument("--regenerate", action="store_true", help="rebuild the cached big store")
    parser.add_argument("--json", type=Path, default=WORK / "results" / "scale.json")
    args = parser.parse_args()
    check_loopback_hosts()
    ensure_cnca_watch()
    env = clean_env(WORK / "home")
    site = Site(pages=SOURCES, per_page=WINDOW)
    base, stats, port = big_store(site, args.announcements, args.regenerate)
    print("big store:", stats, f"{base.stat().st_size / 2**20:.1f} MiB", flush=True)
    work = fresh_dir(SCALE / "run")
    result: dict = {"store": stats, "base_mib": base.stat().st_size / 2**20}
    with SiteServer(site, port=port) as server:
        config = cnca_config(work / "config.toml", site.list_urls(), details=True)
        stores = {"empty": work / "empty.db", "100k": work / "big.db"}
        shutil.copyfile(base, stores["100k"])
        for (
            label,
            store,
        ) in stores.items():  # prime: validators + (for the empty one) the site's rows
            m = require_ok(
                run_measured(cnca_check(config, store), env),
                f"prime check on {label} store",
                CNCA_OK,
            )
            result[f"prime_{label}"] = {"wall": m.wall, "rss": m.rss_mib}
        samples: dict[str, dict[str, list]] = {}

        def timed(scenario: str, label: str) -> None:
            server.take_hits()
            m = require_ok(
                run_measured(cnca_check(config, stores[label]), env),
                f"{scenario} check on {label}",
                CNCA_OK,
            )
            samples.setdefault(f"{scenario}/{label}", {"wall": [], "rss": []})
            samples[f"{scenario}/{label}"]["wall"].append(m.wall)
            samples[f"{scenario}/{label}"]["rss"].append(m.rss_mib)

        for r in range(args.rounds):
            print(f"round {r + 1}/{args.rounds}", flush=True)
            for label in stores:
                timed("steady", label)
            site.change_pages(5)
            for label in stores:
                timed("changed", label)

        before = file_size(stores["100k"])
        for _ in range(10):
            require_ok(
                run_measured(cnca_check(config, stores["100k"]), env), "unchanged run", CNCA_OK
            )
        after = file_size(stores["100k"])
        result["size"] = {"before": before, "after": after}

        report = {"wall": [], "rss": [], "bytes": 0}
        for _ in range(args.rounds):
            m = require_ok(
                run_measured(
                    [
                        str(CNCA_WATCH),
                        "report",
                        "--config",
                        str(config),
                        "--store",
                        str(stores["100k"]),
                        "--since",
                        "365d",
                        "--format",
                        "json",
                    ],
                    env,
                ),
                "report --since 365d",
                (0,),
            )
            report["wall"].append(m.wall)
            report["rss"].append(m.rss_mib)
            report["bytes"] = len(m.stdout.encode())
        result["report"] = report
    result["samples"] = samples
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, indent=2), encoding="utf-8")
    print()
    print(render(result))


def render(result: dict) -> str:
    s = result["samples"]
    rows = []
    for scenario in ("steady", "changed"):
        empty, big = s[f"{scenario}/empty"], s[f"{scenario}/100k"]
        added = med(big["wall"]) - med(empty["wall"])
        rows.append(
            [
                f"check, {'nothing changed' if scenario == 'steady' else '5 pages changed'}",
                f"{med(empty['wall']):.3f}",
                f"{med(big['wall']):.3f}",
                f"{added:+.3f} ({'pass' if added <= 1.0 else 'MISS'}, ≤ 1 s)",
                f"{med(empty['rss']):.1f}",
                f"{med(big['rss']):.1f} ({'pass' if med(big['rss']) <= 150 else 'MISS'}, ≤ 150)",
            ]
        )
    (db0, wal0), (db1, wal1) = result["size"]["before"], result["size"]["after"]
    grow = (db1 + wal1) - (db0 + wal0)
    rep = result["report"]
    st = result["store"]
    lines = [
        table(
            [
                "scenario",
                "empty store s",
                "100k store s",
                "added s (target)",
                "empty MiB",
                "100k MiB (target)",
            ],
            rows,
        ),
        "",
        (
            f"Store: {st.get('announcements')} announcements, {st.get('versions')} versions, "
            f"{st.get('changes')} changes, {st.get('runs')} runs; "
            f"{result['base_mib']:.1f} MiB (generated in {st.get('seconds')} s)."
        ),
        (
            f"Store file before 10 unchanged runs: {db0 / 2**20:.2f} MiB + WAL {wal0 / 2**20:.2f} MiB;"
            f" after: {db1 / 2**20:.2f} MiB + WAL {wal1 / 2**20:.2f} MiB"
            f" (growth {grow / 2**10:+.0f} KiB, {grow / max(1, db0) * 100:+.2f} %)."
        ),
        (
            f"`report --since 365d --format json` on the 100k store: {med(rep['wall']):.3f} s median,"
            f" peak RSS {med(rep['rss']):.1f} MiB, {rep['bytes'] / 2**20:.1f} MiB of JSON."
        ),
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
