"""cnca-watch: monitor CNCA and SAMR announcements against the six 2024 task areas.

The library API (the CLI is a thin layer over it)::

    from cnca_watch import load_config, check, acknowledge
    config = load_config()            # or load_config(Path("config.toml"))
    result = check(config)            # RunResult: sources and changes
    ...                               # show or send result.changes
    acknowledge(config, result)       # only then are they marked as reported
    retag_store(config)               # what `classify --stored` does; run_history,
                                      # find_announcement, build_period_report: the look-back commands
    backfill(config, since="2024-01-01")  # (from cnca_watch.backfill) older items, as history;
    build_store_review(config, year=2024) # the year by task area and publication month

Names are imported on first use, so ``import cnca_watch`` stays cheap.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__version__ = "0.1.0"

_EXPORTS = {
    "AreaTag": "cnca_watch.models",
    "Change": "cnca_watch.models",
    "ChangeKind": "cnca_watch.models",
    "CncaWatchError": "cnca_watch.errors",
    "Config": "cnca_watch.settings",
    "ExitCode": "cnca_watch.errors",
    "ReportQuery": "cnca_watch.operations",
    "RunResult": "cnca_watch.models",
    "SourceConfig": "cnca_watch.settings",
    "SourceResult": "cnca_watch.models",
    "SourceStatus": "cnca_watch.models",
    "Store": "cnca_watch.store",
    "acknowledge": "cnca_watch.pipeline",
    "build_period_report": "cnca_watch.operations",
    "build_store_review": "cnca_watch.operations",
    "changes_since": "cnca_watch.operations",
    "check": "cnca_watch.pipeline",
    "evaluate_file": "cnca_watch.operations",
    "find_announcement": "cnca_watch.operations",
    "load_config": "cnca_watch.config",
    "load_vocabulary": "cnca_watch.classify",
    "open_existing_store": "cnca_watch.operations",
    "preview_source": "cnca_watch.pipeline",
    "resolve_source": "cnca_watch.operations",
    "retag_store": "cnca_watch.operations",
    "run_history": "cnca_watch.operations",
    "run_to_json": "cnca_watch.render.json",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'cnca_watch' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
