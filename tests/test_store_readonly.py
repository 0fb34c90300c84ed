"""A store that cannot be written — read-only file, folder or file system — can still be
looked at (history, report, show, feed), and is refused for writing (check, classify
--stored) with one line that says it is read-only and names the fix.

Read-only is made real, not pretended: the store's folder and file are chmod'ed, and the
commands run in a subprocess that cannot ignore permission bits.  As root (these tests
run as root here) that subprocess first drops CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH
from its capability bounding set and then execs Python, so it is root without the power
to override file permissions; ``test_the_restriction_really_denies_writes`` checks that.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Iterator

import pytest
from store_helpers import ann, check_once, window
from mirror_helpers import child_env, write_config
from typer.testing import CliRunner

from cnca_watch.cli import app
from cnca_watch.errors import StoreError
from cnca_watch.store import Store

DAY1, DAY2 = "2024-01-10T07:00:00Z", "2024-01-11T07:00:00Z"
TIMEOUT = 120

# Runs ``python ARGS...`` unable to override file permissions, even as root.
RESTRICTED = r"""
import ctypes, os, sys
if os.geteuid() == 0:
    libc = ctypes.CDLL(None, use_errno=True)
    for cap in (1, 2):  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH
        if libc.prctl(24, cap, 0, 0, 0) != 0:  # PR_CAPBSET_DROP: gone after the exec below
            sys.exit(f"cannot drop capability {cap}: {os.strerror(ctypes.get_errno())}")
os.execv(sys.executable, [sys.executable, *sys.argv[1:]])
"""


def restricted(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", RESTRICTED, *args], stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=TIMEOUT, env=child_env(home))


def cli(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    return restricted("-m", "cnca_watch", *args, home=home)


def digest(path: Path) -> tuple[str, int]:
    return hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mtime_ns


def build_store(path: Path) -> None:
    """Two runs, with changes pending on the report channel; closed, so no -wal/-shm left."""
    with Store.open(path) as store:
        check_once(store, window(3, 2, 1), at=DAY1)
        check_once(store, [ann(4, 0), ann(3, 1, body="第3号公告正文（修订）。"), ann(1, 2)], at=DAY2)
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name]


@pytest.fixture
def read_only(tmp_path: Path) -> Iterator[list[Path]]:
    """Paths to make read-only (chmod a-w); made writable again afterwards."""
    paths: list[Path] = []
    yield paths
    for path in reversed(paths):
        path.chmod(0o755 if path.is_dir() else 0o644)


def make_read_only(paths: list[Path], *targets: Path) -> None:
    for target in targets:
        paths.append(target)
        target.chmod(0o555 if target.is_dir() else 0o444)


# -- in process: the read-only opening itself ---------------------------------------------------


def test_read_only_open_reads_and_never_writes(tmp_path: Path) -> None:
    path = tmp_path / "store" / "snapshots.db"
    build_store(path)
    before = digest(path)
    with Store.open(path, read_only=True) as store:
        assert [r.started_at for r in store.history()] == [DAY2, DAY1]
        pending = store.pending("report")
        assert len(pending) == 6
        with pytest.raises(StoreError, match="read-only"):
            store.mark_delivered("report", [c.id for c in pending if c.id is not None], "2024-01-12T00:00:00Z")
    assert digest(path) == before
    wal = path.with_name("snapshots.db-wal")
    assert not wal.exists() or wal.stat().st_size == 0, "nothing was written to the write-ahead log either"
    with Store.open(path) as store:
        assert len(store.pending("report")) == 6, "still pending"


def test_read_only_open_of_a_missing_store_creates_nothing(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "snapshots.db"
    with pytest.raises(StoreError, match=f"no store at {missing}"):
        Store.open(missing, read_only=True)
    assert not missing.parent.exists()


def test_read_only_open_falls_back_to_immutable_when_sqlite_cannot_create_its_wal(tmp_path: Path) -> None:
    path = tmp_path / "store" / "snapshots.db"
    build_store(path)
    # A directory where SQLite must create snapshots.db-wal: no process, root or not, can
    # create that file, just as in a read-only folder.
    (tmp_path / "store" / "snapshots.db-wal").mkdir()
    before = digest(path)
    plain = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    with pytest.raises(sqlite3.OperationalError, match="unable to open database file"):
        plain.execute("SELECT COUNT(*) FROM runs").fetchone()  # what made history fail before
    plain.close()

    with Store.open(path, read_only=True) as store:
        assert [r.started_at for r in store.history()] == [DAY2, DAY1]
    assert digest(path) == before

    with pytest.raises(StoreError) as refused:
        Store.open(path)
    assert str(refused.value) == (
        f"the store {path} is read-only (snapshots.db-wal beside it is not a writable file); "
        "make it writable, or point --store at a writable path"
    )
    assert digest(path) == before


def test_cli_reads_such_a_store_and_check_refuses_it(tmp_path: Path, mirror) -> None:
    path = tmp_path / "store" / "snapshots.db"
    build_store(path)
    (tmp_path / "store" / "snapshots.db-wal").mkdir()
    config = write_config(tmp_path / "c.toml", mirror.base_url, path)
    runner = CliRunner()
    shown = runner.invoke(app, ["history", "--json", "--config", str(config)], catch_exceptions=False)
    assert shown.exit_code == 0, shown.output
    assert [r["started_at"] for r in json.loads(shown.output)] == [DAY2, DAY1]
    checked = runner.invoke(app, ["check", "--config", str(config)], catch_exceptions=False)
    assert checked.exit_code == 3
    assert checked.output == (
        f"cnca-watch: error: the store {path} is read-only (snapshots.db-wal beside it is not a writable file); "
        "make it writable, or point --store at a writable path\n"
    )


def test_an_empty_store_file_in_a_writable_folder_is_still_set_up_by_a_reader(tmp_path: Path, mirror) -> None:
    path = tmp_path / "snapshots.db"
    path.touch()
    config = write_config(tmp_path / "c.toml", mirror.base_url, path)
    shown = CliRunner().invoke(app, ["history", "--config", str(config)], catch_exceptions=False)
    assert (shown.exit_code, shown.output) == (0, "no runs yet; run `cnca-watch check`\n")


# -- a subprocess that really cannot write ----------------------------------------------------


def test_the_restriction_really_denies_writes(tmp_path: Path, read_only: list[Path]) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    (folder / "f").write_text("x")
    make_read_only(read_only, folder / "f", folder)
    probe = (
        "import os, sys\n"
        "for target, mode in ((sys.argv[1] + '/new', 'w'), (sys.argv[1] + '/f', 'a')):\n"
        "    try:\n"
        "        open(target, mode).close()\n"
        "    except PermissionError:\n"
        "        print('denied', target)\n"
        "print('access', os.access(sys.argv[1], os.W_OK), os.access(sys.argv[1] + '/f', os.W_OK))\n"
    )
    done = restricted("-c", probe, str(folder), home=tmp_path)
    assert done.stdout.splitlines() == [f"denied {folder}/new", f"denied {folder}/f", "access False False"], done.stderr
    assert sorted(p.name for p in folder.iterdir()) == ["f"]


@pytest.mark.parametrize("what", ["folder", "file", "both"])
def test_a_read_only_store_can_be_looked_at_but_not_checked(
    tmp_path: Path, mirror, read_only: list[Path], what: str
) -> None:
    home = tmp_path / "home"
    path = tmp_path / "store" / "snapshots.db"
    config = write_config(tmp_path / "c.toml", mirror.base_url, path)
    assert cli("check", "--config", str(config), home=home).returncode == 0
    mirror.set_day(2)
    assert cli("check", "--config", str(config), home=home).returncode == 0
    # what the looking commands print, from a writable copy
    copy = tmp_path / "copy" / "snapshots.db"
    copy.parent.mkdir()
    shutil.copy(path, copy)
    looks = {
        "history": ["history", "--json"],
        "report": ["report", "--since", "2020-01-01", "--json"],
        "show": ["show", "2", "--json"],
    }
    expected = {}
    for name, args in looks.items():
        done = cli(*args, "--config", str(config), "--store", str(copy), home=home)
        assert done.returncode == 0, done.stderr
        expected[name] = json.loads(done.stdout)
    assert [(r["new"], r["changed"], r["removed"]) for r in expected["history"]] == [(3, 1, 1), (32, 0, 0)]

    targets = {"folder": [path.parent], "file": [path], "both": [path, path.parent]}[what]
    make_read_only(read_only, *targets)
    before = digest(path)
    listing = sorted(p.name for p in path.parent.iterdir())
    assert listing == ["snapshots.db"]

    for name, args in looks.items():
        done = cli(*args, "--config", str(config), home=home)
        assert (done.returncode, done.stderr) == (0, ""), (name, done.stderr)
        assert json.loads(done.stdout) == expected[name], name
    feed = cli("feed", "--since", "2020-01-01", "--config", str(config), home=home)
    assert feed.returncode == 0 and feed.stdout.count("<entry>") == 37, feed.stderr
    assert digest(path) == before
    if what != "file":
        assert sorted(p.name for p in path.parent.iterdir()) == listing, "no -wal or -shm in a read-only folder"

    reason = (f"its folder {path.parent} is not writable, and SQLite needs to create "
              "snapshots.db-wal and snapshots.db-shm there") if what == "folder" else "the file is not writable"
    refusal = (f"cnca-watch: error: the store {path} is read-only ({reason}); "
               "make it writable, or point --store at a writable path\n")
    for args in (["check"], ["check", "--json"], ["classify", "--stored"]):
        done = cli(*args, "--config", str(config), home=home)
        assert (done.returncode, done.stderr, done.stdout) == (3, refusal, ""), args
    assert digest(path) == before


def test_a_read_only_folder_with_changes_still_in_the_wal_is_refused_not_misread(
    tmp_path: Path, read_only: list[Path]
) -> None:
    source = tmp_path / "live" / "snapshots.db"
    with Store.open(source) as store:
        check_once(store, window(3, 2, 1), at=DAY1)
    path = tmp_path / "ro" / "snapshots.db"
    path.parent.mkdir()
    with Store.open(source) as store:
        check_once(store, window(4, 3, 2, 1), at=DAY2)  # this run is only in the -wal file yet
        shutil.copy(source, path)
        shutil.copy(source.with_name("snapshots.db-wal"), path.with_name("snapshots.db-wal"))
    assert path.with_name("snapshots.db-wal").stat().st_size > 0
    make_read_only(read_only, path.parent)

    done = cli("history", "--json", "--store", str(path), home=tmp_path / "home")
    assert done.returncode == 3 and done.stdout == ""
    assert done.stderr == (
        f"cnca-watch: error: the store {path} is read-only (its folder {path.parent} is not writable, and SQLite "
        "needs to create snapshots.db-shm there) and its latest changes are still in snapshots.db-wal, which "
        "SQLite can read only if it may create snapshots.db-shm; make the folder writable, or copy the store "
        "together with its -wal file to a writable folder\n"
    )


def test_an_empty_store_in_a_read_only_folder_is_refused_with_the_fix(tmp_path: Path, read_only: list[Path]) -> None:
    path = tmp_path / "ro" / "snapshots.db"
    path.parent.mkdir()
    path.touch()
    make_read_only(read_only, path.parent)
    done = cli("history", "--store", str(path), home=tmp_path / "home")
    assert (done.returncode, done.stdout) == (3, "")
    assert done.stderr == (
        f"cnca-watch: error: the store {path} is read-only (its folder {path.parent} is not writable, and SQLite "
        "needs to create snapshots.db-wal and snapshots.db-shm there) and empty: no run was ever saved in it; "
        "run `cnca-watch check` with --store at a writable path\n"
    )
    assert path.stat().st_size == 0
