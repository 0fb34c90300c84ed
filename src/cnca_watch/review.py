"""The year (or any period) in review, by task area and publication date (pure: values in, values out).

``build_review`` takes stored announcements as ``ReviewItem``s — whatever recorded them, `check`
or a backfill — and counts them by the day they were *published*, not the day cnca-watch first
saw them (that is `report`).  An item counts once under every area it carries; ``primary``
counts it under its first area only.  The previous year is reviewed alongside when the items
reach back into it.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from importlib import resources
from typing import Any

NO_AREA = "(none)"


@dataclass(frozen=True, slots=True)
class ReviewItem:
    """One stored announcement as the review needs it."""

    url: str
    title: str
    source: str  # the source (column) name
    published: str | None  # YYYY-MM-DD publication date; None when no page gave one
    areas: tuple[tuple[str, float], ...] = ()  # (area id, score), primary first
    doc_type: str | None = None  # e.g. "call-for-comments", once the detail's fields are read
    kind: str = ""  # how the store got it (e.g. "new", "backfilled"); passed through


@dataclass(frozen=True, slots=True)
class Period:
    """Inclusive publication-date range."""

    since: date
    until: date

    def __post_init__(self) -> None:
        if self.until < self.since:
            raise ValueError(f"review period ends ({self.until}) before it starts ({self.since}): swap --since and --until")

    @classmethod
    def year(cls, year: int) -> "Period":
        return cls(date(year, 1, 1), date(year, 12, 31))

    def previous_year(self) -> "Period":
        return Period(_year_earlier(self.since), _year_earlier(self.until))

    def contains(self, day: str) -> bool:
        return self.since.isoformat() <= day <= self.until.isoformat()

    def months(self) -> tuple[str, ...]:
        """YYYY-MM of every month the period touches, in order."""
        months = []
        year, month = self.since.year, self.since.month
        while (year, month) <= (self.until.year, self.until.month):
            months.append(f"{year:04d}-{month:02d}")
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return tuple(months)

    def label(self) -> str:
        if (self.since.month, self.since.day, self.until.month, self.until.day) == (1, 1, 12, 31) and (
            self.since.year == self.until.year
        ):
            return str(self.since.year)
        return f"{self.since.isoformat()} – {self.until.isoformat()}"


@dataclass(frozen=True, slots=True)
class AreaReview:
    area: str  # area id
    count: int  # items carrying the area
    primary: int  # items whose first area it is
    by_month: tuple[int, ...]  # aligned with PeriodReview.months
    top: tuple[ReviewItem, ...]  # the most important items, most important first


@dataclass(frozen=True, slots=True)
class PeriodReview:
    period: Period
    months: tuple[str, ...]  # YYYY-MM
    total: int  # items published in the period
    by_month: tuple[int, ...]  # items per month (an item counts once)
    areas: tuple[AreaReview, ...]  # every known area, in area order, zeros included
    unassigned: tuple[ReviewItem, ...]  # items with no area, newest first

    def area(self, area_id: str) -> AreaReview | None:
        return next((a for a in self.areas if a.area == area_id), None)


@dataclass(frozen=True, slots=True)
class Review:
    current: PeriodReview
    previous: PeriodReview | None  # the year before, when the items reach into it
    undated: int  # items that no page gave a publication date: in no period

    def to_dict(self) -> dict[str, Any]:
        return {
            "period": _period_dict(self.current),
            "previous": _period_dict(self.previous) if self.previous else None,
            "undated": self.undated,
        }

    def to_json(self, *, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=indent)


@lru_cache(maxsize=1)
def _settings() -> Mapping[str, Any]:
    with resources.files("cnca_watch").joinpath("review.toml").open("rb") as fh:
        return tomllib.load(fh)


def default_doc_type_order() -> tuple[str, ...]:
    """Document types that lead an area's top items, most important first (review.toml)."""
    return tuple(_settings()["top_items"]["doc_type_order"])


def default_top_n() -> int:
    return int(_settings()["top_items"]["per_area"])


def build_review(
    items: Iterable[ReviewItem],
    period: Period,
    area_ids: Sequence[str],
    *,
    doc_type_order: Sequence[str] | None = None,
    top_n: int | None = None,
    compare_previous: bool = True,
) -> Review:
    """Count ``items`` published in ``period`` per area and month; ``area_ids`` fixes the area order
    (areas found on items but not listed follow, sorted)."""
    order = tuple(default_doc_type_order() if doc_type_order is None else doc_type_order)
    limit = default_top_n() if top_n is None else max(0, top_n)
    all_items = tuple(items)
    dated = tuple(i for i in all_items if i.published)
    known = tuple(dict.fromkeys(area_ids))
    extra = sorted({a for i in dated for a, _ in i.areas} - set(known))
    areas = known + tuple(extra)
    current = _review_period(dated, period, areas, order, limit)
    previous = None
    if compare_previous:
        earlier = period.previous_year()
        if any(earlier.contains(i.published or "") for i in dated):
            previous = _review_period(dated, earlier, areas, order, limit)
    return Review(current=current, previous=previous, undated=len(all_items) - len(dated))


def _review_period(
    items: tuple[ReviewItem, ...], period: Period, areas: tuple[str, ...], order: tuple[str, ...], limit: int
) -> PeriodReview:
    months = period.months()
    month_index = {m: n for n, m in enumerate(months)}
    inside = [i for i in items if period.contains(i.published or "")]
    by_month = [0] * len(months)
    for item in inside:
        by_month[month_index[(item.published or "")[:7]]] += 1
    reviews = []
    for area in areas:
        carrying = [i for i in inside if any(a == area for a, _ in i.areas)]
        counts = [0] * len(months)
        for item in carrying:
            counts[month_index[(item.published or "")[:7]]] += 1
        ranked = sorted(carrying, key=lambda i: _importance(i, area, order))
        reviews.append(
            AreaReview(
                area=area,
                count=len(carrying),
                primary=sum(1 for i in carrying if i.areas[0][0] == area),
                by_month=tuple(counts),
                top=tuple(ranked[:limit]),
            )
        )
    unassigned = sorted((i for i in inside if not i.areas), key=lambda i: (_newest_first(i), i.url))
    return PeriodReview(
        period=period,
        months=months,
        total=len(inside),
        by_month=tuple(by_month),
        areas=tuple(reviews),
        unassigned=tuple(unassigned),
    )


def _importance(item: ReviewItem, area: str, order: tuple[str, ...]) -> tuple[int, float, tuple[int, ...], str]:
    # A call for comments matters more than a higher-scoring routine notice: doc type leads when
    # known; among equals the stronger tag, then the newer item (then the URL, so ties are stable).
    rank = order.index(item.doc_type) if item.doc_type in order else len(order)
    score = next((s for a, s in item.areas if a == area), 0.0)
    return (rank, -score, _newest_first(item), item.url)


def _newest_first(item: ReviewItem) -> tuple[int, ...]:
    return tuple(-ord(ch) for ch in item.published or "")


def _year_earlier(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def _item_dict(item: ReviewItem) -> dict[str, Any]:
    return {
        "url": item.url,
        "title": item.title,
        "source": item.source,
        "published": item.published,
        "areas": [{"id": a, "score": s} for a, s in item.areas],
        "doc_type": item.doc_type,
        "kind": item.kind,
    }


def _period_dict(review: PeriodReview) -> dict[str, Any]:
    return {
        "since": review.period.since.isoformat(),
        "until": review.period.until.isoformat(),
        "months": list(review.months),
        "total": review.total,
        "by_month": list(review.by_month),
        "areas": [
            {
                "id": a.area,
                "count": a.count,
                "primary": a.primary,
                "by_month": list(a.by_month),
                "top": [_item_dict(i) for i in a.top],
            }
            for a in review.areas
        ],
        "unassigned": [_item_dict(i) for i in review.unassigned],
    }
