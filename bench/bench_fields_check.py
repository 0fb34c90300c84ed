"""What reading announcement fields (issue 11) costs a ``check``: this checkout against a
git ref without fields, on the same local site (bench/common.py), full pipeline (details on).

    .venv/bin/python bench/bench_fields_check.py [--base 4298a25] [--rounds 5] [--json OUT]

Both are installed as users get them (regular pip install into bench/.work).  Each round
runs, alternately for the two installs, a first run (fresh store: 1,000 announcements read),
a steady run (nothing changed: no field is read) and a run after 5 list pages gained a row
(5 new announcements read).  Prints medians of wall time and CPU-bound peak RSS per scenario
and the ratio this checkout / base.  Target: a steady check no more than 10 % slower.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (  # noqa: E402
    CNCA_OK,
    REPO,
    WORK,
    Site,
    SiteServer,
    check_loopback_hosts,
    clean_env,
    cnca_config,
    ensure_cnca_watch,
    fresh_dir,
    med,
    remove_store,
    require_ok,
    run_measured,
    table,
)

SCENARIOS = ("first", "steady", "changed")


def install_base(ref: str) -> Path:
    """``ref`` of this repository, exported with git archive and pip-installed (cached per commit)."""
    commit = subprocess.run(
        ["git", "-C", str(REPO), "rev-parse", ref], check=True, capture_output=True, text=True, timeout=30
    ).stdout.strip()
    venv = WORK / f"base-venv-{commit[:12]}"
    binary = venv / "bin" / "cnca-watch"
    if binary.exists():
        return binary
    source = fresh_dir(WORK / f"base-src-{commit[:12]}")
    archive = subprocess.run(["git", "-C", str(REPO), "archive", commit], check=True, capture_output=True, timeout=120)
    subprocess.run(["tar", "-x", "-C", str(source)], input=archive.stdout, check=True, timeout=120)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    print(f"installing {ref} ({commit[:12]}) into {venv}", flush=True)
    subprocess.run([str(venv / "bin" / "pip"), "install", "-q", str(source)], check=True, timeout=900)
    return binary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", default="4298a25", help="git ref without fields (default: main before issue 11)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--latency", type=float, default=0.1, help="seconds per server answer")
    parser.add_argument("--json", type=Path, default=WORK / "results" / "fields_check.json")
    args = parser.parse_args()
    check_loopback_hosts()
    installs = {"base": install_base(args.base), "fields": ensure_cnca_watch()}
    env = clean_env(WORK / "home")
    samples: dict[str, dict[str, list[float]]] = {name: {s: [] for s in SCENARIOS} for name in installs}
    rss: dict[str, dict[str, list[float]]] = {name: {s: [] for s in SCENARIOS} for name in installs}
    site = Site(pages=50, per_page=20)
    with SiteServer(site, latency=args.latency) as server:
        for round_no in range(max(1, args.rounds)):
            print(f"round {round_no + 1}/{args.rounds}", flush=True)
            work = fresh_dir(WORK / "fields-check")
            config = cnca_config(work / "config.toml", site.list_urls(), details=True)
            stores = {name: work / f"{name}.db" for name in installs}
            for store in stores.values():
                remove_store(store)
            for scenario in SCENARIOS:
                if scenario == "changed":
                    site.change_pages(5)
                for name, binary in installs.items():
                    server.take_hits()
                    argv = [str(binary), "check", "--config", str(config), "--store", str(stores[name])]
                    m = require_ok(run_measured(argv, env), f"{name} {scenario}", CNCA_OK)
                    samples[name][scenario].append(m.wall)
                    rss[name][scenario].append(m.rss_mib)
    result = {
        "base": args.base,
        "rounds": args.rounds,
        "scenarios": {
            s: {
                "base_wall": med(samples["base"][s]),
                "fields_wall": med(samples["fields"][s]),
                "ratio": med(samples["fields"][s]) / med(samples["base"][s]),
                "base_rss_mib": med(rss["base"][s]),
                "fields_rss_mib": med(rss["fields"][s]),
            }
            for s in SCENARIOS
        },
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, indent=2), encoding="utf-8")
    rows = [
        [s, f"{r['base_wall']:.3f} s", f"{r['fields_wall']:.3f} s", f"{r['ratio']:.3f}×",
         f"{r['base_rss_mib']:.1f} / {r['fields_rss_mib']:.1f} MiB"]
        for s, r in result["scenarios"].items()
    ]
    print(table(["scenario", f"base ({args.base})", "with fields", "ratio", "peak RSS base / fields"], rows))


if __name__ == "__main__":
    main()
