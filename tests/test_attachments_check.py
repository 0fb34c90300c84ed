"""Attachments end to end through `check`: real files (made by real writers) served by a local
HTTP server, replaced files as changes, hostile files as notes, search over what was stored."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
import shutil
import sqlite3
from pathlib import Path

import attachment_files as files
import pytest
from page_server import PageServer
from typer.testing import CliRunner

from cnca_watch.cli import app
from cnca_watch.models import ChangeKind, SourceStatus
from cnca_watch.pipeline import acknowledge, check
from cnca_watch.searching import attachment_file, search_store
from cnca_watch.settings import Config, FetchSettings, SourceConfig
from cnca_watch.store import Store

FAST = FetchSettings(retries=0, backoff=0.05, read_timeout=5.0, connect_timeout=2.0, attachment_time_limit=10.0)
FIXTURES = Path(__file__).parent / "fixtures" / "store"

RULES = "关于发布强制性产品认证实施规则的公告 CCC certification rules"
RULES_V2 = "关于发布强制性产品认证实施规则修订版的公告 CCC certification rules"


def list_page(rows: list[tuple[str, str, str]]) -> str:
    items = "".join(f'<li><a href="{p}" title="{t}">{t}</a><span>{d}</span></li>' for p, t, d in rows)
    return f'<html><head><meta charset="utf-8"></head><body><ul class="news">{items}</ul></body></html>'


def detail_page(title: str, body: str, links: list[tuple[str, str]]) -> str:
    anchors = "".join(f'<p><a href="{href}">{name}</a></p>' for href, name in links)
    return (
        f'<html><head><meta charset="utf-8"><title>{title}</title></head><body><div class="article">'
        f'<h2 class="title">{title}</h2><div class="content"><p>{body}</p>{anchors}</div></div></body></html>'
    )


def config_for(url: str, store: Path, **fetch: object) -> Config:
    settings = replace(FAST, **fetch)  # type: ignore[arg-type]
    return Config(sources=(SourceConfig(name="site", url=url),), store_path=store, fetch=settings)


def run(config: Config):  # type: ignore[no-untyped-def]
    result = check(config)
    acknowledge(config, result)
    return result


CATALOGUE = [list(files.CATALOGUE_HEADER), *[list(r) for r in files.CATALOGUE_ROWS]]
GROWN = [*CATALOGUE, [4, "电动汽车充电桩", "CD-60", "GB/T 18487.1-2015"], [5, "智能门锁", "ZS-3", "GB 21556-2008"]]

TITLE_A = "关于发布强制性产品认证实施规则的公告"
TITLE_B = "关于公布强制性产品认证目录的公告"


def site_pages(today: str, *, pdf: bytes, xlsx: bytes) -> dict[str, str | bytes | tuple[bytes, dict[str, str]]]:
    return {
        "/list.html": list_page([("/a.html", TITLE_A, today), ("/b.html", TITLE_B, today)]),
        "/a.html": detail_page(
            TITLE_A, "现予以发布。",
            [("/files/rules.pdf", "附件1：实施规则.pdf"), ("/files/guide.docx", "附件2：指南.docx"),
             ("/files/old.xls", "附件3：旧目录.xls"), ("/files/bundle.zip", "附件4：材料.zip")],
        ),
        "/b.html": detail_page(
            TITLE_B, "目录见附件。",
            [("/api-gateway/jpaas-web-server/front/document/download?fileUrl=L2Ntcy9jYXQ%3D", "附件：目录")],
        ),
        "/files/rules.pdf": (pdf, {"Content-Type": "application/pdf"}),
        "/files/guide.docx": files.docx(("认证机构工作指南", "一、适用范围 English guidance")),
        "/files/old.xls": files.xls(),
        "/files/bundle.zip": files.zip_of({"说明.txt": "压缩包里的说明文字".encode("utf-8"), "rules.pdf": files.pdf(("压缩包内规则",))}),
        "/api-gateway/jpaas-web-server/front/document/download": (
            xlsx,
            {"Content-Disposition": "attachment; filename*=UTF-8''%E7%9B%AE%E5%BD%95.xlsx",
             "Content-Type": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
        ),
    }


@pytest.fixture
def today() -> str:
    from cnca_watch.clock import utc_now

    return utc_now()[:10]


def latest_files(store_path: Path, url: str) -> dict[str, object]:
    with Store.open(store_path) as store:
        found = store.announcement(url)
    assert found is not None
    return {f.name: f for f in found.versions[-1].files}


def test_real_files_are_captured_read_stored_once_and_searchable(tmp_path: Path, today: str) -> None:
    store_path = tmp_path / "store.db"
    pdf = files.pdf((RULES, "第二页 3C 2026"))
    with PageServer(site_pages(today, pdf=pdf, xlsx=files.xlsx({"目录": CATALOGUE}))) as site:
        config = config_for(site.url("/list.html"), store_path)
        result = run(config)
        assert [s.status for s in result.sources] == [SourceStatus.OK]
        captured = latest_files(store_path, site.url("/a.html"))
        assert set(captured) == {"附件1：实施规则.pdf", "附件2：指南.docx", "附件3：旧目录.xls", "附件4：材料.zip"}
        kinds = {name: f.kind for name, f in captured.items()}  # type: ignore[attr-defined]
        assert kinds == {"附件1：实施规则.pdf": "pdf", "附件2：指南.docx": "docx", "附件3：旧目录.xls": "xls", "附件4：材料.zip": "zip"}
        text = {name: f.text for name, f in captured.items()}  # type: ignore[attr-defined]
        assert "强制性产品认证实施规则" in text["附件1：实施规则.pdf"]
        assert "认证机构工作指南" in text["附件2：指南.docx"]
        assert "电动自行车" in text["附件3：旧目录.xls"]
        assert "压缩包里的说明文字" in text["附件4：材料.zip"] and "压缩包内规则" in text["附件4：材料.zip"]
        pdf_file = captured["附件1：实施规则.pdf"]
        assert pdf_file.sha256 == hashlib.sha256(pdf).hexdigest() and pdf_file.size == len(pdf)  # type: ignore[attr-defined]
        # an extension-less link is named from Content-Disposition
        sheet = latest_files(store_path, site.url("/b.html"))
        assert list(sheet) == ["目录.xlsx"] and "儿童玩具" in sheet["目录.xlsx"].text  # type: ignore[attr-defined]
        # the file comes back out byte for byte, by hash (prefix) or by link
        assert attachment_file(config, pdf_file.sha256[:12]).content == pdf  # type: ignore[attr-defined]
        assert attachment_file(config, site.url("/files/rules.pdf")).content == pdf
        out = tmp_path / "out.pdf"
        cli = CliRunner().invoke(app, ["attachment", "get", pdf_file.sha256, "-o", str(out), "--store", str(store_path)])  # type: ignore[attr-defined]
        assert cli.exit_code == 0, cli.output
        assert out.read_bytes() == pdf
        missing = CliRunner().invoke(app, ["attachment", "get", "0" * 64, "--store", str(store_path)])
        assert missing.exit_code == 2 and "no attachment" in missing.output and "Traceback" not in missing.output

        # search finds attachment text, not only titles and bodies
        hits = search_store(config, "压缩包里的说明", fields=("attachments",)).hits
        assert [h.url for h in hits] == [site.url("/a.html")] and hits[0].field == "attachments"
        assert "压缩包里的说明" in hits[0].snippet[hits[0].spans[0][0] : hits[0].spans[0][1] + 10]
        assert [h.url for h in search_store(config, "智能", fields=("attachments",)).hits] == []

        # a steady run: every file revalidated with a conditional GET, none downloaded again
        # (throttle off here; tests/test_attach_throttle.py covers the default 12 hours)
        site.requests.clear()
        again = run(replace(config, fetch=replace(config.fetch, recheck_attachments_every_hours=0)))
        assert again.changes == () and [s.status for s in again.sources] == [SourceStatus.OK]
        file_requests = [(path, headers) for path, headers in site.requests if path.startswith(("/files/", "/api-gateway/"))]
        assert len(file_requests) == 5 and all("if-none-match" in headers for _, headers in file_requests)
        # right after, with the default throttle: every link was revalidated seconds ago, none is asked
        site.requests.clear()
        assert run(config).changes == ()
        assert [path for path, _ in site.requests if path.startswith(("/files/", "/api-gateway/"))] == []
        with Store.open(store_path) as store:
            assert store.announcement(site.url("/a.html")).versions.__len__() == 1  # type: ignore[union-attr]


def test_a_replaced_pdf_and_a_sheet_that_gained_rows_are_changes_with_their_diffs(tmp_path: Path, today: str) -> None:
    store_path = tmp_path / "store.db"
    with PageServer(site_pages(today, pdf=files.pdf((RULES,)), xlsx=files.xlsx({"目录": CATALOGUE}))) as site:
        config = config_for(site.url("/list.html"), store_path, recheck_attachments_every_hours=0)
        run(config)
        site.pages["/files/rules.pdf"] = (files.pdf((RULES_V2,)), {"Content-Type": "application/pdf"})
        site.pages["/api-gateway/jpaas-web-server/front/document/download"] = (files.xlsx({"目录": GROWN}), {"Content-Disposition": 'attachment; filename="catalogue.xlsx"'})
        result = run(config)
    by_url = {c.url: c for c in result.changes}
    assert set(by_url) == {site.url("/a.html"), site.url("/b.html")}
    rules, catalogue = by_url[site.url("/a.html")], by_url[site.url("/b.html")]
    assert rules.kind is ChangeKind.CHANGED and rules.fields_changed == ("attachments",)
    assert "file replaced under the same link" in rules.diff and "{+修订版+}" in rules.diff.replace("{+修+}{+订+}{+版+}", "{+修订版+}")
    assert catalogue.kind is ChangeKind.CHANGED and catalogue.fields_changed == ("attachments",)
    assert "2 rows added (key 产品名称)" in catalogue.diff and "电动汽车充电桩" in catalogue.diff and "智能门锁" in catalogue.diff
    with Store.open(store_path) as store:
        history = store.announcement(site.url("/a.html"))
    assert history is not None and len(history.versions) == 2
    old, new = ({f.name: f for f in v.files}["附件1：实施规则.pdf"] for v in history.versions)
    assert old.sha256 != new.sha256 and "修订版" in new.text and "修订版" not in old.text
    # every version stays searchable: the old text and the new one
    assert [h.version_id for h in search_store(config, "修订版", fields=("attachments",)).hits] == [history.versions[1].id]
    # show lists every version's file: hash, size, type and its text (an excerpt, or --full)
    shown = CliRunner().invoke(app, ["show", site.url("/a.html"), "--format", "text", "--store", str(store_path)])
    assert shown.exit_code == 0, shown.output
    for version_file in (old, new):
        assert f"pdf · {version_file.size} bytes · sha256 {version_file.sha256}" in shown.output
    assert "| 关于发布强制性产品认证实施规则修订版的公告" in shown.output
    long_text = "认证" * 400
    with Store.open(store_path) as store:  # a long text is cut without --full
        store._db.conn.execute("UPDATE files SET text = ? WHERE sha256 = ?", (long_text, new.sha256))
        store._db.conn.commit()
    short = CliRunner().invoke(app, ["show", site.url("/a.html"), "-f", "text", "--store", str(store_path)]).output
    full = CliRunner().invoke(app, ["show", site.url("/a.html"), "-f", "text", "--full", "--store", str(store_path)]).output
    assert long_text not in short and "--full for all of it" in short and long_text in full


@pytest.mark.parametrize(
    ("served", "note"),
    [
        (files.pdf((RULES,), user_password="secret"), "text not extracted"),
        (b"%PDF-1.7\n" + b"\x00garbage" * 200, "text not extracted"),
        (files.zip_bomb(200 * 1024 * 1024), "exceeds"),
        (b"<!DOCTYPE html><html><head><title>500 Internal Server Error</title></head><body>error</body></html>", "HTML"),
    ],
    ids=["encrypted-pdf", "malformed-pdf", "zip-bomb", "html-instead-of-file"],
)
def test_a_hostile_file_is_a_note_and_never_a_failed_source_or_a_lost_change(
    tmp_path: Path, today: str, served: bytes, note: str
) -> None:
    store_path = tmp_path / "store.db"
    pages = site_pages(today, pdf=served, xlsx=files.xlsx({"目录": CATALOGUE}))
    pages["/files/guide.docx"] = b"<html><body>really a web page, named .docx</body></html>"
    with PageServer(pages) as site:
        result = run(config_for(site.url("/list.html"), store_path))
    assert [s.status for s in result.sources] == [SourceStatus.OK]
    assert {c.url for c in result.changes} == {site.url("/a.html"), site.url("/b.html")}
    assert any("/files/rules.pdf" in n for n in result.sources[0].attachment_notes)  # reported with the run
    captured = latest_files(store_path, site.url("/a.html"))
    hostile = captured["附件1：实施规则.pdf"]
    assert hostile.note is not None and note.lower() in hostile.note.lower()  # type: ignore[attr-defined]
    assert captured["附件2：指南.docx"].note is not None  # type: ignore[attr-defined]
    assert "认证机构" not in captured["附件2：指南.docx"].text  # type: ignore[attr-defined]


def test_attachments_off_downloads_nothing_and_a_budget_bounds_a_run(tmp_path: Path, today: str) -> None:
    with PageServer(site_pages(today, pdf=files.pdf((RULES,)), xlsx=files.xlsx({"目录": CATALOGUE}))) as site:
        run(config_for(site.url("/list.html"), tmp_path / "off.db", attachments=False))
        assert not [p for p, _ in site.requests if p.startswith(("/files/", "/api-gateway/"))]
        assert latest_files(tmp_path / "off.db", site.url("/a.html")) == {}
        site.requests.clear()
        result = run(config_for(site.url("/list.html"), tmp_path / "budget.db", attachment_budget_bytes=1, per_host=1))
        assert [s.status for s in result.sources] == [SourceStatus.OK] and len(result.changes) == 2
        # every file is over a one-byte budget: none stored, the announcements recorded all the same
        assert latest_files(tmp_path / "budget.db", site.url("/a.html")) == {}


def test_keep_files_false_keeps_the_text_only(tmp_path: Path, today: str) -> None:
    from cnca_watch.errors import UsageError

    with PageServer(site_pages(today, pdf=files.pdf((RULES,)), xlsx=files.xlsx({"目录": CATALOGUE}))) as site:
        config = replace(config_for(site.url("/list.html"), tmp_path / "text.db"), keep_files=False)
        run(config)
    captured = latest_files(tmp_path / "text.db", site.url("/a.html"))
    assert "强制性产品认证" in captured["附件1：实施规则.pdf"].text  # type: ignore[attr-defined]
    with pytest.raises(UsageError, match="keep_files"):
        attachment_file(config, captured["附件1：实施规则.pdf"].sha256)  # type: ignore[attr-defined]


# ---------------------------------------------------------------------------- search

SEARCH_TITLES = [
    ("/s1.html", "关于强制性产品认证（3C）目录调整的公告", "电线电缆纳入目录。Certification scope updated."),
    ("/s2.html", "关于检验检测机构资质认定工作的通知", "资质认定评审准则。"),
    ("/s3.html", "关于认可机构国际互认的通知", "国际互认协议签署。laboratory accreditation"),
]


@pytest.fixture
def search_config(tmp_path: Path, today: str):  # type: ignore[no-untyped-def]
    pages: dict[str, str | bytes | tuple[bytes, dict[str, str]]] = {
        "/list.html": list_page([(p, t, today) for p, t, _ in SEARCH_TITLES])
    }
    pages.update({p: detail_page(t, b, []) for p, t, b in SEARCH_TITLES})
    with PageServer(pages) as site:
        config = config_for(site.url("/list.html"), tmp_path / "search.db")
        run(config)
        yield config, site


def found(config: Config, query: str, **options: object) -> list[str]:
    return [h.url.rsplit("/", 1)[-1] for h in search_store(config, query, **options).hits]  # type: ignore[arg-type]


def test_search_three_two_character_latin_phrase_and_boolean_queries(search_config) -> None:  # type: ignore[no-untyped-def]
    config, _site = search_config
    assert found(config, "互认") == ["s3.html"]  # 2 characters: below a trigram
    assert found(config, "认证") == ["s1.html"]  # 资质认定 and 认可 are not 认证
    assert found(config, "资质认定") == ["s2.html"]
    assert found(config, "3C") == ["s1.html"]
    assert found(config, "3c") == ["s1.html"]  # ASCII case-insensitive
    assert found(config, "检验检测机构") == ["s2.html"]
    assert found(config, '"scope updated"') == ["s1.html"]
    assert found(config, '"updated scope"') == []
    assert found(config, "互认 AND laboratory") == ["s3.html"]
    assert sorted(found(config, "电线 OR 评审")) == ["s1.html", "s2.html"]
    assert found(config, "accreditation") == ["s3.html"]
    assert found(config, "电线", fields=("title",)) == []
    assert found(config, "互认", sources=("site",)) == ["s3.html"] and found(config, "互认", sources=("other",)) == []
    assert found(config, "互认", since="2999-01-01") == [] and found(config, "互认", kinds=("removed",)) == []
    assert found(config, "互认", kinds=("new",)) == ["s3.html"]


def test_search_cli_json_has_spans_and_text_marks_the_match(search_config) -> None:  # type: ignore[no-untyped-def]
    config, _site = search_config
    cli = CliRunner().invoke(app, ["search", "互认", "--json", "--store", str(config.store_path)])
    assert cli.exit_code == 0, cli.output
    payload = json.loads(cli.output)
    hit = payload["hits"][0]
    start, end = hit["spans"][0]
    assert hit["snippet"][start:end] == "互认" and hit["source"] == "site" and hit["date"]
    text = CliRunner().invoke(app, ["search", "互认", "--format", "text", "--store", str(config.store_path)])
    assert "«互认»" in text.output
    bad = CliRunner().invoke(app, ["search", '"unclosed', "--store", str(config.store_path)])
    assert bad.exit_code == 2 and "unclosed quote" in bad.output


def test_a_store_from_before_attachments_is_indexed_on_upgrade(tmp_path: Path) -> None:
    old = tmp_path / "v2.db"
    shutil.copyfile(FIXTURES / "schema-v2.db", old)
    conn = sqlite3.connect(old)
    title = conn.execute("SELECT title FROM versions ORDER BY id LIMIT 1").fetchone()[0]
    versions = conn.execute("SELECT count(*) FROM versions").fetchone()[0]
    conn.close()
    config = Config(sources=(), store_path=old)
    hits = search_store(config, title[:6], fields=("title",), limit=50).hits
    assert hits and all(title[:6] in h.title for h in hits)
    conn = sqlite3.connect(old)
    assert conn.execute("SELECT count(*) FROM search_doc").fetchone()[0] == versions
    conn.close()


# ---------------------------------------------------------------------------- the demo's story

RULES_PAGE = "/zwxx/gg/2024/art/2024/art_5550a5fe35acc39a718ac200fd822820.html"
STATS_PAGE = "/zwxx/gg/2024/art/2024/art_7fac1dccde2fa8e3e03a2cde12e1998f.html"


def test_the_demo_day2_replaces_a_pdf_and_adds_rows_to_a_sheet(tmp_path: Path) -> None:
    from mirror_helpers import make_config

    from cnca_watch.demo.server import MirrorServer

    with MirrorServer(day=1) as mirror:
        # the mirror's announcements are from 2024: revalidate them all, as `cnca-watch demo` does
        config = make_config(
            mirror.base_url, tmp_path / "demo.db", recheck_attachments_days=36500, recheck_attachments_every_hours=0
        )
        run(config)
        mirror.set_day(2)
        result = run(config)
        base = mirror.base_url
    by_url = {c.url.removeprefix(base): c for c in result.changes}
    rules, stats = by_url[RULES_PAGE], by_url[STATS_PAGE]
    assert rules.kind is ChangeKind.CHANGED and rules.fields_changed == ("attachments",)
    assert "file replaced under the same link" in rules.diff and "初始工厂检查" in rules.diff.replace("{+", "").replace("+}", "")
    assert stats.kind is ChangeKind.CHANGED and stats.fields_changed == ("attachments",)
    assert "2 rows added (key 机构类型)" in stats.diff and "认可的检验机构" in stats.diff
    with Store.open(tmp_path / "demo.db") as store:
        history = store.announcement(base + STATS_PAGE)
    assert history is not None and [len(v.files) for v in history.versions] == [1, 1]
    assert "认可的实验室" in history.versions[0].files[0].text
