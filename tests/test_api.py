"""The public library API: one sorted __all__, every name importable, usable without the CLI."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import cnca_watch


def test_all_is_sorted_and_every_name_resolves() -> None:
    assert cnca_watch.__all__ == sorted(cnca_watch.__all__)
    import importlib
    import types

    for submodule in ("cnca_watch.classify", "cnca_watch.pipeline", "cnca_watch.store"):
        importlib.import_module(submodule)  # a submodule import must not shadow an export
    for name in cnca_watch.__all__:
        assert not isinstance(getattr(cnca_watch, name), types.ModuleType), name


def test_importing_the_package_does_not_import_the_cli_or_network_stack() -> None:
    code = "import sys, cnca_watch; print(sorted(m for m in ('typer', 'httpx', 'selectolax', 'sqlite3') if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30)
    assert done.stdout.strip() == "[]"


def test_a_script_can_check_and_acknowledge(mirror, store_path: Path) -> None:
    from dataclasses import replace

    from cnca_watch.demo import demo_sources

    config = replace(cnca_watch.load_config(), sources=demo_sources(mirror.base_url), store_path=store_path)
    result = cnca_watch.check(config)
    assert {s.status for s in result.sources} == {cnca_watch.SourceStatus.OK}
    assert len(result.changes) == 32
    cnca_watch.acknowledge(config, result)
    assert cnca_watch.check(config).changes == ()
    document = cnca_watch.run_to_json(result)
    assert document["schema_version"] == 1


def test_a_script_can_retag_and_look_back_without_the_cli(mirror, store_path: Path) -> None:
    from dataclasses import replace

    from cnca_watch.demo import demo_sources

    config = replace(cnca_watch.load_config(), sources=demo_sources(mirror.base_url), store_path=store_path)
    result = cnca_watch.check(config)
    cnca_watch.acknowledge(config, result)
    retag = cnca_watch.retag_store(config)
    assert (retag.total, retag.changed) == (32, 0)  # same vocabulary: every tag stays
    (run,) = cnca_watch.run_history(config)
    assert (run.id, run.new, run.changed, run.removed) == (result.id, 32, 0, 0)
    first = result.changes[0]
    found = cnca_watch.find_announcement(config, first.url)
    assert (found.url, len(found.versions)) == (first.url, 1)
    report = cnca_watch.build_period_report(config, cnca_watch.ReportQuery(since="1d", baseline=True))
    assert report.total == 32
