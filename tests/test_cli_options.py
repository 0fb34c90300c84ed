"""The options every command shares: declared once, spelled the same everywhere, and
checked before any work is done."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterator

import pytest
from mirror_helpers import write_config
from typer.testing import CliRunner

from cnca_watch.cli import app
from cnca_watch.demo.server import MirrorServer

runner = CliRunner()
PRINTING = [["check"], ["demo"], ["report"], ["history"], ["show"], ["classify"], ["eval"],
            ["sources", "list"], ["sources", "test"]]


def invoke(*args: str) -> Any:
    return runner.invoke(app, list(args), catch_exceptions=False)


@pytest.fixture(scope="module")
def two_days(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    tmp = tmp_path_factory.mktemp("options")
    with MirrorServer(day=1) as mirror:
        config = write_config(tmp / "c.toml", mirror.base_url, tmp / "store.db")
        assert invoke("check", "--config", str(config), "--json").exit_code == 0
        mirror.set_day(2)
        assert invoke("check", "--config", str(config), "--json").exit_code == 0
        yield config


@pytest.mark.parametrize("command", PRINTING, ids=" ".join)
def test_every_printing_command_has_the_same_output_options(command: list[str]) -> None:
    text = " ".join(invoke(*command, "--help").output.split())
    assert "-f, --format" in text and "--json Same as --format json." in text


def test_a_format_a_command_does_not_print_is_a_usage_error_naming_the_ones_it_has(two_days: Path) -> None:
    result = invoke("history", "--format", "markdown", "--config", str(two_days))
    assert result.exit_code == 2
    assert "--format markdown: `history` prints terminal, text, json; choose one of them" in result.stderr
    assert result.stdout == ""


def test_json_and_a_different_format_are_refused() -> None:
    result = invoke("report", "--json", "--format", "html")
    assert result.exit_code == 2 and "--json and --format are both given" in result.stderr


def _report(config: Path, *filters: str) -> dict[str, Any]:
    result = invoke("report", "--since", "3650d", "--baseline", "--json", "--config", str(config), *filters)
    assert result.exit_code == 0, result.stderr
    document: dict[str, Any] = json.loads(result.stdout)
    return document


def test_report_source_and_area_are_repeatable_like_checks(two_days: Path) -> None:
    everything = _report(two_days)
    per_source = {s["name"]: s["count"] for s in everything["sources"]}
    assert len(per_source) >= 3
    first, second = sorted(per_source)[:2]
    both = _report(two_days, "-s", first, "--source", second)
    assert {s["name"]: s["count"] for s in both["sources"]} == {first: per_source[first], second: per_source[second]}
    assert _report(two_days, "-s", first)["total"] == per_source[first]
    regulation = _report(two_days, "--area", "regulation")["total"]
    going_global = _report(two_days, "-a", "going-global")["total"]
    either = _report(two_days, "-a", "regulation", "-a", "going-global")["total"]
    assert 0 < regulation <= either <= regulation + going_global and going_global < either


def test_an_unknown_source_or_area_among_several_is_named(two_days: Path) -> None:
    result = invoke("report", "-s", "cnca-notices", "-s", "nope", "--config", str(two_days))
    assert result.exit_code == 2 and "no source named 'nope' in the store" in result.stderr
    result = invoke("report", "-a", "regulation", "-a", "nope", "--config", str(two_days))
    assert result.exit_code == 2 and "no task area 'nope'" in result.stderr


def test_quiet_report_of_an_empty_period_prints_nothing(two_days: Path) -> None:
    period = ["--since", "2000-01-01", "--until", "2000-02-01", "--format", "text", "--config", str(two_days)]
    assert invoke("report", *period).stdout.strip() != ""
    quiet = invoke("report", "-q", *period)
    assert (quiet.exit_code, quiet.stdout) == (0, "")
    assert invoke("history", "-q", "--config", str(two_days)).stdout.count("\n") == 2  # runs exist: shown
