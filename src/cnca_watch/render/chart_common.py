"""What the review charts and tables share: area names, month labels, shading levels (pure)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from cnca_watch.render.safe import one_line
from cnca_watch.review import NO_AREA, Review

MONTH_ABBR = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def short_area_labels(language: str = "en") -> dict[str, str]:
    """The compact label of every built-in area (areas.toml ``short_en`` / ``short_zh``)."""
    from cnca_watch.classify import area_display_labels

    pick = 2 if language == "en" else 3
    return {area_id: names[pick] for area_id, names in area_display_labels().items()}


def area_name(area_id: str, labels: Mapping[str, str] | None) -> str:
    """One inert line naming the area; the id itself when no label is known."""
    if area_id == NO_AREA:
        return "No area"
    return one_line((labels or {}).get(area_id) or area_id)


def month_labels(months: Sequence[str]) -> tuple[str, ...]:
    """Jan…Dec when the months are all in one year, else YYYY-MM (which year is then unclear)."""
    if len({m[:4] for m in months}) <= 1:
        return tuple(MONTH_ABBR[int(m[5:7]) - 1] for m in months)
    return tuple(months)


def peak(review: Review) -> int:
    """The largest area × month count, the top of every shading scale (at least 1)."""
    return max((n for a in review.current.areas for n in a.by_month), default=0) or 1


def level(count: int, top: int, steps: int) -> int:
    """0 for nothing, else 1…steps-1 in proportion to ``count / top`` (never 0 for a non-zero count)."""
    if count <= 0:
        return 0
    return max(1, min(steps - 1, round(count / top * (steps - 1))))


def previous_counts(review: Review) -> dict[str, int] | None:
    """Area id → count in the previous year, or None when the review has no previous year."""
    if review.previous is None:
        return None
    return {a.area: a.count for a in review.previous.areas}


def signed(delta: int) -> str:
    return f"+{delta}" if delta > 0 else ("±0" if delta == 0 else f"−{-delta}")
