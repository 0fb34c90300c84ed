"""Run the cnca-watch CLI and SIGKILL it at the Nth event of one kind.

    python kill_harness.py {fetch|extract|store} N -- <cnca-watch arguments>

fetch:   the Nth time a Fetcher.get coroutine runs (start or resume)
extract: the Nth call into cnca_watch.extract
store:   the Nth sqlite3 execute/executemany/commit call (covers every write and COMMIT)

A profile hook, so the code under test carries no test hook of its own.  If the
run ends before the Nth event the harness exits 99, so the test knows the point
was never reached.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import sys

target, nth = sys.argv[1], int(sys.argv[2])
args = sys.argv[sys.argv.index("--") + 1 :]
seen = 0
_SQL = {"execute", "executemany", "executescript", "commit"}


def _hit() -> None:
    global seen
    seen += 1
    if seen >= nth:
        sys.stdout.flush()
        os.kill(os.getpid(), signal.SIGKILL)


def profile(frame, event, arg):  # type: ignore[no-untyped-def]
    if target == "store":
        if event == "c_call" and getattr(arg, "__name__", "") in _SQL and isinstance(
            getattr(arg, "__self__", None), (sqlite3.Connection, sqlite3.Cursor)
        ):
            _hit()
    elif event == "call":
        module = frame.f_globals.get("__name__", "")
        if target == "fetch" and module == "cnca_watch.fetch" and frame.f_code.co_name == "get":
            _hit()
        elif target == "extract" and module.startswith("cnca_watch.extract") and frame.f_code.co_name in (
            "extract_list", "extract_detail", "find_jpaas_unit", "parse_jpaas_payload"
        ):
            _hit()


sys.argv = ["cnca-watch", *args]
from cnca_watch.cli import app  # noqa: E402

sys.setprofile(profile)
try:
    app(prog_name="cnca-watch")
except SystemExit:
    pass
sys.setprofile(None)
sys.stderr.write(f"kill_harness: {target} events seen: {seen}\n")
sys.stderr.flush()
os._exit(99)
