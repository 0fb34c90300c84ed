"""The suite's own house rules: test modules share helpers through helper modules (never
by importing each other), and no test reads a file outside the repository; `--help` and a
check with nothing new import neither the classifier nor rich (nor, on SQLite, psycopg)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from mirror_helpers import child_env, write_config

from cnca_watch.demo.server import MirrorServer

TESTS = Path(__file__).resolve().parent


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module.split(".")[-1] if node.module.startswith("tests.") else node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def test_no_test_module_imports_another() -> None:
    offenders = {
        path.name: sorted(m for m in _imported_modules(path) if m.startswith("test_"))
        for path in TESTS.glob("test_*.py")
    }
    assert {name: mods for name, mods in offenders.items() if mods} == {}


def test_no_test_reaches_outside_the_repository() -> None:
    for path in TESTS.glob("*.py"):
        text = path.read_text(encoding="utf-8")
        for outside in ("/work/", "../shared", '"shared"', "parents[2]"):
            assert outside not in text or path.name == Path(__file__).name, (path.name, outside)


def _run_cli_reporting_modules(prelude: str, args: list[str], home: Path) -> tuple[int, set[str]]:
    """Run the CLI with ``args`` in a child after ``prelude`` (which writes a ``MODULES …``
    line to stderr at the moment that matters); its exit code and those modules."""
    code = prelude + f"from cnca_watch.cli import main\nsys.argv = ['cnca-watch', *{args!r}]\nmain()\n"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=child_env(home), timeout=120)
    line = next(l for l in done.stderr.splitlines() if l.startswith("MODULES "))
    return done.returncode, set(line.split()[1:])


def _modules_after(args: list[str], home: Path) -> tuple[int, set[str]]:
    """The modules loaded when the command line has finished."""
    at_exit = "import sys, atexit\natexit.register(lambda: sys.stderr.write('\\nMODULES ' + ' '.join(sys.modules) + '\\n'))\n"
    return _run_cli_reporting_modules(at_exit, args, home)


def test_help_and_a_steady_check_load_neither_the_classifier_nor_rich(tmp_path: Path) -> None:
    # issue 11: fields are read only for new or changed text; the calendar library only for ics
    heavy = {"cnca_watch.classify", "rich", "rich.console", "cnca_watch.fields", "cnca_watch.gloss", "icalendar", "psycopg"}  # psycopg: PostgreSQL stores only
    # the attachment readers: never in the CLI's own process (a child reads), and the
    # reader's driver only in a run that has files to read
    parsers = {"pypdf", "docx", "openpyxl", "xlrd"}
    reader = {"cnca_watch.attachments.read", "cnca_watch.attachments._parsers"}
    code, loaded = _modules_after(["--help"], tmp_path)
    assert code == 0 and not (heavy | parsers | reader) & loaded
    with MirrorServer(day=1) as mirror:
        config = write_config(tmp_path / "c.toml", mirror.base_url, tmp_path / "store.db")
        code, loaded = _modules_after(["check", "--format", "text", "--config", str(config)], tmp_path)
        assert code == 0 and "cnca_watch.classify" in loaded  # the baseline is classified
        assert "cnca_watch.fields" in loaded and "icalendar" not in loaded  # ... and read for its fields
        assert "cnca_watch.attachments.read" in loaded and not parsers & loaded  # its files read in the child
        assert "psycopg" not in loaded
        code, loaded = _modules_after(["check", "--format", "text", "--config", str(config)], tmp_path)
        assert code == 0 and not (heavy | parsers | reader) & loaded, sorted((heavy | parsers | reader) & loaded)


def _modules_at_first_request(args: list[str], home: Path) -> tuple[int, set[str]]:
    """The modules loaded when a command line's first HTTP request is made."""
    at_first_request = (
        "import sys\n"
        "import cnca_watch.fetch as fetch\n"
        "sent = fetch.Fetcher.get\n"
        "async def first(self, *a, **k):\n"
        "    if not getattr(fetch, 'SEEN', False):\n"
        "        fetch.SEEN = True\n"
        "        sys.stderr.write('\\nMODULES ' + ' '.join(sys.modules) + '\\n')\n"
        "    return await sent(self, *a, **k)\n"
        "fetch.Fetcher.get = first\n"
    )
    return _run_cli_reporting_modules(at_first_request, args, home)


def test_a_steady_check_sends_its_requests_before_loading_the_pipeline(tmp_path: Path) -> None:
    # the list requests go out first; all that reads the answers loads while they are in flight
    later = {
        "cnca_watch.pipeline", "cnca_watch.store", "cnca_watch.extract", "selectolax", "cnca_watch.diff",
        "cnca_watch.delivery", "cnca_watch.operations", "cnca_watch.commands_history", "rich",
    }
    with MirrorServer(day=1) as mirror:
        config = write_config(tmp_path / "c.toml", mirror.base_url, tmp_path / "store.db")
        args = ["check", "--format", "text", "--config", str(config)]
        code, loaded = _modules_at_first_request(args, tmp_path)
        assert code == 0 and "cnca_watch.fetch" in loaded
        code, loaded = _modules_at_first_request(args, tmp_path)
        assert code == 0 and not later & loaded, sorted(later & loaded)
        assert "sqlite3" in loaded  # the validators were read for the first request
