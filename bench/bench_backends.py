"""Benchmark 5: a team's scale — 300 sources on 30 loopback hosts, SQLite and PostgreSQL.

    .venv/bin/python bench/bench_backends.py [--sources 300] [--hosts 30] [--steady 3] [--backends sqlite,postgresql]
    .venv/bin/python bench/bench_backends.py --bad-hosts [--steady 3]

300 list pages of 20 rows (details on: each row's detail page is read on the first run),
one source per page, spread over 30 loopback hosts (127.0.1.1 …) whose answers wait 100 to
300 ms (each host its own latency, fixed, from a seeded draw); politeness limits are the
defaults.  For each backend — a SQLite file, and a PostgreSQL database on a real server on
127.0.0.1 (the ``pgserver`` wheel's binaries, as in the tests) — it times one first run
and ``--steady`` unchanged runs of this checkout's ``cnca-watch check``, wall time and the
child's peak RSS, and prints the network floor: list requests ÷ allowed concurrency ×
mean latency (the steady run can not be faster than that plus start-up).

Attachment capture is off (``--attachments`` keeps it on): every row here is under 30 days
old, so a steady run would also revalidate all 6,000 attachment links.

``--bad-hosts`` (SQLite): the steady run with every host healthy, then with two hosts slow
(2 s an answer), one refusing connections and one accepting and never answering (read and
connect timeouts 5 s): each host's last answer, so that what the bad hosts cost the good
ones shows per host.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(REPO / "tests"))

from common import (  # noqa: E402
    WORK,
    Site,
    SiteServer,
    check_loopback_hosts,
    clean_env,
    cnca_config,
    med,
    phases,
    require_ok,
    run_measured,
    table,
)

CNCA_WATCH = REPO / ".venv" / "bin" / "cnca-watch"  # this checkout, with the [postgres] extra


class _HostLatency:
    """The SiteServer as one host's handler sees it, with that host's own latency."""

    def __init__(self, owner: SiteServer, latency: float) -> None:
        self._owner = owner
        self.latency = latency

    def __getattr__(self, name: str) -> Any:
        return getattr(self._owner, name)


def _finish_by_host(started: float, hits: list[Any]) -> dict[str, float]:
    """Seconds from spawn to the last list answer of each host (the host's last source done)."""
    done: dict[str, float] = {}
    for hit in hits:
        if hit.kind == "list":
            done[hit.host] = max(done.get(hit.host, 0.0), hit.answered - started)
    return done


def _steady_runs(command: list[str], env: dict[str, str], web: SiteServer, runs: int, ok: tuple[int, ...] = (0,)) -> dict[str, Any]:
    """``runs`` unchanged runs: wall, peak RSS, phases and each host's finish time (medians)."""
    walls, rss, phase_runs, finishes = [], [], [], []
    web.take_hits()
    for _ in range(runs):
        m = require_ok(run_measured(command, env, timeout=900), "steady run", ok=ok)
        hits = web.take_hits()
        walls.append(m.wall)
        rss.append(m.rss_mib)
        phase_runs.append(phases(m.started, m.wall, hits))
        finishes.append(_finish_by_host(m.started, hits))
    hosts = sorted({h for f in finishes for h in f})
    return {
        "wall": med(walls),
        "walls": walls,
        "rss_mib": max(rss),
        "requests": len(hits),
        "phases": {k: med([p[k] for p in phase_runs]) for k in phase_runs[0]},
        "finish_by_host": {h: med([f[h] for f in finishes if h in f]) for h in hosts},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sources", type=int, default=300)
    parser.add_argument("--hosts", type=int, default=30)
    parser.add_argument("--steady", type=int, default=3, help="unchanged runs per backend")
    parser.add_argument("--backends", default="sqlite,postgresql", help="comma-separated: sqlite, postgresql")
    parser.add_argument(
        "--bad-hosts", action="store_true",
        help="SQLite only: steady runs with every host healthy, then with 2 slow hosts (2 s an answer), "
        "1 refusing connections and 1 accepting and never answering; prints each host's finish time",
    )
    parser.add_argument(
        "--attachments", action="store_true",
        help="keep attachment capture on: every run then also revalidates the files of the last 30 "
        "days' announcements (here: all 6,000 links, which this site answers 404)",
    )
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()

    hosts = [f"127.0.1.{n}" for n in range(1, args.hosts + 1)]
    check_loopback_hosts(hosts)
    rng = random.Random(15)
    latencies = {h: rng.uniform(0.1, 0.3) for h in hosts}
    site = Site(pages=args.sources, per_page=20, hosts=hosts)
    print(f"load average before: {os.getloadavg()[0]:.2f}", flush=True)
    if args.bad_hosts:
        results = _bad_hosts(args, site, hosts, latencies)
        out = args.json or WORK / "results" / "backends-bad-hosts.json"
    else:
        results = _backends(args, site, latencies)
        out = args.json or WORK / "results" / "backends.json"
    results["load_average_after"] = os.getloadavg()[0]
    print(f"load average after: {results['load_average_after']:.2f}")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2))


def _serve(site: Site, latencies: dict[str, float]) -> SiteServer:
    web = SiteServer(site, latency=0.2, lifetime=3600)
    web.__enter__()
    for srv in web._servers:  # each host answers at its own pace
        srv.owner = _HostLatency(web, latencies[srv.host])  # type: ignore[assignment]
    return web


def _attachments(args: argparse.Namespace) -> str:
    """The [fetch] line for attachments: off unless asked for, so that a steady run is the
    list pages alone, the run issue 15's floor counts (the site's rows are all under 30 days
    old, so with capture on every run revalidates every row's file as well)."""
    return "" if args.attachments else "attachments = false"


def _floor(args: argparse.Namespace, latencies: dict[str, float], requests: int) -> tuple[float, int, float]:
    from cnca_watch.settings import FetchSettings

    fetch = FetchSettings()
    concurrency = min(fetch.max_connections, fetch.per_host * len(latencies))
    mean_latency = sum(latencies.values()) / len(latencies)
    return requests / concurrency * mean_latency, concurrency, mean_latency


def _backends(args: argparse.Namespace, site: Site, latencies: dict[str, float]) -> dict[str, Any]:
    results: dict[str, Any] = {"sources": args.sources, "hosts": args.hosts}
    wanted = args.backends.split(",")
    server = None
    if "postgresql" in wanted:
        from pg_server import PostgresServer

        server = PostgresServer().start()
    web = _serve(site, latencies)
    rows = []
    try:
        with tempfile.TemporaryDirectory(prefix="cnca-bench-") as tmp:
            work = Path(tmp)
            config = cnca_config(work / "config.toml", site.list_urls(), details=True, extra_fetch=_attachments(args))
            env = clean_env(work / "home")
            stores = {"sqlite": str(work / "s.db")}
            if server is not None:
                stores["postgresql"] = server.create_database("bench")
            for backend in wanted:
                store = stores[backend]
                command = [str(CNCA_WATCH), "check", "--quiet", "--config", str(config), "--store", store]
                web.take_hits()
                first = require_ok(run_measured(command, env, timeout=900), f"{backend} first run", ok=(0,))
                hits_first = web.take_hits()
                steady = _steady_runs(command, env, web, args.steady)
                results[backend] = {
                    "first_wall": first.wall,
                    "first_requests": len(hits_first),
                    "first_rss_mib": first.rss_mib,
                    "steady_wall": steady["wall"],
                    "steady_walls": steady["walls"],
                    "steady_requests": steady["requests"],
                    "steady_rss_mib": steady["rss_mib"],
                    "steady_phases": steady["phases"],
                }
                p = steady["phases"]
                rows.append(
                    [
                        backend,
                        f"{first.wall:.2f}",
                        str(len(hits_first)),
                        f"{steady['wall']:.2f}",
                        f"{steady['requests']}",
                        f"{p['to first request']:.3f} / {p['network']:.2f} / {p['after last answer']:.3f}",
                        f"{max(first.rss_mib, steady['rss_mib']):.0f}",
                    ]
                )
    finally:
        web.__exit__(None, None, None)
        if server is not None:
            server.stop()
    floor, concurrency, mean_latency = _floor(args, latencies, args.sources)
    results["network_floor_s"] = floor
    print(
        table(
            ["backend", "first s", "requests", "steady s (median)", "requests",
             "steady: to first request / network / after (s)", "peak RSS MiB"],
            rows,
        )
    )
    print(
        f"network floor of a steady run: {args.sources} requests / {concurrency} in flight x "
        f"{mean_latency * 1000:.0f} ms = {floor:.2f} s (plus start-up)"
    )
    for backend in wanted:
        r = results[backend]
        ratio = r["steady_wall"] / (floor + r["steady_phases"]["to first request"])
        r["steady_over_floor_plus_startup"] = ratio
        print(f"{backend}: steady / (floor + its start-up) = {ratio:.2f}x")
    if "postgresql" in results and "sqlite" in results:
        ratio = results["postgresql"]["steady_wall"] / results["sqlite"]["steady_wall"]
        results["steady_postgresql_over_sqlite"] = ratio
        print(f"PostgreSQL / SQLite steady: {ratio:.2f}x")
    return results


def _bad_hosts(
    args: argparse.Namespace, site: Site, hosts: list[str], latencies: dict[str, float]
) -> dict[str, Any]:
    """The same steady run with all hosts healthy, then with four bad ones."""
    slow, refused, hanging = hosts[-4:-2], hosts[-2], hosts[-1]
    timeouts = "connect_timeout = 5\nread_timeout = 5\n" + _attachments(args)  # politeness unchanged
    web = _serve(site, latencies)
    results: dict[str, Any] = {
        "sources": args.sources, "hosts": args.hosts, "slow": slow, "refused": refused, "hanging": hanging,
        "fetch": timeouts,
    }
    try:
        with tempfile.TemporaryDirectory(prefix="cnca-bench-") as tmp:
            work = Path(tmp)
            config = cnca_config(work / "config.toml", site.list_urls(), details=True, extra_fetch=timeouts)
            env = clean_env(work / "home")
            command = [str(CNCA_WATCH), "check", "--quiet", "--config", str(config), "--store", str(work / "s.db")]
            require_ok(run_measured(command, env, timeout=900), "first run")
            healthy = _steady_runs(command, env, web, args.steady)
            for srv in web._servers:
                if srv.host in slow:
                    srv.owner = _HostLatency(web, 2.0)  # type: ignore[assignment]
                elif srv.host == hanging:
                    srv.owner = _HostLatency(web, 3600.0)  # type: ignore[assignment]  # accepts, never answers
            for srv in [s for s in web._servers if s.host == refused]:
                srv.shutdown()
                srv.server_close()  # nothing listens: connection refused
            bad = _steady_runs(command, env, web, args.steady, ok=(1,))
    finally:
        web.__exit__(None, None, None)
    results["healthy"], results["bad"] = healthy, bad
    good = [h for h in hosts if h not in (*slow, refused, hanging)]
    rows = []
    for host in hosts:
        before = healthy["finish_by_host"].get(host)
        after = bad["finish_by_host"].get(host)
        role = "slow (2 s)" if host in slow else "refuses" if host == refused else "hangs" if host == hanging else ""
        rows.append(
            [host, role, f"{latencies[host] * 1000:.0f}", f"{before:.2f}" if before else "-", f"{after:.2f}" if after else "-"]
        )
    print(table(["host", "bad", "latency ms", "last source done s (healthy)", "(with bad hosts)"], rows))
    last_healthy = max(healthy["finish_by_host"][h] for h in good)
    last_bad = max(bad["finish_by_host"][h] for h in good)
    results["good_hosts_done_healthy_s"] = last_healthy
    results["good_hosts_done_with_bad_s"] = last_bad
    print(
        f"the {len(good)} good hosts' last source answered at {last_healthy:.2f} s (all healthy) vs "
        f"{last_bad:.2f} s (with bad hosts); whole run {healthy['wall']:.2f} s vs {bad['wall']:.2f} s "
        f"(read/connect timeout 5 s)"
    )
    return results


if __name__ == "__main__":
    main()
