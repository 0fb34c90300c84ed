"""`check` end to end against the bundled mirror on 127.0.0.1 (the story in demo/STORY.md).

Expected values are written by hand from STORY.md, never computed by the code under test.
Every test taking ``store_path`` runs twice: on a SQLite file and on a PostgreSQL database.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import jsonschema
import pytest

from mirror_helpers import DAY2_CHANGES, RZ, TZ, make_config, run_and_ack, summarise
from store_helpers import query

from cnca_watch.pipeline import check
from cnca_watch.demo import demo_sources
from cnca_watch.models import ChangeKind, SourceStatus
from cnca_watch.render.json import load_schema, run_to_json
from cnca_watch.settings import FetchSettings


@pytest.fixture
def store_path(store_url: Path | str) -> Path | str:
    """Both backends (see conftest's ``store_url``)."""
    return store_url

def test_day1_is_a_baseline_with_every_item_exactly_once(mirror, store_path: Path) -> None:
    config = make_config(mirror.base_url, store_path)
    result = run_and_ack(config)
    by_source = {s.name: s for s in result.sources}
    assert {name: (s.status, s.items_seen, s.new, s.first_run) for name, s in by_source.items()} == {
        "cnca-notices": (SourceStatus.OK, 10, 10, True),
        "cnca-announcements": (SourceStatus.OK, 7, 7, True),
        "samr-certification": (SourceStatus.OK, 9, 9, True),
        "province-notices": (SourceStatus.OK, 6, 6, True),
    }
    assert all(c.kind is ChangeKind.NEW for c in result.changes)
    urls = [c.url for c in result.changes]
    assert len(urls) == len(set(urls)) == 32
    assert all(u.startswith(mirror.base_url + "/") for u in urls)
    got = {c.url.removeprefix(mirror.base_url): (c.title, c.date) for c in result.changes}
    # truncated visible text, whole a[title]
    assert got[RZ + "art_6a83555d972462aebaa78b3f207efffb.html"] == (
        "市场监管总局办公厅关于开展2024年认证活动“双随机、一公开”监管工作暨认证有效性抽查的通知", "2024-06-14")
    # hard line break inside a[title]
    assert got[RZ + "art_59e893961638caefd39ed52fd0490b03.html"] == (
        "市场监管总局办公厅关于深入开展小微企业质量管理体系认证提升行动的通知", "2024-05-15")
    # art/2023/ in the URL, published 2024
    assert got["/zw/zfxxgk/fdzdgknr/rzjgs/art/2023/art_b1d5231e2b89b73f8a312ba64aad90c3.html"][1] == "2024-01-09"
    # PubDate meta rewritten to 2024-06-05; list and 发布时间 say 2024-04-26
    assert got[TZ + "art_1815c88e7e517caacb6512907c89072c.html"][1] == "2024-04-26"
    # GB18030 page declaring gb2312, with a GBK-only character
    assert got["/province/gg/2024/t20240530_4109914.html"] == (
        "关于撤销杭州喆华检测技术有限公司检验检测机构资质认定证书的公告", "2024-05-30")
    # page 2 of the notices API is outside the window
    assert TZ + "art_d72d9cde389f05269f62bab9dcc4c1de.html" not in got


def test_day1_attachments_from_body_and_from_samr_side_list(mirror, store_path: Path) -> None:
    result = run_and_ack(make_config(mirror.base_url, store_path))
    by_url = {c.url.removeprefix(mirror.base_url): c for c in result.changes}
    notice = by_url[TZ + "art_d478e6e3e7de5b8b0c303aa7aef0eac3.html"]
    names = [a.name for a in notice.attachments]
    assert names == ["附件1：2024年度国家级能力验证计划项目表.pdf", "附件2：能力验证结果处理要求.pdf"]
    assert notice.attachments[0].url == (
        mirror.base_url + "/cms_files/filemanager/953091537/attach/20246/c4ebc20a737c432c233e24384a413607.pdf")
    samr = by_url[RZ + "art_6a83555d972462aebaa78b3f207efffb.html"]
    assert [a.name for a in samr.attachments] == ["附件1：2024年认证有效性抽查工作方案.pdf", "附件2：抽查结果汇总表.xlsx"]


def test_day2_reports_exactly_the_true_changes(mirror, store_path: Path) -> None:
    config = make_config(mirror.base_url, store_path)
    run_and_ack(config)
    mirror.set_day(2)
    result = run_and_ack(config)
    assert summarise(result, mirror.base_url) == DAY2_CHANGES
    assert not result.failed
    assert all(not s.first_run for s in result.sources)
    province = next(c for c in result.changes if c.source == "province-notices")
    assert [(a.name, a.url.removeprefix(mirror.base_url)) for a in province.attachments] == [
        ("附件：责令整改机构名单.xls", "/province/gg/2024/P020240618390125512345.xls")]
    changed = next(c for c in result.changes if c.kind is ChangeKind.CHANGED)
    assert changed.fields_changed[:2] == ("title", "body")
    # the correction moves the date the guide takes effect: a moved field, said in the diff
    assert "effective_date" in changed.fields_changed
    assert "effective_date: 2024-06-01 → 2024-07-01" in changed.diff.splitlines()
    assert changed.fields is not None and changed.fields.effective_date == "2024-07-01"
    assert "{+（更正）+}" in changed.diff
    assert "{+" in changed.diff.split("body:", 1)[1] and "特此更正" in changed.diff
    # the scrolled-off notices were not removed, and are still in the store
    counts = {s.name: (s.items_seen, s.new, s.changed, s.removed) for s in result.sources}
    assert counts["cnca-notices"] == (10, 2, 1, 0)
    assert counts["samr-certification"] == (8, 0, 0, 1)
    # an item whose row did not change keeps its stored version: one version per announcement,
    # plus one for the corrected notice (35 announcements: day 1's 32 and day 2's 3 new)
    assert query(store_path, "SELECT COUNT(*) FROM announcements") == [(35,)]
    assert query(store_path, "SELECT COUNT(*) FROM versions") == [(36,)]


def test_unchanged_day_reports_nothing_and_fetches_no_detail_page(mirror, store_path: Path) -> None:
    config = make_config(mirror.base_url, store_path)
    run_and_ack(config)
    mirror.set_day(2)
    run_and_ack(config)
    mirror.reset_requests()
    result = run_and_ack(config)
    assert result.changes == ()
    assert [s.status for s in result.sources] == [SourceStatus.OK] * 4
    paths = [path for _, path, _ in mirror.requests]
    assert not [p for p in paths if "/art_" in p or "/2024/t2024" in p], "no detail page may be refetched"
    # the API answers and the static page revalidate to 304
    statuses = {path: status for _, path, status in mirror.requests}
    assert statuses["/province/gg/index.html"] == 304
    assert [s for p, s in statuses.items() if p.startswith("/api-gateway/")] == [304, 304, 304]
    if isinstance(store_path, Path):
        with sqlite3.connect(store_path) as db:
            assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_unacknowledged_changes_are_reported_again_once(mirror, store_path: Path) -> None:
    config = make_config(mirror.base_url, store_path)
    run_and_ack(config)
    mirror.set_day(2)
    lost = check(config)  # its output never got out: not acknowledged
    assert len(lost.changes) == 5
    again = run_and_ack(config)
    assert summarise(again, mirror.base_url) == DAY2_CHANGES
    assert run_and_ack(config).changes == ()


def test_json_document_matches_the_shipped_schema(mirror, store_path: Path) -> None:
    config = make_config(mirror.base_url, store_path)
    first = run_and_ack(config)
    mirror.set_day(2)
    second = run_and_ack(config)
    schema = load_schema()
    for result in (first, second):
        document = json.loads(json.dumps(run_to_json(result), ensure_ascii=False))
        jsonschema.validate(document, schema)
    doc = run_to_json(second)
    assert doc["schema_version"] == 1
    assert {c["kind"] for c in doc["changes"]} == {"new", "changed", "removed"}


def test_schema_rejects_a_document_with_a_wrong_status() -> None:
    schema = load_schema()
    bad = {"schema_version": 1, "run": {"id": 1, "started_at": "2024-01-01T00:00:00Z", "finished_at": "2024-01-01T00:00:00Z"},
           "sources": [{"name": "a", "url": "http://x/", "status": "fine", "error": None, "items_seen": 0,
                        "first_run": False, "new": 0, "changed": 0, "removed": 0, "requests": 0, "backfilled": 0}],
           "changes": []}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, schema)


def test_areas_are_attached_to_changes(mirror, store_path: Path) -> None:
    result = run_and_ack(make_config(mirror.base_url, store_path))
    by_url = {c.url.removeprefix(mirror.base_url): c for c in result.changes}
    metrology = by_url[RZ + "art_48dd4329ef4eea1229ce450872544ace.html"]
    assert metrology.areas == ()  # 计量 is outside the certification domain
    ccc = by_url[RZ + "art_d7fa1f3a378dec2a7b6d3c8526947e80.html"]  # 调整完善强制性产品认证目录
    assert ccc.areas and ccc.areas[0].id == "unified-management"
    assert any(e.where == "title" for e in ccc.areas[0].evidence)


def test_details_off_reads_list_pages_only(mirror, store_path: Path) -> None:
    from dataclasses import replace

    config = make_config(mirror.base_url, store_path)
    config = replace(config, sources=tuple(replace(s, details=False) for s in config.sources))
    result = run_and_ack(config)
    assert len(result.changes) == 32
    assert all(c.attachments == () for c in result.changes)
    assert not [p for _, p, _ in mirror.requests if "/art_" in p or "/2024/t2024" in p]


def test_an_unexpected_error_in_one_source_leaves_the_others_checked(
    mirror, store_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import cnca_watch.pipeline as pipeline

    real = pipeline.find_jpaas_unit

    def fragile(html: str, page_url: str):  # type: ignore[no-untyped-def]
        if "/province/" in page_url:
            raise ZeroDivisionError("division by zero")
        return real(html, page_url)

    monkeypatch.setattr(pipeline, "find_jpaas_unit", fragile)
    result = run_and_ack(make_config(mirror.base_url, store_path))
    by_name = {s.name: s for s in result.sources}
    assert by_name["province-notices"].status is SourceStatus.ERROR
    assert "unexpected ZeroDivisionError" in (by_name["province-notices"].error or "")
    assert all(s.status is SourceStatus.OK for n, s in by_name.items() if n != "province-notices")
    assert len(result.changes) == 26  # 10 + 7 + 9: the other three sources' baselines


def test_withdrawal_in_a_short_window_does_not_report_the_next_older_item_as_new(
    mirror, store_path: Path
) -> None:
    # SAMR's column shows 5 rows per page here; on day 2 the withdrawn notice (2024-05-27)
    # leaves the window and the 2024-04-10 notice below it moves up into view.
    from dataclasses import replace

    samr = [replace(s, page_size=5) for s in demo_sources(mirror.base_url) if s.name == "samr-certification"]
    config = replace(make_config(mirror.base_url, store_path), sources=tuple(samr), fetch=FetchSettings(retries=1, backoff=0.05))
    run_and_ack(config)
    mirror.set_day(2)
    result = run_and_ack(config)
    assert summarise(result, mirror.base_url) == {
        ("removed", "samr-certification", RZ + "art_23a52d099b6543fcc908a23cc3f3e89b.html",
         "市场监管总局办公厅关于进一步规范强制性产品认证目录外产品宣传用语的通知", "2024-05-27"),
    }
    (source,) = result.sources
    assert (source.items_seen, source.new, source.removed, source.backfilled) == (5, 0, 1, 1)
    # recorded all the same: a later change to it is reported as a change
    ((listed,),) = query(
        store_path,
        "SELECT count(*) FROM announcements a JOIN versions v ON v.id = a.latest_version_id"
        " WHERE a.listed = 1 AND v.date = '2024-04-10'",
    )
    assert listed == 1
