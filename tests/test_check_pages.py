"""`check` on small static sites that a test edits between runs (tests/page_server.py)."""

from __future__ import annotations

import json
from pathlib import Path

from page_server import PageServer

from cnca_watch.models import SourceStatus
from cnca_watch.pipeline import acknowledge, check
from cnca_watch.settings import Config, FetchSettings, Selectors, SourceConfig

FAST = FetchSettings(retries=0, backoff=0.05, read_timeout=2.0, connect_timeout=2.0)


def list_page(rows: list[tuple[str, str, str]], *, with_title_attribute: bool = True) -> str:
    """A static list: (path, title as the row shows it, date) per row."""
    items = "".join(
        f'<li><a href="{path}"' + (f' title="{title}"' if with_title_attribute else "") + f">{title}</a>"
        f"<span>{date}</span></li>"
        for path, title, date in rows
    )
    return f'<html><head><meta charset="utf-8"></head><body><ul class="news">{items}</ul></body></html>'


def detail_page(title: str, body: str) -> str:
    return (
        f'<html><head><meta charset="utf-8"><title>{title}</title></head><body>'
        f'<div class="article"><h2 class="title">{title}</h2><div class="content"><p>{body}</p></div></div></body></html>'
    )


def run(config: Config, **options: object):  # type: ignore[no-untyped-def]
    result = check(config, **options)  # type: ignore[arg-type]
    acknowledge(config, result)
    return result


def config_for(url: str, store: Path, **source: object) -> Config:
    return Config(sources=(SourceConfig(name="site", url=url, **source),), store_path=store, fetch=FAST)  # type: ignore[arg-type]


FULL = "关于开展2024年度认证机构双随机一公开监督抽查工作的通知"
CUT = "关于开展2024年度认证…"


def test_a_title_cut_short_on_the_list_is_taken_whole_from_the_detail_page(store_path: Path) -> None:
    rows = [(f"/a/{n}.html", f"关于第{n}批强制性产品认证目录调整的公告", f"2024-05-{10 + n:02d}") for n in range(3)]
    pages = {"/list.html": list_page([("/a/cut.html", CUT, "2024-06-01"), *rows], with_title_attribute=False)}
    pages["/a/cut.html"] = detail_page(FULL, "为加强认证监管，现开展监督抽查。")
    pages.update({path: detail_page(title, "正文") for path, title, _ in rows})
    with PageServer(pages) as site:
        config = config_for(site.url("/list.html"), store_path)
        first = run(config)
        cut = next(c for c in first.changes if c.url.endswith("/a/cut.html"))
        assert cut.title == FULL
        assert "regulation" in {tag.id for tag in cut.areas}  # tagged on the whole title
        # the list row changes elsewhere (a new row on top): the cut row is not a change
        site.pages["/list.html"] = list_page(
            [("/a/new.html", "关于发布认证认可行业标准的公告", "2024-06-02"), ("/a/cut.html", CUT, "2024-06-01"), *rows],
            with_title_attribute=False,
        )
        site.pages["/a/new.html"] = detail_page("关于发布认证认可行业标准的公告", "正文")
        second = run(config)
    assert [(c.kind.value, c.url.rsplit("/", 1)[1]) for c in second.changes] == [("new", "new.html")]


def test_a_site_dropping_its_title_attributes_is_not_a_title_change(store_path: Path) -> None:
    rows = [(f"/a/{n}.html", f"{FULL[:-2]}第{n}号通知", f"2024-05-{10 + n:02d}") for n in range(4)]
    pages = {"/list.html": list_page(rows)}
    pages.update({path: detail_page(title, "正文") for path, title, _ in rows})
    with PageServer(pages) as site:
        config = config_for(site.url("/list.html"), store_path)
        run(config)
        # the same rows, now cut to 12 characters with "…" and no title attribute
        site.pages["/list.html"] = list_page(
            [(path, title[:12] + "…", date) for path, title, date in rows], with_title_attribute=False
        )
        second = run(config)
    assert second.changes == ()
    assert second.sources[0].status is SourceStatus.OK


def test_changed_selectors_are_applied_although_the_list_answers_304(store_path: Path) -> None:
    rows = [(f"/a/{n}.html", f"关于第{n}批强制性产品认证目录调整的公告", f"2024-05-{10 + n:02d}") for n in range(6)]
    pages = {"/list.html": list_page(rows)}
    pages.update({path: detail_page(title, "正文") for path, title, _ in rows})
    with PageServer(pages) as site:
        url = site.url("/list.html")
        run(config_for(url, store_path, selectors=Selectors(items="ul.news > li")))
        again = run(config_for(url, store_path, selectors=Selectors(items="ul.news > li")))
        assert again.sources[0].items_seen == 6
        assert "if-none-match" in site.requests[-1][1]  # same selectors: revalidated, 304
        edited = run(config_for(url, store_path, selectors=Selectors(items="div.nothing")))
        assert "if-none-match" not in site.requests[-1][1]
    (source,) = edited.sources
    assert source.status is SourceStatus.LAYOUT_CHANGED and "0 items (6 last time)" in (source.error or "")


def test_a_list_that_really_got_shorter_is_held_back_until_accepted(store_path: Path) -> None:
    rows = [(f"/a/{n}.html", f"关于第{n}批强制性产品认证目录调整的公告", f"2024-05-{20 - n:02d}") for n in range(8)]
    pages = {"/list.html": list_page(rows)}
    pages.update({path: detail_page(title, "正文") for path, title, _ in rows})
    pages["/a/new.html"] = detail_page("关于发布认证认可行业标准的公告", "正文")
    with PageServer(pages) as site:
        config = config_for(site.url("/list.html"), store_path)
        run(config)
        site.pages["/list.html"] = list_page([("/a/new.html", "关于发布认证认可行业标准的公告", "2024-05-21"), *rows[:2]])
        held = run(config)
        (source,) = held.sources
        assert source.status is SourceStatus.LAYOUT_CHANGED and held.changes == ()
        assert "only 3 items (8 last time)" in (source.error or "")
        assert "cnca-watch check --accept-layout site" in (source.error or "")
        assert run(config).sources[0].status is SourceStatus.LAYOUT_CHANGED  # still, every day
        accepted = run(config, accept_layout=["site"])
        assert accepted.sources[0].status is SourceStatus.OK
        assert [(c.kind.value, c.url.rsplit("/", 1)[1]) for c in accepted.changes] == [("new", "new.html")]
        after = run(config)  # the shorter list is the new normal
    assert after.sources[0].status is SourceStatus.OK and after.changes == ()


def test_the_same_link_written_raw_or_percent_encoded_is_one_announcement(store_path: Path) -> None:
    rows = [(f"/a/{n}.html", f"关于第{n}批强制性产品认证目录调整的公告", f"2024-05-{20 - n:02d}") for n in range(3)]
    middle = ("./公告 一.html", "关于发布认证认可行业标准的公告", "2024-05-19")
    pages = {"/list.html": list_page([rows[0], middle, *rows[1:]])}
    pages.update({path: detail_page(title, "正文") for path, title, _ in rows})
    pages["/%E5%85%AC%E5%91%8A%20%E4%B8%80.html"] = detail_page(middle[1], "正文")
    with PageServer(pages) as site:
        config = config_for(site.url("/list.html"), store_path)
        first = run(config)
        (announcement,) = [c for c in first.changes if c.title == middle[1]]
        assert announcement.url == site.url("/%E5%85%AC%E5%91%8A%20%E4%B8%80.html")  # a plain-ASCII URI
        for spelling in ("./%E5%85%AC%E5%91%8A%20%E4%B8%80.html", "./%e5%85%ac%e5%91%8a%20%e4%b8%80.html"):
            site.pages["/list.html"] = list_page([rows[0], (spelling, middle[1], middle[2]), *rows[1:]])
            again = run(config)
            assert again.changes == () and again.sources[0].status is SourceStatus.OK


def test_accept_layout_on_the_command_line(tmp_path: Path, store_path: Path) -> None:
    from typer.testing import CliRunner

    from cnca_watch.cli import app

    rows = [(f"/a/{n}.html", f"关于第{n}批强制性产品认证目录调整的公告", f"2024-05-{20 - n:02d}") for n in range(8)]
    pages = {"/list.html": list_page(rows), **{path: detail_page(title, "正文") for path, title, _ in rows}}
    with PageServer(pages) as site:
        config = tmp_path / "c.toml"
        config.write_text(f'[[sources]]\nname = "site"\nurl = "{site.url("/list.html")}"\n', encoding="utf-8")
        runner = CliRunner()
        base = ["check", "--config", str(config), "--store", str(store_path), "--json"]
        assert runner.invoke(app, base).exit_code == 0
        site.pages["/list.html"] = list_page(rows[:3])
        held = runner.invoke(app, base)
        assert held.exit_code == 1
        assert json.loads(held.stdout)["sources"][0]["status"] == "layout_changed"
        unknown = runner.invoke(app, [*base, "--accept-layout", "nope"])
        assert unknown.exit_code == 2 and "--accept-layout no source named 'nope'" in unknown.stderr
        accepted = runner.invoke(app, [*base, "--accept-layout", "site"])
    assert accepted.exit_code == 0
    document = json.loads(accepted.stdout)
    assert document["sources"][0]["status"] == "ok" and document["sources"][0]["items_seen"] == 3
    assert document["changes"] == []  # the five rows that left the bottom were not removed


def test_a_source_pointed_at_another_page_starts_a_new_baseline(store_path: Path) -> None:
    old = [(f"/a/{n}.html", f"关于第{n}批强制性产品认证目录调整的公告", f"2024-05-{20 - n:02d}") for n in range(5)]
    new = [(f"/b/{n}.html", f"关于第{n}批检验检测机构资质认定的公告", f"2024-04-{20 - n:02d}") for n in range(7)]
    pages = {"/old.html": list_page(old), "/new.html": list_page(new)}
    pages.update({path: detail_page(title, "正文") for path, title, _ in old + new})
    with PageServer(pages) as site:
        run(config_for(site.url("/old.html"), store_path))
        del site.pages["/a/1.html"]  # would read as a withdrawal if the old rows were judged
        moved = run(config_for(site.url("/new.html"), store_path))
        requested = [path for path, _ in site.requests]
    (source,) = moved.sources
    assert source.status is SourceStatus.OK and source.first_run
    assert sorted(c.url.rsplit("/", 2)[1] + "/" + c.url.rsplit("/", 1)[1] for c in moved.changes) == sorted(
        path.removeprefix("/") for path, _, _ in new
    )
    assert {c.kind.value for c in moved.changes} == {"new"}
    assert "/a/1.html" not in requested[-8:]  # the old page's rows are not probed


def test_a_source_pointed_at_the_jpaas_list_api_is_refused_with_the_fix(tmp_path):
    # The address public crawlers quote: its JSON answer is not a page to watch.
    api = "/api-gateway/jpaas-publish-server/front/page/build/unit"
    answer = json.dumps(
        {"success": True, "code": "200", "data": {"html": '<ul class="common_list_ul"><li><a href="art/2024/art_1.html">关于开展认证的通知</a><span>2024-01-12</span></li></ul>'}},
        ensure_ascii=False,
    )
    with PageServer({api: answer, "/answer.json": answer}) as site:
        for path in (api, "/answer.json"):
            store = tmp_path / f"{path.strip('/').replace('/', '_')}.db"
            result = run(config_for(site.url(path), store))
            (source,) = result.sources
            assert source.status is SourceStatus.ERROR
            assert "jpaas list API" in (source.error or "")
            assert "set the source's url to the column's list page" in (source.error or "")
            assert result.changes == ()  # nothing of the JSON was stored as announcements
