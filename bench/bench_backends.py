"""Benchmark 5: a team's scale — 300 sources on 30 loopback hosts, SQLite and PostgreSQL.

    .venv/bin/python bench/bench_backends.py [--sources 300] [--hosts 30] [--steady 3] [--json OUT]

300 list pages of 20 rows (details on: each row's detail page is read on the first run),
one source per page, spread over 30 loopback hosts (127.0.1.1 …) whose answers wait 100 to
300 ms (each host its own latency, fixed, from a seeded draw); politeness limits are the
defaults.  For each backend — a SQLite file, and a PostgreSQL database on a real server on
127.0.0.1 (the ``pgserver`` wheel's binaries, as in the tests) — it times one first run
and ``--steady`` unchanged runs of this checkout's ``cnca-watch check``, wall time and the
child's peak RSS, and prints the network floor: list requests ÷ allowed concurrency ×
mean latency (the steady run can not be faster than that plus start-up).
"""

from __future__ import annotations

import argparse
import json
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sources", type=int, default=300)
    parser.add_argument("--hosts", type=int, default=30)
    parser.add_argument("--steady", type=int, default=3, help="unchanged runs per backend")
    parser.add_argument("--json", type=Path, default=WORK / "results" / "backends.json")
    args = parser.parse_args()

    hosts = [f"127.0.1.{n}" for n in range(1, args.hosts + 1)]
    check_loopback_hosts(hosts)
    rng = random.Random(15)
    latencies = {h: rng.uniform(0.1, 0.3) for h in hosts}
    site = Site(pages=args.sources, per_page=20, hosts=hosts)

    from pg_server import PostgresServer

    results: dict[str, Any] = {"sources": args.sources, "hosts": args.hosts}
    server = PostgresServer().start()
    try:
        with tempfile.TemporaryDirectory(prefix="cnca-bench-") as tmp, SiteServer(site, latency=0.2) as web:
            for srv in web._servers:  # each host answers at its own pace
                srv.owner = _HostLatency(web, latencies[srv.host])  # type: ignore[assignment]
            work = Path(tmp)
            config = cnca_config(work / "config.toml", site.list_urls(), details=True)
            env = clean_env(work / "home")
            stores = {"sqlite": str(work / "s.db"), "postgresql": server.create_database("bench")}
            rows = []
            for backend, store in stores.items():
                command = [str(CNCA_WATCH), "check", "--quiet", "--config", str(config), "--store", store]
                first = require_ok(run_measured(command, env, timeout=600), f"{backend} first run", ok=(0,))
                hits_first = web.take_hits()
                steady = [require_ok(run_measured(command, env), f"{backend} steady run") for _ in range(args.steady)]
                hits_steady = web.take_hits()
                per_run = len(hits_steady) / max(1, args.steady)
                results[backend] = {
                    "first_wall": first.wall,
                    "first_requests": len(hits_first),
                    "first_rss_mib": first.rss_mib,
                    "steady_wall": med([m.wall for m in steady]),
                    "steady_requests": per_run,
                    "steady_rss_mib": max(m.rss_mib for m in steady),
                }
                rows.append(
                    [
                        backend,
                        f"{first.wall:.2f}",
                        str(len(hits_first)),
                        f"{results[backend]['steady_wall']:.2f}",
                        f"{per_run:.0f}",
                        f"{max(first.rss_mib, results[backend]['steady_rss_mib']):.0f}",
                    ]
                )
    finally:
        server.stop()
    mean_latency = sum(latencies.values()) / len(latencies)
    from cnca_watch.settings import FetchSettings

    fetch = FetchSettings()
    concurrency = min(fetch.max_connections, fetch.per_host * args.hosts)
    floor = args.sources / concurrency * mean_latency
    results["network_floor_s"] = floor
    print(table(["backend", "first s", "requests", "steady s (median)", "requests", "peak RSS MiB"], rows))
    print(
        f"network floor of a steady run: {args.sources} requests / {concurrency} in flight x "
        f"{mean_latency * 1000:.0f} ms = {floor:.2f} s (plus start-up)"
    )
    ratio = results["postgresql"]["steady_wall"] / results["sqlite"]["steady_wall"]
    results["steady_postgresql_over_sqlite"] = ratio
    print(f"PostgreSQL / SQLite steady: {ratio:.2f}x")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
