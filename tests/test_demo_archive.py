"""The demo mirror's archive (``MirrorServer(archive=True)``) served over real HTTP on 127.0.0.1.

Expected numbers are the hand counts written in src/cnca_watch/demo/STORY.md ("The archive"),
copied here by hand; the walk uses the product's own list and detail extractors, as a
backfill would.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterator

import httpx
import pytest

from cnca_watch.demo.server import MirrorServer
from cnca_watch.extract.detail import extract_detail
from cnca_watch.extract.families import find_jpaas_unit, parse_jpaas_payload
from cnca_watch.extract.lists import extract_list
from cnca_watch.models import ListedItem

AREAS = ("unified-management", "going-global", "serving-development", "regulation", "capabilities", "benefit")
JPAAS_COLUMNS = {  # list page -> items listed on day 1 (story + archive), from STORY.md
    "/zwxx/tz/index.html": 32,
    "/zwxx/gg/index.html": 25,
    "/zw/zfxxgk/fdzdgknr/rzjgs/": 27,
}
PROVINCE_DAY1 = 26
PROVINCE_PAGES = ("/province/gg/index.html", "/province/gg/index_1.html", "/province/gg/index_2.html")
# STORY.md hand count: (year 2023, year 2024 on day 1) per area, then the items with no area.
HAND_COUNT = {
    "unified-management": (11, 14),
    "going-global": (4, 7),
    "serving-development": (6, 6),
    "regulation": (12, 15),
    "capabilities": (7, 6),
    "benefit": (6, 13),
}
HAND_NO_AREA = (5, 6)
HAND_ITEMS = (51, 59)
MAX_PAGES = 20  # bounds every walk: the archive has at most 4 pages of 10 per column
CREATE_PAGE = re.compile(r'createPageHTML\((\d+),\s*(\d+),\s*"index",\s*"html"\)')


@pytest.fixture(scope="module")
def srv() -> Iterator[MirrorServer]:
    with MirrorServer(archive=True) as server:
        yield server


@pytest.fixture(scope="module")
def client(srv: MirrorServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=srv.base_url, timeout=5.0) as c:
        yield c


def _walk_jpaas(client: httpx.Client, base: str, list_path: str, page_size: int) -> tuple[list[ListedItem], set[int]]:
    unit = find_jpaas_unit(client.get(list_path).text, base + list_path)
    assert unit is not None
    rows: list[ListedItem] = []
    totals: set[int] = set()
    for page_no in range(1, MAX_PAGES + 1):
        answer = client.get(unit.api_url, params=unit.page_params(page_no, page_size))
        assert answer.status_code == 200
        payload = parse_jpaas_payload(answer.text)
        assert payload.total is not None
        totals.add(payload.total)
        page_rows = extract_list(payload.html, base + list_path)
        if not page_rows:
            break
        assert len(page_rows) <= page_size
        rows.extend(page_rows)
    return rows, totals


def _walk_province(client: httpx.Client, base: str) -> tuple[list[ListedItem], list[tuple[int, int]], list[int]]:
    rows: list[ListedItem] = []
    pagers: list[tuple[int, int]] = []
    totals: list[int] = []
    path = PROVINCE_PAGES[0]
    for _ in range(MAX_PAGES):
        answer = client.get(path)
        assert answer.status_code == 200
        text = answer.content.decode("gb18030")
        found = CREATE_PAGE.search(text)
        assert found is not None, path
        count, current = int(found.group(1)), int(found.group(2))
        pagers.append((count, current))
        totals.append(int(re.search(r"共(\d+)条记录", text).group(1)))  # type: ignore[union-attr]
        rows.extend(extract_list(text, base + path))
        if current + 1 >= count:
            break
        path = f"/province/gg/index_{current + 1}.html"
    return rows, pagers, totals


def _all_rows(client: httpx.Client, base: str) -> list[ListedItem]:
    rows: list[ListedItem] = []
    for list_path in JPAAS_COLUMNS:
        rows.extend(_walk_jpaas(client, base, list_path, 10)[0])
    rows.extend(_walk_province(client, base)[0])
    return rows


@pytest.mark.parametrize("page_size", [10, 7])
def test_jpaas_archive_pages_back_with_a_true_count(srv: MirrorServer, client: httpx.Client, page_size: int) -> None:
    for list_path, expected in JPAAS_COLUMNS.items():
        rows, totals = _walk_jpaas(client, srv.base_url, list_path, page_size)
        assert totals == {expected}, list_path
        assert len(rows) == expected
        assert len({r.url for r in rows}) == expected  # no row on two pages
        dates = [r.date for r in rows]
        assert all(d is not None for d in dates)
        assert dates == sorted(dates, reverse=True)  # type: ignore[type-var]
        assert dates[-1] is not None and dates[-1].startswith("2023-")


def test_province_archive_is_trs_numbered_pages(srv: MirrorServer, client: httpx.Client) -> None:
    rows, pagers, totals = _walk_province(client, srv.base_url)
    assert pagers == [(3, 0), (3, 1), (3, 2)]
    assert totals == [PROVINCE_DAY1] * 3
    assert [len(rows[i : i + 10]) for i in range(0, 30, 10)] == [10, 10, 6]
    assert len({r.url for r in rows}) == PROVINCE_DAY1
    dates = [r.date or "" for r in rows]
    assert dates == sorted(dates, reverse=True)
    assert dates[0] == "2024-06-11" and dates[-1] == "2023-01-10"
    # every row's relative link resolves into the year directory next to the list pages
    assert all(re.fullmatch(re.escape(srv.base_url) + r"/province/gg/20\d\d/t\d{8}_\d+\.html", r.url) for r in rows)
    for missing in ("/province/gg/index_3.html", "/province/gg/index_0.html", "/province/gg/index_01.html"):
        assert client.get(missing).status_code == 404, missing


def test_day_two_shifts_the_archive_pages(srv: MirrorServer, client: httpx.Client) -> None:
    srv.set_day(2)
    try:
        rows, pagers, totals = _walk_province(client, srv.base_url)
        tz_rows, tz_totals = _walk_jpaas(client, srv.base_url, "/zwxx/tz/index.html", 10)
        rz_rows, rz_totals = _walk_jpaas(client, srv.base_url, "/zw/zfxxgk/fdzdgknr/rzjgs/", 10)
    finally:
        srv.set_day(1)
    assert pagers == [(3, 0), (3, 1), (3, 2)] and totals == [27] * 3 and len(rows) == 27
    assert rows[0].date == "2024-06-18"
    assert tz_totals == {34} and len(tz_rows) == 34
    assert rz_totals == {26} and len(rz_rows) == 26


def test_story_mirror_serves_no_archive() -> None:
    with MirrorServer() as plain, httpx.Client(base_url=plain.base_url, timeout=5.0) as c:
        assert c.get("/province/gg/index_1.html").status_code == 404
        rows, totals = _walk_jpaas(c, plain.base_url, "/zwxx/gg/index.html", 10)
        assert totals == {7} and len(rows) == 7


def test_every_listed_item_has_a_detail_page_with_its_date_and_hand_labelled_areas(
    srv: MirrorServer, client: httpx.Client
) -> None:
    """Every served row has a detail page with its date, and the items' hand labels add up to
    STORY.md's hand counts."""
    labels = {
        srv.base_url + item.path: item.areas
        for column in srv.site.columns
        for item in column.items_on(1, archive=True)
    }
    per_year: dict[str, Counter[str]] = {"2023": Counter(), "2024": Counter()}
    items_per_year: Counter[str] = Counter()
    rows = _all_rows(client, srv.base_url)
    assert len(rows) == sum(JPAAS_COLUMNS.values()) + PROVINCE_DAY1 == sum(HAND_ITEMS)
    for row in rows:
        answer = client.get(row.url.removeprefix(srv.base_url))
        assert answer.status_code == 200, row.url
        encoding = "gb18030" if "/province/" in row.url else "utf-8"
        detail = extract_detail(answer.content.decode(encoding), row.url)
        assert detail.date == row.date, row.url
        # the hand labels STORY.md counts (what the classifier makes of them: test_backfill's review test)
        tags = labels[row.url]
        year = (row.date or "")[:4]
        items_per_year[year] += 1
        per_year[year].update(tags or ("(none)",))
    for index, year in enumerate(("2023", "2024")):
        assert items_per_year[year] == HAND_ITEMS[index]
        assert per_year[year]["(none)"] == HAND_NO_AREA[index]
        assert {area: per_year[year][area] for area in AREAS} == {a: c[index] for a, c in HAND_COUNT.items()}


def test_archive_details_and_attachments_are_served_only_with_the_archive(
    srv: MirrorServer, client: httpx.Client
) -> None:
    # STORY.md's path rule for CNCA archive items, applied by hand to tz-a03 (2023-03-09), which
    # links its plan as a direct /cms_files attachment
    detail = f"/zwxx/tz/2023/art/2023/art_{hashlib.md5(b'tz-a03').hexdigest()}.html"
    attachment = "/cms_files/filemanager/953091537/attach/20233/5b1e0c7d2a4f4e8b9c6d3a2f1e0b9c8d.pdf"
    page = client.get(detail)
    assert page.status_code == 200 and "2023-03-09" in page.text and attachment in page.text
    answer = client.get(attachment)
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/pdf"
    with MirrorServer() as plain, httpx.Client(base_url=plain.base_url, timeout=5.0) as c:
        assert c.get(detail).status_code == 404
        assert c.get(attachment).status_code == 404
