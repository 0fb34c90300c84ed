"""Attachments, fields and search on both backends (the merge of issue 12/11 with issue 15):
a replaced file is a new version on PostgreSQL too, a steady run adds none, the file comes
back byte for byte; a broken link is remembered and throttled; a PostgreSQL history copied to a
SQLite file is searchable there."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import attachment_files as files
from page_server import PageServer, Pages, one_announcement
from typer.testing import CliRunner

from cnca_watch.cli import app
from cnca_watch.clock import utc_now
from cnca_watch.models import ChangeKind
from cnca_watch.pipeline import acknowledge, check
from cnca_watch.searching import attachment_file, search_store
from cnca_watch.settings import Config, FetchSettings, SourceConfig
from cnca_watch.store import Store


RULES = "关于发布强制性产品认证实施规则的公告 CCC certification rules"
RULES_V2 = "关于发布强制性产品认证实施规则修订版的公告 CCC certification rules"
TITLE = "关于发布强制性产品认证实施规则的公告"
FAST = FetchSettings(retries=0, backoff=0.05, read_timeout=5.0, connect_timeout=2.0, attachment_time_limit=10.0)


def site_pages(today: str, pdf: bytes) -> Pages:
    links = {"/files/rules.pdf": "附件1：实施规则.pdf"}
    pdf_file = (pdf, {"Content-Type": "application/pdf"})
    return {**one_announcement(TITLE, today, "现予以发布。", links), "/files/rules.pdf": pdf_file}


def run(config: Config, at: str):  # type: ignore[no-untyped-def]
    result = check(config, clock=lambda: at)
    acknowledge(config, result)
    return result


def hours_later(start: str, hours: int) -> str:
    return (datetime.fromisoformat(start) + timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M:%SZ")


def _config(site_url: str, tmp_path: Path, store: Path | str) -> Config:
    config = Config(sources=(SourceConfig(name="site", url=site_url),), store_path=tmp_path / "unused.db", fetch=FAST)
    if isinstance(store, Path):
        return replace(config, store_path=store)
    return replace(config, store_url=store)


def test_a_replaced_file_is_one_new_version_on_both_backends(tmp_path: Path, store_url: Path | str) -> None:
    start = utc_now()
    first_pdf, second_pdf = files.pdf((RULES,)), files.pdf((RULES_V2,))
    with PageServer(site_pages(start[:10], first_pdf)) as site:
        config = _config(site.url("/list.html"), tmp_path, store_url)
        run(config, start)
        site.pages["/files/rules.pdf"] = (second_pdf, {"Content-Type": "application/pdf"})
        # the link's last check (checked_at) is as old as the throttle (12 hours) on either backend
        assert run(config, hours_later(start, 11)).changes == ()
        changed = run(config, hours_later(start, 12))
        steady = run(config, hours_later(start, 25))
        page = site.url("/a.html")
    assert [(c.url, c.kind, c.fields_changed) for c in changed.changes] == [
        (page, ChangeKind.CHANGED, ("attachments",))
    ]
    assert steady.changes == ()
    with Store.open(config.store_target) as store:
        history = store.announcement(page)
    assert history is not None and len(history.versions) == 2  # the steady run added none
    old, new = ({f.name: f for f in v.files}["附件1：实施规则.pdf"] for v in history.versions)
    assert "修订版" in new.text and "修订版" not in old.text
    assert attachment_file(config, new.sha256).content == second_pdf
    assert attachment_file(config, old.sha256[:12]).content == first_pdf

    hits = search_store(config, "修订版", fields=("attachments",)).hits
    assert [h.version_id for h in hits] == [history.versions[1].id]
    if isinstance(store_url, Path):
        return

    # the PostgreSQL history copied to a file: its documents are indexed there
    copy = tmp_path / "copy.db"
    copied = CliRunner().invoke(app, ["store", "copy", store_url, str(copy)])
    assert copied.exit_code == 0, copied.output
    hits = search_store(replace(config, store_url=None, store_path=copy), "修订版", fields=("attachments",)).hits
    assert [h.version_id for h in hits] == [history.versions[1].id]


def test_a_broken_link_is_remembered_and_throttled_on_both_backends(tmp_path: Path, store_url: Path | str) -> None:
    today = utc_now()
    pages = site_pages(today[:10], b"")
    del pages["/files/rules.pdf"]  # 404
    with PageServer(pages) as site:
        config = _config(site.url("/list.html"), tmp_path, store_url)
        run(config, today)
        run(config, hours_later(today, 1))
        run(config, hours_later(today, 2))
        asked = [p for p, _ in site.requests if p == "/files/rules.pdf"]
        assert len(asked) == 1  # the first run only: the failure is remembered, the throttle applies
        run(config, hours_later(today, 12))
        assert len([p for p, _ in site.requests if p == "/files/rules.pdf"]) == 2
