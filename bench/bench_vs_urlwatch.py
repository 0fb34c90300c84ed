"""Benchmark 1: cnca-watch side by side with urlwatch on the same 50 local list pages.

    .venv/bin/python bench/bench_vs_urlwatch.py [--pairs 5] [--full-runs 3] [--json OUT]

Builds the local site (bench/common.py: 50 list pages x 20 items, 100 ms per answer, five
loopback hosts 127.0.0.2-6), installs urlwatch into bench/.work/urlwatch-venv if it is not
there (never a project dependency), configures both tools on the same pages, then runs them
alternately, A B A B ..., for each scenario:

  first    fresh store / cache
  steady   nothing changed since the previous run
  changed  5 list pages gained a new row since the previous run
  help     ``--help``;  version  ``--version``

For the comparison cnca-watch reads list pages only (``[fetch] details = false``), as urlwatch
does.  Afterwards cnca-watch's full pipeline (details on) is measured on its own, with the
requests the server saw.  Wall time: perf_counter around the child; peak RSS: the child's own
ru_maxrss from os.wait4.  Prints medians and the cnca-watch/urlwatch ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (
    CNCA_OK,
    CNCA_WATCH,
    WORK,
    Measured,
    Site,
    SiteServer,
    check_loopback_hosts,
    clean_env,
    cnca_check,
    cnca_config,
    ensure_cnca_watch,
    fresh_dir,
    med,
    phases,
    remove_store,
    require_ok,
    run_measured,
    summarize_hits,
    table,
)

URLWATCH_VENV = WORK / "urlwatch-venv"
URLWATCH = URLWATCH_VENV / "bin" / "urlwatch"
SCENARIOS = ("first", "steady", "changed", "help", "version")
TARGETS = {  # cnca-watch / urlwatch, from issue 6
    "first": ("wall", 0.6),
    "steady": ("wall", 0.4),
    "help": ("wall", 0.5),
    "version": ("wall", 0.5),
}


def ensure_urlwatch() -> None:
    if URLWATCH.exists():
        return
    print("installing urlwatch into", URLWATCH_VENV, flush=True)
    subprocess.run([sys.executable, "-m", "venv", str(URLWATCH_VENV)], check=True, timeout=300)
    subprocess.run(
        [str(URLWATCH_VENV / "bin" / "pip"), "install", "-q", "urlwatch"], check=True, timeout=600
    )


@dataclass
class Tool:
    name: str
    work: Path
    samples: dict[str, list[Measured]] = field(default_factory=dict)
    hits: dict[str, list[dict[str, int]]] = field(default_factory=dict)
    phases: dict[str, list[dict[str, float]]] = field(default_factory=dict)

    def reset(self) -> None:
        raise NotImplementedError

    def run_argv(self) -> list[str]:
        raise NotImplementedError

    def help_argv(self) -> list[str]:
        raise NotImplementedError

    def version_argv(self) -> list[str]:
        raise NotImplementedError


class CncaWatch(Tool):
    def __init__(
        self,
        work: Path,
        urls: list[str],
        *,
        details: bool,
        extra_fetch: str = "",
        name: str = "cnca-watch",
    ) -> None:
        super().__init__(name, work)
        self.config = cnca_config(
            work / "config.toml", urls, details=details, extra_fetch=extra_fetch
        )
        self.store = work / "store.db"

    def reset(self) -> None:
        remove_store(self.store)

    def run_argv(self) -> list[str]:
        return cnca_check(self.config, self.store)

    def help_argv(self) -> list[str]:
        return [str(CNCA_WATCH), "--help"]

    def version_argv(self) -> list[str]:
        return [str(CNCA_WATCH), "--version"]


class Urlwatch(Tool):
    def __init__(self, work: Path, urls: list[str]) -> None:
        super().__init__("urlwatch", work)
        self.urls = work / "urls.yaml"
        self.urls.write_text(
            "\n---\n".join(f'name: "list {n:02d}"\nurl: "{url}"' for n, url in enumerate(urls, 1))
            + "\n",
            encoding="utf-8",
        )
        # Its defaults, minus terminal colour (the output goes to a file).
        self.config = work / "config.yaml"
        self.config.write_text(
            "report:\n  stdout:\n    enabled: true\n    color: false\n", encoding="utf-8"
        )
        self.cache = work / "cache.db"

    def reset(self) -> None:
        remove_store(self.cache)

    def _files(self) -> list[str]:
        return [
            "--urls",
            str(self.urls),
            "--config",
            str(self.config),
            "--hooks",
            str(self.work / "hooks.py"),
            "--cache",
            str(self.cache),
        ]

    def run_argv(self) -> list[str]:
        return [str(URLWATCH), *self._files()]

    def help_argv(self) -> list[str]:
        return [str(URLWATCH), *self._files(), "--help"]

    def version_argv(self) -> list[str]:
        return [str(URLWATCH), "--version"]


def measure(
    tool: Tool, scenario: str, argv: list[str], env: dict[str, str], server: SiteServer
) -> Measured:
    server.take_hits()
    m = run_measured(argv, env)
    raw = server.take_hits()
    require_ok(
        m, f"{tool.name} {scenario}", CNCA_OK if tool.name.startswith("cnca-watch") else (0,)
    )
    tool.samples.setdefault(scenario, []).append(m)
    tool.hits.setdefault(scenario, []).append(summarize_hits(raw))
    tool.phases.setdefault(scenario, []).append(phases(m.started, m.wall, raw))
    return m


def compare(
    pairs: int, site: Site, server: SiteServer, env: dict[str, str], variant: str
) -> tuple[CncaWatch, Urlwatch, CncaWatch | None]:
    urls = site.list_urls()
    cnca = CncaWatch(fresh_dir(WORK / "vs" / "cnca-watch"), urls, details=False)
    uw = Urlwatch(fresh_dir(WORK / "vs" / "urlwatch"), urls)
    tools: list[Tool] = [cnca, uw]
    what_if = None
    if variant:  # a third contender: cnca-watch with one [fetch] setting changed
        what_if = CncaWatch(
            fresh_dir(WORK / "vs" / "cnca-watch-variant"),
            urls,
            details=False,
            extra_fetch=variant,
            name=f"cnca-watch [{variant}]",
        )
        tools.append(what_if)
    # Warm the OS page cache and bytecode caches for both, untimed.
    for tool in tools:
        run_measured(tool.help_argv(), env)
        tool.reset()
        require_ok(run_measured(tool.run_argv(), env), f"{tool.name} warm-up")
    server.take_hits()
    for pair in range(pairs):
        print(f"pair {pair + 1}/{pairs}", flush=True)
        for tool in tools:
            tool.reset()
            measure(tool, "first", tool.run_argv(), env, server)
        for tool in tools:
            measure(tool, "steady", tool.run_argv(), env, server)
        site.change_pages(5)
        for tool in tools:
            measure(tool, "changed", tool.run_argv(), env, server)
        for tool in tools:
            measure(tool, "help", tool.help_argv(), env, server)
        for tool in tools:
            measure(tool, "version", tool.version_argv(), env, server)
    return cnca, uw, what_if


def full_pipeline(runs: int, site: Site, server: SiteServer, env: dict[str, str]) -> CncaWatch:
    cnca = CncaWatch(fresh_dir(WORK / "vs" / "cnca-watch-full"), site.list_urls(), details=True)
    for n in range(runs):
        print(f"full pipeline {n + 1}/{runs}", flush=True)
        cnca.reset()
        measure(cnca, "first", cnca.run_argv(), env, server)
        measure(cnca, "steady", cnca.run_argv(), env, server)
        site.change_pages(5)
        measure(cnca, "changed", cnca.run_argv(), env, server)
    return cnca


def _verdict(ratio: float, limit: float) -> str:
    return f"≤ {limit:g}× — {'pass' if ratio <= limit else 'MISS'}"


def _median_phases(samples: list[dict[str, float]]) -> dict[str, float]:
    return {k: med([p[k] for p in samples]) for k in samples[0]}


def summary(
    cnca: CncaWatch, uw: Urlwatch, full: CncaWatch | None, what_if: CncaWatch | None
) -> dict:
    out: dict = {"comparison": {}, "full": {}, "variant": {}}
    for scenario in SCENARIOS:
        a, b = cnca.samples[scenario], uw.samples[scenario]
        out["comparison"][scenario] = {
            "cnca_wall": med([m.wall for m in a]),
            "urlwatch_wall": med([m.wall for m in b]),
            "cnca_rss": med([m.rss_mib for m in a]),
            "urlwatch_rss": med([m.rss_mib for m in b]),
            "cnca_requests": cnca.hits[scenario][-1],
            "urlwatch_requests": uw.hits[scenario][-1],
            "cnca_phases": _median_phases(cnca.phases[scenario]),
            "urlwatch_phases": _median_phases(uw.phases[scenario]),
            "n": len(a),
        }
        if what_if is not None:
            c = what_if.samples[scenario]
            out["variant"][scenario] = {
                "name": what_if.name,
                "wall": med([m.wall for m in c]),
                "rss": med([m.rss_mib for m in c]),
                "phases": _median_phases(what_if.phases[scenario]),
            }
    if full is not None:
        for scenario in ("first", "steady", "changed"):
            s = full.samples[scenario]
            out["full"][scenario] = {
                "wall": med([m.wall for m in s]),
                "rss": med([m.rss_mib for m in s]),
                "requests": full.hits[scenario][-1],
                "phases": _median_phases(full.phases[scenario]),
                "n": len(s),
            }
    return out


def _phase_cells(p: dict[str, float]) -> str:
    return f"{p['to first request']:.3f} / {p['network']:.3f} / {p['after last answer']:.3f} ({int(p['max in flight'])})"


STARTUP_TARGET = 0.10  # issue 15: spawn to the first request of a steady run, seconds


def _startup_line(result: dict) -> str:
    steady = result["comparison"]["steady"]
    ours = steady["cnca_phases"]["to first request"]
    theirs = steady["urlwatch_phases"]["to first request"]
    verdict = "pass" if ours <= STARTUP_TARGET else "MISS"
    return (
        f"Start-up to the first request, steady run: cnca-watch {ours:.3f} s, urlwatch {theirs:.3f} s "
        f"(target ≤ {STARTUP_TARGET:.2f} s — {verdict}; load average {os.getloadavg()[0]:.1f})"
    )


def render(result: dict) -> str:
    rows = []
    for scenario, r in result["comparison"].items():
        wall_ratio = r["cnca_wall"] / r["urlwatch_wall"]
        rss_ratio = r["cnca_rss"] / r["urlwatch_rss"]
        target = TARGETS.get(scenario)
        rows.append(
            [
                scenario,
                f"{r['cnca_wall']:.3f}",
                f"{r['urlwatch_wall']:.3f}",
                f"{wall_ratio:.2f}",
                _verdict(wall_ratio, target[1]) if target else "—",
                f"{r['cnca_rss']:.1f}",
                f"{r['urlwatch_rss']:.1f}",
                f"{rss_ratio:.2f}",
                _verdict(rss_ratio, 1.0) if scenario in ("first", "steady", "changed") else "—",
            ]
        )
    lines = [
        (
            f"Medians of {result['pairs']} A/B pairs, {result['latency'] * 1000:.0f} ms per answer,"
            " 50 list pages on 5 loopback hosts."
        ),
        "",
        table(
            [
                "scenario",
                "cnca-watch s",
                "urlwatch s",
                "ratio",
                "target (wall)",
                "cnca-watch MiB",
                "urlwatch MiB",
                "ratio",
                "target (RSS)",
            ],
            rows,
        ),
        "",
        (
            "Where the wall time went (median s: before the first request / first request to"
            " last answer / after the last answer (most requests in flight)):"
        ),
        "",
        table(
            ["scenario", "cnca-watch", "urlwatch"],
            [
                [s, _phase_cells(r["cnca_phases"]), _phase_cells(r["urlwatch_phases"])]
                for s, r in result["comparison"].items()
                if s in ("first", "steady", "changed")
            ],
        ),
        "",
        _startup_line(result),
        "",
        "Requests the server saw (last pair): "
        + "; ".join(
            f"{s}: cnca-watch {r['cnca_requests']['list 200']}×200 + {r['cnca_requests']['list 304']}×304, "
            f"urlwatch {r['urlwatch_requests']['list 200']}×200 + {r['urlwatch_requests']['list 304']}×304"
            for s, r in result["comparison"].items()
            if s in ("first", "steady", "changed")
        ),
    ]
    if result["variant"]:
        name = next(iter(result["variant"].values()))["name"]
        lines += [
            "",
            f"What-if, measured in the same alternation: {name}",
            "",
            table(
                ["scenario", "wall s", "ratio to urlwatch", "peak RSS MiB", "phases"],
                [
                    [
                        s,
                        f"{v['wall']:.3f}",
                        f"{v['wall'] / result['comparison'][s]['urlwatch_wall']:.2f}",
                        f"{v['rss']:.1f}",
                        _phase_cells(v["phases"]),
                    ]
                    for s, v in result["variant"].items()
                    if s in ("first", "steady", "changed")
                ],
            ),
        ]
    if result["full"]:
        full_rows = [
            [
                s,
                f"{r['wall']:.3f}",
                f"{r['rss']:.1f}",
                str(r["requests"]["requests"]),
                f"{r['requests']['list 200']} / {r['requests']['list 304']}",
                str(r["requests"]["detail"]),
                str(r["requests"]["unlisted detail"]),
                _phase_cells(r["phases"]),
            ]
            for s, r in result["full"].items()
        ]
        lines += [
            "",
            "cnca-watch full pipeline (details on):",
            "",
            table(
                [
                    "scenario",
                    "wall s",
                    "peak RSS MiB",
                    "requests",
                    "list 200 / 304",
                    "detail pages",
                    "scrolled-off probes",
                    "phases",
                ],
                full_rows,
            ),
        ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pairs", type=int, default=5, help="A B pairs per scenario (default 5)")
    parser.add_argument("--full-runs", type=int, default=3, help="full-pipeline rounds (0 to skip)")
    parser.add_argument("--latency", type=float, default=0.1, help="seconds per server answer")
    parser.add_argument(
        "--variant",
        default="",
        help="also run cnca-watch with this extra [fetch] line, e.g. 'max_connections = 10'",
    )
    parser.add_argument("--json", type=Path, default=WORK / "results" / "vs_urlwatch.json")
    args = parser.parse_args()
    check_loopback_hosts()
    ensure_cnca_watch()
    ensure_urlwatch()
    env = clean_env(WORK / "home")
    site = Site(pages=50, per_page=20)
    with SiteServer(site, latency=args.latency) as server:
        cnca, uw, what_if = compare(max(1, args.pairs), site, server, env, args.variant)
        full = full_pipeline(args.full_runs, site, server, env) if args.full_runs > 0 else None
    result = summary(cnca, uw, full, what_if)
    result["pairs"] = args.pairs
    result["latency"] = args.latency
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, indent=2), encoding="utf-8")
    print()
    print(render(result))


if __name__ == "__main__":
    main()
