"""Benchmark: what attachment revalidation adds to a steady ``check`` (nothing new on the site).

    .venv/bin/python bench/bench_attachments.py [--rounds 9] [--latency 0.05]

On the bundled demo mirror (127.0.0.1, real PDF/XLSX files plus stubs; ``--latency`` seconds
added to every answer), after a day-1 baseline, each mode with its own store:

* ``off``: ``[fetch] attachments = false`` — the check as before attachments were captured;
* ``default``: the default settings (the mirror's items are from 2024, older than
  ``recheck_attachments_days = 30``: nothing to revalidate);
* ``steady``: back-to-back steady runs with all 17 links recent (``recheck_attachments_days``
  covering 2024) and the default throttle (``recheck_attachments_every_hours = 12``): each
  link was checked minutes ago, so none is asked again;
* ``daily``: the first run of a day: the same settings, but the run's clock moves 24 hours
  per run, so every one of the 17 links is due and revalidated (conditional GET → 304).

The run's wall time is measured in-process (median over ``--rounds`` alternating runs), plus
the requests the site answered and the files downloaded (200 answers to attachment links;
must be 0).  Target (issue 12): a steady run adds ≤ 5 % over ``off``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from cnca_watch.demo import demo_sources  # noqa: E402
from cnca_watch.demo.server import MirrorServer  # noqa: E402
from cnca_watch.pipeline import acknowledge, check  # noqa: E402
from cnca_watch.settings import Config, FetchSettings  # noqa: E402

_FILE_MARKERS = ("/attach/", "/front/document/download", ".xls", ".pdf", ".doc", ".zip")
MODES = ("off", "default", "steady", "daily")


def _config(base_url: str, store: Path, mode: str) -> Config:
    recent_all = mode in ("steady", "daily")
    fetch = FetchSettings(
        retries=0, read_timeout=10.0, attachments=mode != "off",
        recheck_attachments_days=36500 if recent_all else 30,
    )
    return Config(sources=demo_sources(base_url), store_path=store, fetch=fetch)


class _Days:
    """A clock for one mode: each run is a day after the last (``daily``) or a minute (else)."""

    def __init__(self, step: timedelta) -> None:
        self.now = datetime.now(timezone.utc)
        self.step = step

    def __call__(self) -> str:
        return self.now.strftime("%Y-%m-%dT%H:%M:%SZ")

    def next_run(self) -> None:
        self.now += self.step


def _run(config: Config, clock: _Days) -> float:
    clock.next_run()
    started = time.perf_counter()
    result = check(config, clock=clock)
    elapsed = time.perf_counter() - started
    acknowledge(config, result)
    assert not result.changes, "a steady day reported changes"
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added to every answer")
    parser.add_argument("--modes", default=",".join(MODES), help="comma-separated, from: " + ", ".join(MODES))
    args = parser.parse_args()
    modes = tuple(m for m in args.modes.split(",") if m in MODES)
    if "off" not in modes:
        modes = ("off", *modes)
    with tempfile.TemporaryDirectory() as tmp, MirrorServer(day=1, latency=args.latency) as mirror:
        configs = {mode: _config(mirror.base_url, Path(tmp) / f"{mode}.db", mode) for mode in modes}
        clocks = {mode: _Days(timedelta(days=1) if mode.startswith("daily") else timedelta(minutes=1)) for mode in modes}
        for mode, config in configs.items():
            check(config, clock=clocks[mode])  # the baseline
            clocks[mode].next_run()
            acknowledge(config, check(config, clock=clocks[mode]))  # settle validators
        times: dict[str, list[float]] = {mode: [] for mode in modes}
        requests: dict[str, int] = {}
        downloads: dict[str, int] = {}
        for round_no in range(args.rounds):
            for mode in modes if round_no % 2 == 0 else modes[::-1]:
                mirror.reset_requests()
                times[mode].append(_run(configs[mode], clocks[mode]))
                seen = mirror.requests
                requests[mode] = len(seen)
                downloads[mode] = sum(
                    1 for _method, path, status in seen if status == 200 and any(m in path for m in _FILE_MARKERS)
                )
    off, off_min = statistics.median(times["off"]), min(times["off"])
    print(f"steady check on the demo mirror (latency {args.latency:g} s), {args.rounds} runs each: median (min)")
    for mode in modes:
        ms, fastest = statistics.median(times[mode]), min(times[mode])
        print(
            f"  {mode:12s} {ms * 1000:7.1f} ms ({fastest * 1000:6.1f})  {requests[mode]:3d} requests"
            f"  {downloads[mode]} files downloaded  {100 * (ms - off) / off:+6.1f} % ({100 * (fastest - off_min) / off_min:+6.1f} %)"
            " over off (target ≤ 5 %)"
        )


if __name__ == "__main__":
    main()
