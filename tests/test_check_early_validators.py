"""A run sends its list requests with validators read before it holds the store's lock
(check_run.py).  If another run stored newer validators in between, a 304 to the early ones
means "as it was then", not "as stored now": the run must ask again, or a page that went back
to its earlier content would look unchanged and a change would be lost."""

from __future__ import annotations

from pathlib import Path

import pytest
from page_server import PageServer

from cnca_watch import check_run
from cnca_watch.pipeline import acknowledge, check
from cnca_watch.settings import Config, FetchSettings, SourceConfig

FAST = FetchSettings(retries=0, backoff=0.05, read_timeout=2.0, connect_timeout=2.0)


def list_page(titles: list[str]) -> str:
    rows = "".join(
        f'<li><a href="/a/{ALL.index(t)}.html">{t}</a><span>2024-05-{20 - ALL.index(t):02d}</span></li>' for t in titles
    )
    return f'<html><head><meta charset="utf-8"></head><body><ul class="news">{rows}</ul></body></html>'


FIRST = ["关于第一批认证机构监督抽查结果的通告", "关于强制性产品认证目录调整的公告", "关于发布认证规则的公告"]
SECOND = ["关于第二批认证机构监督抽查结果的通告", *FIRST]
ALL = [*FIRST, SECOND[0]]  # each title keeps its own link


def test_a_304_to_stale_early_validators_is_asked_again(store_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with PageServer({"/list.html": list_page(FIRST)}) as site:
        config = Config(sources=(SourceConfig(name="site", url=site.url("/list.html")),), store_path=store_path, fetch=FAST)
        acknowledge(config, check(config))
        before_second = check_run.read_validators_early(store_path)  # what a run starting now reads
        assert before_second  # the static list's ETag is remembered

        site.pages["/list.html"] = list_page(SECOND)
        second = check(config)  # the run that finishes while the next one is starting
        acknowledge(config, second)
        assert [c.kind.value for c in second.changes] == ["new"]

        # the site goes back to the first page; the next run read its validators before the
        # second run committed (forced here instead of raced)
        site.pages["/list.html"] = list_page(FIRST)
        monkeypatch.setattr(check_run, "read_validators_early", lambda target: before_second)
        site.requests.clear()
        third = check(config)

    list_requests = [headers for path, headers in site.requests if path == "/list.html"]
    assert len(list_requests) == 2  # the early request (304) and the one asked again
    assert list_requests[1].get("if-none-match") != list_requests[0].get("if-none-match")
    assert [(c.kind.value, c.title) for c in third.changes] == [("removed", SECOND[0])]
