"""The store under faults: a writer killed mid-run, two runs at once, a full disk."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Iterator

import pytest
from store_helpers import SOURCE, ann, check_once, window

from cnca_watch.errors import StoreError, StoreLockedError
from cnca_watch.models import ChangeKind
from cnca_watch.store import Store

TESTS = Path(__file__).parent
DAY1, DAY2 = "2024-01-10T07:00:00Z", "2024-01-11T07:00:00Z"

# A child that writes a whole run (many announcements, so pages spill to the WAL),
# says where it stands on stdout, then blocks on stdin until it is killed or released.
WRITER = textwrap.dedent(
    """
    import sys
    sys.path.insert(0, {tests!r})
    from pathlib import Path
    from store_helpers import SOURCE, SOURCE_URL, ann
    from cnca_watch import diff
    from cnca_watch.store import Store

    store = Store.open(Path({path!r}))
    with store.run(started_at="2024-01-11T07:00:00Z", channels=("report", "email")) as run:
        print("locked", flush=True)
        current = [ann(n, i, body="正文" * 500) for i, n in enumerate(range(400, 0, -1))]
        state = run.previous(SOURCE, [a.url for a in current])
        result = diff.diff_source(SOURCE, state.snapshots, current, detected_at="2024-01-11T07:00:00Z")
        run.record_observations(SOURCE, SOURCE_URL, current, result)
        run.finish("2024-01-11T07:00:09Z", "ok")
        print("written", flush=True)
        sys.stdin.readline()
    print("committed", flush=True)
    sys.stdin.readline()
    """
)


@pytest.fixture
def writer(tmp_path: Path) -> Iterator[tuple[Path, subprocess.Popen[str]]]:
    path = tmp_path / "snapshots.db"
    with Store.open(path) as store:
        check_once(store, window(3, 2, 1), at=DAY1)
    child = subprocess.Popen(
        [sys.executable, "-c", WRITER.format(tests=str(TESTS), path=str(path))],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        yield path, child
    finally:
        if child.poll() is None:
            child.kill()
        child.wait(timeout=10)
        assert child.stdin is not None and child.stdout is not None
        child.stdin.close()
        child.stdout.close()


def expect(child: subprocess.Popen[str], line: str) -> None:
    assert child.stdout is not None
    assert child.stdout.readline().strip() == line  # '' (EOF) if the child died: fails, no hang


def integrity(path: Path) -> str:
    conn = sqlite3.connect(path)
    try:
        return str(conn.execute("PRAGMA integrity_check").fetchone()[0])
    finally:
        conn.close()


def test_a_writer_killed_before_commit_leaves_the_store_as_it_was(writer: tuple[Path, subprocess.Popen[str]]) -> None:
    path, child = writer
    expect(child, "locked")
    expect(child, "written")
    assert Path(f"{path}-wal").exists()
    os.kill(child.pid, signal.SIGKILL)
    assert child.wait(timeout=10) == -signal.SIGKILL

    assert integrity(path) == "ok"
    with Store.open(path) as store:
        assert [r.started_at for r in store.history()] == [DAY1]
        assert len(store.pending("report")) == 3
        assert store.pending("email") == ()
        # The next run finds exactly what the killed one had found: once.
        again = check_once(store, [ann(4, 0), ann(3, 1), ann(2, 2), ann(1, 3)], at=DAY2)
        assert [(c.kind, c.url) for c in again] == [(ChangeKind.NEW, ann(4, 0).url)]
    assert integrity(path) == "ok"


def test_a_writer_killed_after_commit_keeps_its_run_and_its_unreported_changes(
    writer: tuple[Path, subprocess.Popen[str]],
) -> None:
    path, child = writer
    expect(child, "locked")
    expect(child, "written")
    assert child.stdin is not None
    child.stdin.write("\n")
    child.stdin.flush()
    expect(child, "committed")
    os.kill(child.pid, signal.SIGKILL)
    child.wait(timeout=10)

    assert integrity(path) == "ok"
    with Store.open(path) as store:
        assert len(store.history()) == 2
        pending = store.pending("email")
        assert len(pending) == 400 - 3 + 3  # 397 new, 3 bodies changed
        assert len({c.id for c in pending}) == len(pending)


def test_a_second_run_gets_store_locked_within_the_timeout(writer: tuple[Path, subprocess.Popen[str]]) -> None:
    path, child = writer
    expect(child, "locked")
    with Store.open(path, lock_timeout=0.5) as store:
        # Reading works while the run is in progress (WAL): the committed state.
        assert [r.started_at for r in store.history()] == [DAY1]
        started = time.monotonic()
        with pytest.raises(StoreLockedError) as caught:
            with store.run(started_at=DAY2):
                pass
        waited = time.monotonic() - started
    assert str(caught.value) == f"another cnca-watch run holds the store {path}; try again later"
    assert 0.4 <= waited < 5
    expect(child, "written")
    assert child.stdin is not None
    child.stdin.write("\n")
    child.stdin.flush()
    expect(child, "committed")
    # Once the first run committed, the lock is free again.
    with Store.open(path, lock_timeout=0.5) as store:
        assert check_once(store, [], at="2024-01-12T07:00:00Z") == ()
        assert len(store.history()) == 3


def test_disk_full_fails_the_run_with_a_clear_message_and_keeps_the_store(tmp_path: Path) -> None:
    path = tmp_path / "snapshots.db"
    with Store.open(path) as store:
        check_once(store, window(3, 2, 1), at=DAY1)
    conn = sqlite3.connect(path)
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    conn.close()

    big = [ann(n, i, body="正文" * 2000) for i, n in enumerate(range(60, 0, -1))]
    with Store.open(path, max_pages=pages) as store:
        with pytest.raises(StoreError) as caught:
            check_once(store, big, at=DAY2)
        assert str(caught.value) == f"disk full while writing {path}: this run was not saved; the store is unchanged"
        # The same connection is still usable and sees the store as before.
        assert [r.started_at for r in store.history()] == [DAY1]
        assert len(store.pending("report")) == 3

    assert integrity(path) == "ok"
    with Store.open(path) as store:
        assert [r.started_at for r in store.history()] == [DAY1]
        with store.run(started_at=DAY2) as run:
            state = run.previous(SOURCE, [])
        assert len(state.snapshots) == 3
        # With room again, the same run goes through.
        assert len(check_once(store, big, at=DAY2)) == 60
