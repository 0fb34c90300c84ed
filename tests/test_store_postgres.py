"""The store on a real PostgreSQL server under faults: a backend terminated mid-run, the
server restarted between runs, two monitors racing (the run lock, `check --notify`, the
first migration), a read-only role, and no password in any message."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path
from typing import Any, Iterator

import psycopg
import pytest
from mirror_helpers import DAY2_CHANGES, child_env, write_config
from notify_helpers import SmtpCollector
from store_helpers import ann, check_once, count, query, window
from typer.testing import CliRunner

from cnca_watch.cli import app
from cnca_watch.errors import StoreError, StoreLockedError
from cnca_watch.models import ChangeKind
from cnca_watch.store import SCHEMA_VERSION, Store
from cnca_watch.store.backend import lock_key, redact

TESTS = Path(__file__).parent
DAY1, DAY2 = "2024-01-10T07:00:00Z", "2024-01-11T07:00:00Z"
runner = CliRunner()

# A child holding one run open: it writes, says so, and commits when told (or dies trying).
WRITER = textwrap.dedent(
    """
    import sys
    sys.path.insert(0, {tests!r})
    from store_helpers import SOURCE, SOURCE_URL, ann
    from cnca_watch import diff
    from cnca_watch.errors import StoreError
    from cnca_watch.store import Store

    store = Store.open({url!r})
    try:
        with store.run(started_at="2024-01-11T07:00:00Z", channels=("report", "email")) as run:
            print("locked", store._db.conn.info.backend_pid, flush=True)
            current = [ann(n, i) for i, n in enumerate(range(40, 0, -1))]
            state = run.previous(SOURCE, [a.url for a in current])
            result = diff.diff_source(SOURCE, state.snapshots, current, detected_at="2024-01-11T07:00:00Z")
            run.record_observations(SOURCE, SOURCE_URL, current, result)
            run.finish("2024-01-11T07:00:09Z", "ok")
            print("written", flush=True)
            sys.stdin.readline()
        print("committed", flush=True)
    except StoreError as exc:
        print("error", exc, flush=True)
    """
)


def until(condition: Any, what: str, seconds: float = 20.0) -> None:
    """Wait (bounded) for a state another process reaches; fail naming it."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def waiting_on(url: str, name: str) -> int:
    """How many sessions wait for the advisory lock ``name`` (pg_locks splits the key)."""
    key = lock_key(name) & 0xFFFFFFFFFFFFFFFF
    rows = query(
        url,
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
        f" AND classid::bigint = {key >> 32} AND objid::bigint = {key & 0xFFFFFFFF}",
    )
    return int(rows[0][0])  # type: ignore[call-overload]


@pytest.fixture
def pg(pg_store: str) -> str:
    return pg_store


@pytest.fixture
def writer(pg: str) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    with Store.open(pg) as store:
        check_once(store, window(3, 2, 1), at=DAY1)
    child = subprocess.Popen(
        [sys.executable, "-c", WRITER.format(tests=str(TESTS), url=pg)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        yield pg, child
    finally:
        if child.poll() is None:
            child.kill()
        child.wait(timeout=10)
        assert child.stdin is not None and child.stdout is not None
        child.stdin.close()
        child.stdout.close()


def line(child: subprocess.Popen[str]) -> str:
    assert child.stdout is not None
    return child.stdout.readline().strip()  # '' (EOF) if the child died: the caller fails, no hang


def release(child: subprocess.Popen[str]) -> None:
    assert child.stdin is not None
    child.stdin.write("\n")
    child.stdin.flush()


def test_a_backend_terminated_mid_run_leaves_the_history_as_it_was(writer: tuple[str, subprocess.Popen[str]]) -> None:
    url, child = writer
    status, pid = line(child).split()
    assert status == "locked"
    assert line(child) == "written"
    ((terminated,),) = query(url, f"SELECT pg_terminate_backend({int(pid)})")
    assert terminated is True
    release(child)
    said = line(child)
    assert said.startswith("error cannot reach the PostgreSQL store") and said.endswith("this run was not saved")
    assert child.wait(timeout=10) == 0
    with Store.open(url) as store:
        assert [r.started_at for r in store.history()] == [DAY1]
        assert len(store.pending("report")) == 3 and store.pending("email") == ()
        again = check_once(store, [ann(4, 0), ann(3, 1), ann(2, 2), ann(1, 3)], at=DAY2)
        assert [(c.kind, c.url) for c in again] == [(ChangeKind.NEW, ann(4, 0).url)]
    assert count(url, "runs") == 2


def test_a_second_run_waits_for_the_advisory_lock_then_gets_store_locked(writer: tuple[str, subprocess.Popen[str]]) -> None:
    url, child = writer
    assert line(child).startswith("locked")
    for timeout in (0.5, 0.0):  # --wait 0 does not wait at all
        with Store.open(url, lock_timeout=timeout) as store:
            assert [r.started_at for r in store.history()] == [DAY1]  # reading goes on meanwhile
            started = time.monotonic()
            with pytest.raises(StoreLockedError) as caught:
                with store.run(started_at=DAY2):
                    pass
            waited = time.monotonic() - started
        assert str(caught.value) == f"another cnca-watch run holds the store {url}; try again later"
        assert timeout * 0.8 <= waited < timeout + 5
    assert line(child) == "written"
    release(child)
    assert line(child) == "committed"
    with Store.open(url, lock_timeout=0.5) as store:
        assert check_once(store, [], at="2024-01-12T07:00:00Z") == ()
        assert len(store.history()) == 3


def test_the_server_restarted_between_runs(pg: str, postgres_server: Any) -> None:
    with Store.open(pg) as store:
        check_once(store, window(2, 1), at=DAY1)
        postgres_server.restart()
        # The open connection died with the old server: one clear StoreError, no traceback.
        with pytest.raises(StoreError, match="cannot reach the PostgreSQL store"):
            check_once(store, window(3, 2, 1), at=DAY2)
    with Store.open(pg) as store:  # a new monitor run connects to the restarted server
        changes = check_once(store, window(3, 2, 1), at=DAY2)
        assert [(c.kind, c.url) for c in changes] == [(ChangeKind.NEW, ann(3, 0).url)]
        assert [r.started_at for r in store.history()] == [DAY2, DAY1]


MIGRATOR = textwrap.dedent(
    """
    from cnca_watch.store import Store
    with Store.open({url!r}, lock_timeout=20) as store:
        print("opened", len(store.history()), flush=True)
    """
)


def test_two_monitors_racing_the_first_migration_both_open_one_schema(postgres_url: str) -> None:
    with psycopg.connect(postgres_url, autocommit=True) as holder:
        holder.execute("SELECT pg_advisory_lock(%s)", (lock_key("migrate"),))  # both must queue behind it
        children = [
            subprocess.Popen([sys.executable, "-c", MIGRATOR.format(url=postgres_url)], stdout=subprocess.PIPE, text=True)
            for _ in range(2)
        ]
        try:
            until(lambda: waiting_on(postgres_url, "migrate") == 2, "both monitors to wait for the migration lock")
            holder.execute("SELECT pg_advisory_unlock(%s)", (lock_key("migrate"),))
            outputs = [c.communicate(timeout=30)[0] for c in children]
        finally:
            for c in children:
                if c.poll() is None:
                    c.kill()
                    c.wait(timeout=10)
    assert [c.returncode for c in children] == [0, 0]
    assert outputs == ["opened 0\n", "opened 0\n"]
    assert query(postgres_url, "SELECT value FROM meta WHERE key = 'schema_version'") == [(str(SCHEMA_VERSION),)]


def email_text(raw: bytes) -> str:
    import email
    from email import policy

    message = email.message_from_bytes(raw, policy=policy.default)
    return "".join(part.get_content() for part in message.walk() if part.get_content_maintype() == "text")


class GatedSmtp(SmtpCollector):
    """Holds each message in DATA until ``gate`` is set, so a second sender has to queue."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = threading.Event()
        self.entered = threading.Event()

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]  # noqa: N802
        import asyncio

        self.entered.set()
        await asyncio.get_running_loop().run_in_executor(None, self.gate.wait, 20)
        return await super().handle_DATA(server, session, envelope)


def test_two_monitors_racing_check_notify_send_each_change_once(pg: str, mirror: Any, tmp_path: Path) -> None:
    from aiosmtpd.controller import Controller
    from notify_helpers import free_port

    smtp = GatedSmtp()
    controller = Controller(smtp, hostname="127.0.0.1", port=free_port(), ready_timeout=5)
    controller.start()
    try:
        extra = f'[email]\nhost = "127.0.0.1"\nport = {controller.port}\nsecurity = "none"\nto = ["desk@example.org"]\n'
        config = write_config(tmp_path / "c.toml", mirror.base_url, pg, extra)
        smtp.gate.set()
        assert runner.invoke(app, ["check", "--config", str(config), "--notify"]).exit_code == 0  # day 1
        assert len(smtp.envelopes) == 1
        smtp.gate.clear()
        smtp.entered.clear()
        mirror.set_day(2)
        command = [sys.executable, "-m", "cnca_watch", "check", "--config", str(config), "--notify", "--json"]
        env = child_env(tmp_path / "home")
        monitors = [subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
        try:
            until(smtp.entered.is_set, "one monitor to be sending the day-2 email")
            until(lambda: waiting_on(pg, "outbox:email") == 1, "the other monitor to queue for the email outbox")
            smtp.gate.set()
            results = [m.communicate(timeout=60) for m in monitors]
        finally:
            smtp.gate.set()
            for m in monitors:
                if m.poll() is None:
                    m.kill()
                    m.wait(timeout=10)
    finally:
        controller.stop()
    assert [m.returncode for m in monitors] == [0, 0], results
    assert len(smtp.envelopes) == 2, "day 1 and day 2: one email each, never twice"
    day2 = email_text(smtp.envelopes[1].content)
    for _, _, url, _, _ in DAY2_CHANGES:
        assert url in day2
    assert query(pg, "SELECT count(*) FROM outbox WHERE channel = 'email' AND delivered_at IS NULL") == [(0,)]


def test_a_read_only_role_reads_history_report_show_feed_and_cannot_write(pg: str, mirror: Any, tmp_path: Path) -> None:
    from mirror_helpers import make_config, run_and_ack

    result = run_and_ack(make_config(mirror.base_url, pg))
    assert result.changes
    database = pg.rsplit("/", 1)[1]
    with psycopg.connect(pg, autocommit=True) as admin:
        admin.execute(f"DROP ROLE IF EXISTS reader_{database}")  # type: ignore[arg-type]
        admin.execute(f"CREATE ROLE reader_{database} LOGIN PASSWORD 'sesame-7f3a'")  # type: ignore[arg-type]
        admin.execute(f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO reader_{database}")  # type: ignore[arg-type]
    reader = pg.replace("postgres@", f"reader_{database}:sesame-7f3a@")
    for command in (["history"], ["report", "--since", "2000-01-01"], ["show", "1"], ["feed"]):
        outcome = runner.invoke(app, [*command, "--store", reader])
        assert outcome.exit_code == 0, (command, outcome.output)
        assert "sesame-7f3a" not in outcome.output
    shown = runner.invoke(app, ["show", result.changes[0].url, "--json", "--store", reader])
    assert shown.exit_code == 0 and result.changes[0].title in shown.output
    refused = runner.invoke(app, ["classify", "--stored", "--store", reader])
    assert refused.exit_code == 3
    assert "sesame-7f3a" not in refused.output and "***" in refused.output
    assert "may only read it" in refused.output
    assert count(pg, "retags") == 0


def test_passwords_never_appear_in_store_messages(pg: str) -> None:
    assert redact("postgresql://desk:s3cret@db.example:5432/cnca") == "postgresql://desk:***@db.example:5432/cnca"
    assert redact("postgresql://db/cnca?user=desk&password=s3cret") == "postgresql://db/cnca?user=desk&password=***"
    port = pg.split(":")[2].split("/")[0]
    closed = f"postgresql://desk:s3cret@127.0.0.1:{int(port) + 1 if int(port) < 65535 else 1}/cnca"
    with pytest.raises(StoreError) as caught:
        Store.open(closed, lock_timeout=2)
    assert "s3cret" not in str(caught.value) and "cannot reach the PostgreSQL store" in str(caught.value)
