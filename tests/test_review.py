"""review.build_review against small hand-built stores; every expected number is counted by hand."""

from __future__ import annotations

import json
from datetime import date

import pytest

from cnca_watch.review import Period, ReviewItem, build_review

AREAS = ("unified-management", "going-global", "serving-development", "regulation", "capabilities", "benefit")


def item(n: int, published: str | None, *areas: tuple[str, float], doc_type: str | None = None, kind: str = "new") -> ReviewItem:
    return ReviewItem(
        url=f"https://example.test/{n}.html",
        title=f"公告{n}",
        source="cnca-notices",
        published=published,
        areas=tuple(areas),
        doc_type=doc_type,
        kind=kind,
    )


STORE = (
    item(1, "2024-01-05", ("regulation", 20.0)),
    item(2, "2024-01-20", ("regulation", 8.0), ("unified-management", 6.0)),
    item(3, "2024-03-02", ("unified-management", 30.0)),
    item(4, "2024-03-30", ("unified-management", 5.0), doc_type="call-for-comments", kind="backfilled"),
    item(5, "2024-12-31", ("regulation", 12.0), doc_type="rules"),
    item(6, "2024-06-01"),  # no area
    item(7, "2024-02-01"),  # no area
    item(8, None, ("benefit", 9.0)),  # undated: in no period
    item(9, "2023-05-05", ("regulation", 9.0)),
    item(10, "2023-12-31", ("going-global", 4.0), ("regulation", 3.0)),
    item(11, "2022-07-01", ("benefit", 9.0)),  # two years back: in neither
    item(12, "2025-01-01", ("regulation", 9.0)),  # the day after the period
)


def test_counts_per_area_primary_and_month() -> None:
    review = build_review(STORE, Period.year(2024), AREAS)
    current = review.current
    assert current.months == tuple(f"2024-{m:02d}" for m in range(1, 13))
    assert current.total == 7
    assert current.by_month == (2, 1, 2, 0, 0, 1, 0, 0, 0, 0, 0, 1)
    regulation = current.area("regulation")
    unified = current.area("unified-management")
    assert regulation is not None and unified is not None
    assert (regulation.count, regulation.primary) == (3, 3)
    assert regulation.by_month == (2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1)
    assert (unified.count, unified.primary) == (3, 2)
    assert unified.by_month == (1, 0, 2) + (0,) * 9
    # every known area is listed, in the given order, zeros included
    assert [a.area for a in current.areas] == list(AREAS)
    assert [a.count for a in current.areas] == [3, 0, 0, 3, 0, 0]
    assert [i.url.rsplit("/", 1)[1] for i in current.unassigned] == ["6.html", "7.html"]
    assert review.undated == 1


def test_top_items_put_doc_types_first_then_score_then_newest() -> None:
    review = build_review(STORE, Period.year(2024), AREAS)
    unified = review.current.area("unified-management")
    regulation = review.current.area("regulation")
    assert unified is not None and regulation is not None
    # the call for comments (score 5) leads the stronger routine items
    assert [i.url.rsplit("/", 1)[1] for i in unified.top] == ["4.html", "3.html", "2.html"]
    # a rule (score 12) before a score-20 notice; the remaining two by their regulation score
    assert [i.url.rsplit("/", 1)[1] for i in regulation.top] == ["5.html", "1.html", "2.html"]
    limited = build_review(STORE, Period.year(2024), AREAS, top_n=1)
    assert [len(a.top) for a in limited.current.areas] == [1, 0, 0, 1, 0, 0]
    no_types = build_review(STORE, Period.year(2024), AREAS, doc_type_order=())
    assert [i.url.rsplit("/", 1)[1] for i in no_types.current.area("regulation").top] == ["1.html", "5.html", "2.html"]  # type: ignore[union-attr]


def test_ties_go_to_the_newer_item() -> None:
    store = (item(1, "2024-02-01", ("benefit", 10.0)), item(2, "2024-09-01", ("benefit", 10.0)), item(3, "2024-05-01", ("benefit", 10.0)))
    benefit = build_review(store, Period.year(2024), AREAS).current.area("benefit")
    assert benefit is not None
    assert [i.published for i in benefit.top] == ["2024-09-01", "2024-05-01", "2024-02-01"]


def test_previous_year_side_by_side_only_when_the_store_reaches_it() -> None:
    review = build_review(STORE, Period.year(2024), AREAS)
    assert review.previous is not None
    assert review.previous.period == Period.year(2023)
    assert review.previous.total == 2
    assert [(a.area, a.count, a.primary) for a in review.previous.areas if a.count] == [
        ("going-global", 1, 1),
        ("regulation", 2, 1),
    ]
    before_2023 = build_review(STORE, Period.year(2023), AREAS).previous  # 2022 holds item 11 alone
    assert before_2023 is not None and before_2023.total == 1
    assert build_review(STORE, Period.year(2022), AREAS).previous is None
    assert build_review(STORE, Period.year(2024), AREAS, compare_previous=False).previous is None


def test_unknown_areas_follow_the_known_ones_sorted() -> None:
    store = (item(1, "2024-04-04", ("zz-custom", 3.0)), item(2, "2024-04-05", ("batteries", 4.0), ("regulation", 1.0)))
    review = build_review(store, Period.year(2024), ("regulation",))
    assert [(a.area, a.count) for a in review.current.areas] == [("regulation", 1), ("batteries", 1), ("zz-custom", 1)]


def test_any_period_months_cross_the_year_and_bounds_are_inclusive() -> None:
    period = Period(date(2023, 11, 15), date(2024, 2, 10))
    assert period.months() == ("2023-11", "2023-12", "2024-01", "2024-02")
    store = (
        item(1, "2023-11-14", ("benefit", 1.0)),
        item(2, "2023-11-15", ("benefit", 1.0)),
        item(3, "2024-02-10", ("benefit", 1.0)),
        item(4, "2024-02-11", ("benefit", 1.0)),
        item(5, "2022-12-01", ("benefit", 1.0)),
    )
    review = build_review(store, period, AREAS)
    assert review.current.total == 2
    assert review.current.area("benefit").by_month == (1, 0, 0, 1)  # type: ignore[union-attr]
    assert review.previous is not None and review.previous.total == 1
    assert review.previous.period == Period(date(2022, 11, 15), date(2023, 2, 10))
    assert period.label() == "2023-11-15 – 2024-02-10" and Period.year(2024).label() == "2024"


def test_leap_day_and_reversed_periods() -> None:
    assert Period(date(2024, 2, 29), date(2024, 3, 1)).previous_year() == Period(date(2023, 2, 28), date(2023, 3, 1))
    with pytest.raises(ValueError, match="swap --since and --until"):
        Period(date(2024, 5, 1), date(2024, 4, 30))


def test_empty_store() -> None:
    review = build_review((), Period.year(2024), AREAS)
    assert review.current.total == 0 and review.previous is None and review.undated == 0
    assert all(a.count == 0 and a.by_month == (0,) * 12 and a.top == () for a in review.current.areas)


def test_to_json_carries_every_number_and_item() -> None:
    data = json.loads(build_review(STORE, Period.year(2024), AREAS).to_json())
    assert data["period"]["since"] == "2024-01-01" and data["period"]["until"] == "2024-12-31"
    assert data["period"]["total"] == 7 and data["undated"] == 1
    regulation = next(a for a in data["period"]["areas"] if a["id"] == "regulation")
    assert (regulation["count"], regulation["primary"]) == (3, 3)
    assert regulation["top"][0] == {
        "url": "https://example.test/5.html",
        "title": "公告5",
        "source": "cnca-notices",
        "published": "2024-12-31",
        "areas": [{"id": "regulation", "score": 12.0}],
        "doc_type": "rules",
        "kind": "new",
    }
    assert [i["url"] for i in data["period"]["unassigned"]] == ["https://example.test/6.html", "https://example.test/7.html"]
    assert data["previous"]["total"] == 2
    assert "公告" in build_review(STORE, Period.year(2024), AREAS).to_json()  # not \u-escaped
