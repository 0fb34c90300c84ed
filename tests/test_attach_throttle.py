"""The attachment revalidation throttle (`[fetch] recheck_attachments_every_hours`) through
`check` with an injected clock against a real local server: a link checked less than N hours
ago is not asked, an older one is (conditional GET → 304), a file replaced under the same link
is found once due, and links of a changed announcement are always fetched."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import attachment_files as files
import pytest
from page_server import PageServer, Pages, one_announcement

from cnca_watch.clock import utc_now
from cnca_watch.config import parse_config
from cnca_watch.errors import ConfigError
from cnca_watch.models import ChangeKind, RunResult, SourceStatus
from cnca_watch.pipeline import acknowledge, check
from cnca_watch.settings import Config, FetchSettings, SourceConfig

FAST = FetchSettings(retries=0, backoff=0.05, read_timeout=5.0, connect_timeout=2.0, attachment_time_limit=10.0)
TITLE = "关于发布强制性产品认证实施规则的公告"
START = utc_now()  # the items are published on this day: inside recheck_attachments_days


def at(hours: float) -> str:
    return (datetime.fromisoformat(START) + timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M:%SZ")


def pages(title: str = TITLE) -> Pages:
    links = {"/files/rules.docx": "附件：实施规则.docx"}
    return {**one_announcement(title, START[:10], "现予以发布。", links), "/files/rules.docx": files.docx(("第一版实施规则",))}


def config_for(site: PageServer, tmp_path: Path, **fetch: object) -> Config:
    return Config(
        sources=(SourceConfig(name="site", url=site.url("/list.html")),),
        store_path=tmp_path / "store.db",
        fetch=replace(FAST, **fetch),  # type: ignore[arg-type]
    )


def run_at(config: Config, site: PageServer, hours: float) -> tuple[RunResult, list[tuple[str, dict[str, str]]]]:
    """One check at START + ``hours``: its result and the attachment requests the site saw."""
    site.requests.clear()
    result = check(config, clock=lambda: at(hours))
    acknowledge(config, result)
    assert [s.status for s in result.sources] == [SourceStatus.OK]
    return result, [(p, h) for p, h in site.requests if p.startswith("/files/")]


def test_a_link_checked_within_the_hours_is_not_asked_an_older_one_is_and_a_replaced_file_is_found_when_due(
    tmp_path: Path,
) -> None:
    with PageServer(pages()) as site:
        config = config_for(site, tmp_path)  # the default: every 12 hours
        first, asked = run_at(config, site, 0)
        assert [c.kind for c in first.changes] == [ChangeKind.NEW] and len(asked) == 1

        _, asked = run_at(config, site, 1)  # back to back: checked an hour ago
        assert asked == []
        _, asked = run_at(config, site, 11.9)
        assert asked == []

        steady, asked = run_at(config, site, 12)  # due: one conditional GET, answered 304
        assert steady.changes == () and len(asked) == 1 and "if-none-match" in asked[0][1]

        site.pages["/files/rules.docx"] = files.docx(("第二版实施规则",))
        _, asked = run_at(config, site, 13)  # the 304 at hour 12 counts as the last check
        assert asked == []
        replaced, asked = run_at(config, site, 24)
        assert len(asked) == 1
        assert [(c.kind, c.fields_changed) for c in replaced.changes] == [(ChangeKind.CHANGED, ("attachments",))]
        assert "[-一-]{+二+}" in replaced.changes[0].diff


def test_links_of_a_changed_announcement_are_always_fetched(tmp_path: Path) -> None:
    with PageServer(pages()) as site:
        config = config_for(site, tmp_path)
        run_at(config, site, 0)
        revised = pages(TITLE + "（修订）")
        site.pages.update({path: revised[path] for path in ("/list.html", "/a.html")})  # the same file
        changed, asked = run_at(config, site, 1)  # an hour later, but the announcement changed
        assert [c.fields_changed for c in changed.changes] == [("title",)]
        assert len(asked) == 1 and "if-none-match" in asked[0][1]


def test_zero_hours_revalidates_every_run_and_old_announcements_never(tmp_path: Path) -> None:
    with PageServer(pages()) as site:
        every_run = config_for(site, tmp_path, recheck_attachments_every_hours=0)
        run_at(every_run, site, 0)
        assert len(run_at(every_run, site, 0.1)[1]) == 1
        assert len(run_at(every_run, site, 0.2)[1]) == 1
        # published long before the recheck window: not revalidated however old its last check
        run_at(replace(every_run, fetch=replace(every_run.fetch, recheck_attachments_days=0)), site, 24 * 3)
        assert run_at(replace(every_run, fetch=replace(every_run.fetch, recheck_attachments_days=0)), site, 24 * 3)[1] == []


@pytest.mark.parametrize("value", [-1, 1.5, "12"])
def test_a_bad_hours_value_is_one_line_naming_the_key(value: object) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config({"fetch": {"recheck_attachments_every_hours": value}})
    message = str(caught.value)
    assert "[fetch] recheck_attachments_every_hours" in message and "\n" not in message
    assert parse_config({"fetch": {"recheck_attachments_every_hours": 0}}).fetch.recheck_attachments_every_hours == 0
    assert parse_config({}).fetch.recheck_attachments_every_hours == 12


def test_the_example_config_documents_every_fetch_key_with_its_default() -> None:
    import dataclasses
    import tomllib

    example = Path(__file__).resolve().parents[1] / "config.example.toml"
    documented = tomllib.loads(example.read_text("utf-8"))["fetch"]
    keys = {f.name for f in dataclasses.fields(FetchSettings)}
    assert set(documented) - {"details"} == keys - {"user_agent"}  # the user agent is commented out
    defaults = FetchSettings()
    assert {k: v for k, v in documented.items() if k != "details"} == {k: getattr(defaults, k) for k in keys - {"user_agent"}}


def test_revalidation_due_counts_hours_from_the_last_check() -> None:
    from cnca_watch.capture import revalidation_due
    from cnca_watch.models import AttachmentFile, Validators
    from cnca_watch.store.attachments import KnownAttachment

    def known(checked_at: str) -> KnownAttachment:
        file = AttachmentFile(url="u", name="n", sha256="0" * 64, size=1, kind="pdf", text="", note=None, sheets_json="[]")
        return KnownAttachment(file, Validators('"e"', None), checked_at)

    assert revalidation_due(None, at(0), 12)  # never captured
    assert not revalidation_due(known(at(0)), at(11.99), 12)
    assert revalidation_due(known(at(0)), at(12), 12)
    assert revalidation_due(known(at(0)), at(0), 0)  # 0: every run
    assert revalidation_due(known(at(5)), at(0), 12)  # checked "in the future": the clock was set back
    assert revalidation_due(known("not a time"), at(0), 12)


def test_a_link_that_gave_no_file_is_throttled_like_a_captured_one_and_found_when_it_appears(tmp_path: Path) -> None:
    broken = pages()
    del broken["/files/rules.docx"]  # the link answers 404
    with PageServer(broken) as site:
        config = config_for(site, tmp_path)
        first, asked = run_at(config, site, 0)
        assert len(asked) == 1 and [c.kind for c in first.changes] == [ChangeKind.NEW]
        assert any("/files/rules.docx" in note for s in first.sources for note in s.attachment_notes)

        _, asked = run_at(config, site, 1)  # an hour later: not asked again
        assert asked == []
        site.pages["/files/rules.docx"] = files.docx(("第一版实施规则",))  # the site fixes the link
        _, asked = run_at(config, site, 11.9)
        assert asked == []
        found, asked = run_at(config, site, 12)  # due: asked, and the file is captured now
        assert len(asked) == 1 and "if-none-match" not in asked[0][1]
        _, asked = run_at(config, site, 13)  # captured: the ordinary throttle from here
        assert asked == []
    from cnca_watch.store import Store

    with Store.open(tmp_path / "store.db") as store:
        assert store.attachment_file(site.url("/files/rules.docx")) is not None


def test_revalidation_due_counts_a_failed_link_from_its_last_failure() -> None:
    from cnca_watch.capture import revalidation_due

    assert not revalidation_due(None, at(5), 12, failed_at=at(0))
    assert revalidation_due(None, at(12), 12, failed_at=at(0))
    assert revalidation_due(None, at(1), 0, failed_at=at(0))  # 0: every run
