"""Exit codes: one enum, one text per code, the same in ``--help`` and in README's table."""

from __future__ import annotations

import re
from pathlib import Path

from typer.testing import CliRunner

from cnca_watch.cli import app
from cnca_watch.errors import ExitCode

README = Path(__file__).resolve().parents[1] / "README.md"
ROW = re.compile(r"^\| (\d+) \| (.+) \|$")


def readme_exit_table() -> dict[int, str]:
    text = README.read_text(encoding="utf-8")
    section = text.split("### Exit status", 1)[1].split("\n### ", 1)[0]
    return {int(m.group(1)): m.group(2) for line in section.splitlines() if (m := ROW.match(line))}


def test_readme_table_lists_every_code_with_the_enum_meaning() -> None:
    table = readme_exit_table()
    assert sorted(table) == sorted(int(code) for code in ExitCode)
    for code in ExitCode:
        row = table[int(code)]
        # the row is the enum's meaning, optionally followed by " — " and more detail
        assert row == code.meaning or row.startswith(code.meaning + " — "), (code, row)


def test_codes_are_distinct_and_the_new_ones_have_their_conventional_values() -> None:
    assert len({int(c) for c in ExitCode}) == len(ExitCode)
    assert (ExitCode.OUTPUT, ExitCode.INTERRUPTED, ExitCode.INTERNAL) == (74, 130, 70)


def test_help_prints_every_code_with_its_meaning() -> None:
    result = CliRunner().invoke(app, ["--help"], terminal_width=10_000)
    flat = " ".join(result.output.split())
    for code in ExitCode:
        assert f"{int(code)} {code.meaning}" in flat, code
    check_help = " ".join(CliRunner().invoke(app, ["check", "--help"], terminal_width=10_000).output.split())
    assert f"{int(ExitCode.CHANGES)} {ExitCode.CHANGES.meaning}" in check_help
