"""The review's area × month numbers as a plain-text or Markdown table (pure)."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping

from cnca_watch.render.chart_common import area_name, month_labels, previous_counts, signed
from cnca_watch.review import Review


def _grid(review: Review, labels: Mapping[str, str] | None) -> list[list[str]]:
    """Header row, one row per area, the all-items row."""
    current = review.current
    previous = previous_counts(review)
    header = ["Area", *month_labels(current.months), "Total"]
    if review.previous is not None:
        header.append(f"vs {review.previous.period.label()}")
    rows = [header]
    for area in current.areas:
        row = [area_name(area.area, labels), *map(str, area.by_month), str(area.count)]
        if previous is not None:
            before = previous.get(area.area, 0)
            row.append(f"{before} ({signed(area.count - before)})")
        rows.append(row)
    last = ["All items", *map(str, current.by_month), str(current.total)]
    if review.previous is not None:
        last.append(f"{review.previous.total} ({signed(current.total - review.previous.total)})")
    rows.append(last)
    return rows


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int, *, left: bool) -> str:
    fill = " " * (width - _width(text))
    return text + fill if left else fill + text


def review_table_text(review: Review, labels: Mapping[str, str] | None = None) -> str:
    """Aligned columns (wide characters count double), area names left, numbers right."""
    rows = _grid(review, labels)
    widths = [max(_width(row[n]) for row in rows) for n in range(len(rows[0]))]
    title = f"Announcements per task area and month, {review.current.period.label()} (by publication date)"
    lines = [title, ""]
    for index, row in enumerate(rows):
        lines.append("  ".join(_pad(cell, widths[n], left=n == 0) for n, cell in enumerate(row)).rstrip())
        if index == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines) + "\n"


def _md_cell(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|")


def review_table_markdown(review: Review, labels: Mapping[str, str] | None = None) -> str:
    """A GitHub-flavoured Markdown table (numbers right-aligned) under a one-line caption."""
    rows = _grid(review, labels)
    header, body = rows[0], rows[1:]
    lines = [
        f"**Announcements per task area and month, {review.current.period.label()}** (by publication date)",
        "",
        "| " + " | ".join(_md_cell(c) for c in header) + " |",
        "|" + "|".join([":---"] + ["---:"] * (len(header) - 1)) + "|",
    ]
    for n, row in enumerate(body):
        cells = [_md_cell(c) for c in row]
        if n == len(body) - 1:
            cells = [f"**{c}**" for c in cells]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"
