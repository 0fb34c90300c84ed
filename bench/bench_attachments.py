"""Benchmark: what attachment revalidation adds to a steady ``check`` (nothing new on the site).

    .venv/bin/python bench/bench_attachments.py [--rounds 9]

On the bundled demo mirror (127.0.0.1, real PDF/XLSX files plus stubs), after a day-1 baseline:

* ``off``: ``[fetch] attachments = false`` — the check as before attachments were captured;
* ``default``: attachments captured with the default settings (the mirror's items are from
  2024, older than ``recheck_attachments_days = 30``: nothing to revalidate);
* ``all``: every attachment revalidated each run (``recheck_attachments_days`` large enough to
  cover the mirror's 2024 items: the worst case, every file linked from the window re-asked).

Both stores see the same steady day; the run's wall time is measured in-process (median over
``--rounds`` alternating runs), plus the requests the site answered and the files downloaded
(200 answers to attachment links; must be 0).  Target (issue 12): ``on`` adds ≤ 5 % over ``off``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from cnca_watch.demo import demo_sources  # noqa: E402
from cnca_watch.demo.server import MirrorServer  # noqa: E402
from cnca_watch.pipeline import acknowledge, check  # noqa: E402
from cnca_watch.settings import Config, FetchSettings  # noqa: E402

_FILE_MARKERS = ("/attach/", "/front/document/download", ".xls", ".pdf", ".doc", ".zip")


def _config(base_url: str, store: Path, mode: str) -> Config:
    fetch = FetchSettings(
        retries=0, read_timeout=10.0, attachments=mode != "off", recheck_attachments_days=36500 if mode == "all" else 30
    )
    return Config(sources=demo_sources(base_url), store_path=store, fetch=fetch)


def _run(config: Config) -> float:
    started = time.perf_counter()
    result = check(config)
    elapsed = time.perf_counter() - started
    acknowledge(config, result)
    assert not result.changes, "a steady day reported changes"
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=9)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, MirrorServer(day=1) as mirror:
        modes = ("off", "default", "all")
        configs = {mode: _config(mirror.base_url, Path(tmp) / f"{mode}.db", mode) for mode in modes}
        for config in configs.values():
            check(config)  # the baseline
            acknowledge(config, check(config))  # settle validators
        times: dict[str, list[float]] = {mode: [] for mode in modes}
        requests: dict[str, int] = {}
        downloads: dict[str, int] = {}
        for round_no in range(args.rounds):
            for mode in (modes if round_no % 2 == 0 else modes[::-1]):
                mirror.reset_requests()
                times[mode].append(_run(configs[mode]))
                seen = mirror.requests
                requests[mode] = len(seen)
                downloads[mode] = sum(
                    1 for _method, path, status in seen if status == 200 and any(m in path for m in _FILE_MARKERS)
                )
    off = statistics.median(times["off"])
    print(f"steady check on the demo mirror, median of {args.rounds} runs each")
    for mode in modes:
        ms = statistics.median(times[mode])
        print(
            f"  {mode:8s} {ms * 1000:7.1f} ms  {requests[mode]:3d} requests  {downloads[mode]} files downloaded"
            f"  {100 * (ms - off) / off:+6.1f} % over off (target ≤ 5 %)"
        )


if __name__ == "__main__":
    main()
