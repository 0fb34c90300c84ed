"""Standard output that cannot be written — a full disk, a closed descriptor, a pipe whose
reader left — is reported in one line with exit 1, never as a bug (exit 70); and `check`
acknowledges nothing it could not print, so the next run shows the changes again.

Every command runs in a real subprocess whose stdout really is /dev/full, really closed
(``>&-``, so Python's ``sys.stdout`` is None) or a pipe closed by the reader, against a
real store and the bundled mirror on 127.0.0.1.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Iterator, Optional, Sequence

import pytest
from notify_helpers import running_smtp_server
from mirror_helpers import DAY2_CHANGES, child_env, write_config

from cnca_watch.demo.server import MirrorServer
from cnca_watch.errors import ExitCode

CLI = [sys.executable, "-m", "cnca_watch"]
TIMEOUT = 120
FIXTURES = Path(__file__).parent / "fixtures" / "classify"

NOT_ACKNOWLEDGED = "nothing was acknowledged, the next run shows these changes again"
FULL = "cnca-watch: error: the output could not be written (No space left on device)"
CLOSED = (
    "cnca-watch: error: standard output is closed; "
    "give the command somewhere to write, e.g. `> file` or `> /dev/null`"
)


def run(args: Sequence[str], home: Path, stdout: str = "pipe", stdin: Optional[str] = None,
        command: Sequence[str] = CLI) -> subprocess.CompletedProcess[str]:
    """``stdout``: "pipe" (captured), "full" (/dev/full) or "closed" (descriptor 1 closed)."""
    cmd = [*command, *args]
    common = dict(stderr=subprocess.PIPE, text=True, timeout=TIMEOUT, env=child_env(home), input=stdin)
    if stdin is None:
        common["stdin"] = subprocess.DEVNULL
        del common["input"]
    if stdout == "full":
        with open("/dev/full", "w") as full:
            return subprocess.run(cmd, stdout=full, **common)  # type: ignore[call-overload,no-any-return]
    if stdout == "closed":
        return subprocess.run(["sh", "-c", 'exec "$@" >&-', "sh", *cmd],  # type: ignore[call-overload,no-any-return]
                              stdout=subprocess.DEVNULL, **common)
    return subprocess.run(cmd, stdout=subprocess.PIPE, **common)  # type: ignore[call-overload,no-any-return]


def assert_one_line(done: subprocess.CompletedProcess[str], expected: str) -> None:
    assert "Traceback" not in done.stderr and "internal error" not in done.stderr, done.stderr
    assert done.stderr == expected + "\n", done.stderr
    assert done.returncode == ExitCode.OUTPUT == 74, (done.returncode, done.stderr)


def pending_changes(config: Path, home: Path, base_url: str) -> set[tuple[str, str, str, str, Optional[str]]]:
    """Run `check --json` normally and return the changes it shows (it acknowledges them)."""
    done = run(["check", "--json", "--config", str(config)], home)
    assert done.returncode == 0, done.stderr
    return {(c["kind"], c["source"], c["url"].removeprefix(base_url), c["title"], c["date"])
            for c in json.loads(done.stdout)["changes"]}


def history(config: Path, home: Path) -> list[tuple[int, int, int]]:
    done = run(["history", "--json", "--config", str(config)], home)
    assert done.returncode == 0, done.stderr
    return [(r["new"], r["changed"], r["removed"]) for r in json.loads(done.stdout)]


# -- the harness itself ----------------------------------------------------------------------


def test_the_harness_really_closes_and_fills_stdout(tmp_path: Path) -> None:
    probe = [sys.executable, "-c", "import sys; sys.stderr.write(repr(sys.stdout)); sys.stdout.write('x' * 100000)"]
    closed = run([], tmp_path, "closed", command=probe)
    assert closed.stderr.startswith("None") and "AttributeError" in closed.stderr  # sys.stdout is None
    full = run([], tmp_path, "full", command=probe)
    assert "No space left on device" in full.stderr and full.returncode != 0


# -- check -------------------------------------------------------------------------------------


@pytest.mark.parametrize("output", [["--json"], ["--format", "text"], ["--format", "terminal"], ["--format", "html"]])
def test_check_to_a_full_disk_saves_the_run_and_shows_the_changes_next_time(
    tmp_path: Path, mirror: MirrorServer, store_path: Path, output: list[str]
) -> None:
    config = write_config(tmp_path / "c.toml", mirror.base_url, store_path)
    assert run(["check", "--config", str(config)], tmp_path).returncode == 0  # the baseline
    mirror.set_day(2)

    done = run(["check", *output, "--config", str(config)], tmp_path, "full")
    assert_one_line(done, f"{FULL}; {NOT_ACKNOWLEDGED}")

    assert history(config, tmp_path) == [(3, 1, 1), (32, 0, 0)], "the run was saved"
    assert pending_changes(config, tmp_path, mirror.base_url) == DAY2_CHANGES, "and its changes stayed pending"
    assert pending_changes(config, tmp_path, mirror.base_url) == set(), "shown once, then acknowledged"


def test_check_with_stdout_closed_acknowledges_nothing(tmp_path: Path, mirror: MirrorServer, store_path: Path) -> None:
    config = write_config(tmp_path / "c.toml", mirror.base_url, store_path)
    assert run(["check", "--config", str(config)], tmp_path).returncode == 0
    mirror.set_day(2)

    done = run(["check", "--config", str(config)], tmp_path, "closed")
    assert_one_line(done, f"cnca-watch: error: standard output is closed; {NOT_ACKNOWLEDGED}")

    assert pending_changes(config, tmp_path, mirror.base_url) == DAY2_CHANGES


def test_check_quiet_with_nothing_to_say_needs_no_stdout(tmp_path: Path, mirror: MirrorServer, store_path: Path) -> None:
    config = write_config(tmp_path / "c.toml", mirror.base_url, store_path)
    assert run(["check", "--config", str(config)], tmp_path).returncode == 0
    for stdout in ("closed", "full"):
        done = run(["check", "--quiet", "--config", str(config)], tmp_path, stdout)
        assert (done.returncode, done.stderr) == (0, ""), (stdout, done.stderr)
    # ... but with changes to show, quiet or not, they must get out
    mirror.set_day(2)
    done = run(["check", "--quiet", "--config", str(config)], tmp_path, "closed")
    assert_one_line(done, f"cnca-watch: error: standard output is closed; {NOT_ACKNOWLEDGED}")


def test_check_into_a_pipe_closed_early_acknowledges_nothing(
    tmp_path: Path, mirror: MirrorServer, store_path: Path
) -> None:
    config = write_config(tmp_path / "c.toml", mirror.base_url, store_path)
    assert run(["check", "--config", str(config)], tmp_path).returncode == 0
    mirror.set_day(2)
    reader_gone = subprocess.Popen([*CLI, "check", "--json", "--config", str(config)], stdin=subprocess.DEVNULL,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=child_env(tmp_path))
    assert reader_gone.stdout is not None and reader_gone.stderr is not None
    reader_gone.stdout.close()  # the reader leaves before cnca-watch writes a byte
    try:
        code = reader_gone.wait(timeout=TIMEOUT)
        stderr = reader_gone.stderr.read().decode()
    finally:
        reader_gone.stderr.close()
    assert (code, stderr) == (74, f"cnca-watch: error: the output pipe closed early; {NOT_ACKNOWLEDGED}\n")
    assert pending_changes(config, tmp_path, mirror.base_url) == DAY2_CHANGES


# -- every other command that prints ---------------------------------------------------------


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path, str]]:
    """A store with two days of checks, and a mirror that stays up for `sources test`."""
    root = tmp_path_factory.mktemp("output-errors")
    with MirrorServer(day=1) as server:
        config = write_config(root / "c.toml", server.base_url, root / "store" / "snapshots.db")
        assert run(["check", "--config", str(config)], root).returncode == 0
        server.set_day(2)
        assert run(["check", "--config", str(config)], root).returncode == 0
        yield config, root, server.base_url


COMMANDS = {
    "history": ["history"],
    "history-json": ["history", "--json"],
    "report": ["report", "--since", "2020-01-01"],
    "report-markdown": ["report", "--since", "2020-01-01", "--format", "markdown"],
    "report-terminal": ["report", "--since", "2020-01-01", "--format", "terminal"],
    "report-json": ["report", "--since", "2020-01-01", "--json"],
    "show": ["show", "1"],
    "show-json": ["show", "1", "--json"],
    "feed": ["feed", "--since", "2020-01-01"],
    "classify": ["classify", "关于开展认证机构监督抽查工作的通知"],
    "classify-json-stdin": ["classify", "--json"],
    "classify-stored": ["classify", "--stored"],
    "eval": ["eval", str(FIXTURES / "tiny.tsv")],
    "eval-json": ["eval", str(FIXTURES / "tiny.tsv"), "--json"],
    "sources-test": ["sources", "test", "cnca-notices"],
    "sources-test-json": ["sources", "test", "cnca-notices", "--json"],
    "sources-list": ["sources", "list"],
}
NO_CONFIG = {"eval", "eval-json"}


@pytest.mark.parametrize("stdout", ["full", "closed"])
@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_a_command_that_cannot_print_says_so_in_one_line(
    world: tuple[Path, Path, str], name: str, stdout: str
) -> None:
    config, home, _ = world
    args = COMMANDS[name] + ([] if name in NO_CONFIG else ["--config", str(config)])
    stdin = "关于开展认证机构监督抽查工作的通知\n" if name == "classify-json-stdin" else None
    # the same command with a working stdout prints something: the failure below is about stdout
    fine = run(args, home, "pipe", stdin=stdin)
    assert fine.returncode == 0 and fine.stdout.strip(), (fine.returncode, fine.stderr)
    done = run(args, home, stdout, stdin=stdin)
    assert_one_line(done, FULL if stdout == "full" else CLOSED)


@pytest.mark.parametrize("stdout", ["full", "closed"])
def test_version_and_init_and_demo_cannot_print_either(tmp_path: Path, stdout: str) -> None:
    expected = FULL if stdout == "full" else CLOSED
    assert_one_line(run(["--version"], tmp_path, stdout), expected)
    target = tmp_path / "new" / "config.toml"
    assert_one_line(run(["init", str(target)], tmp_path, stdout), expected)
    assert target.is_file(), "the config was written; only the line saying so was not"
    assert_one_line(run(["demo", "--store", str(tmp_path / "demo.db")], tmp_path, stdout), expected)


@pytest.mark.parametrize("stdout", ["full", "closed"])
def test_notify_prints_nothing_and_still_delivers(tmp_path: Path, mirror: MirrorServer, store_path: Path,
                                                   stdout: str) -> None:
    with running_smtp_server(refuse="450 try again later") as (controller, handler):
        extra = (
            f'[email]\nhost = "127.0.0.1"\nport = {controller.port}\nsecurity = "none"\n'
            f'from = "watch@example.org"\nto = ["analyst@example.org"]\n'
        )
        config = write_config(tmp_path / "c.toml", mirror.base_url, store_path, extra)
        assert run(["check", "--config", str(config)], tmp_path).returncode == 0
        mirror.set_day(2)
        refused = run(["check", "--email", "--config", str(config)], tmp_path)
        assert refused.returncode == 4 and "5 change(s) stay queued" in refused.stderr  # queued for email
        handler.refuse = None
        done = run(["notify", "--config", str(config), "--email"], tmp_path, stdout)
        assert (done.returncode, done.stderr) == (0, "")
        assert len(handler.envelopes) == 1
