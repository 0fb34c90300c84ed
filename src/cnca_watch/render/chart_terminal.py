"""The review's month × area chart for a terminal (rich): shaded cells with their counts."""

from __future__ import annotations

from collections.abc import Mapping

from rich import box
from rich.table import Table
from rich.text import Text

from cnca_watch.render.chart_common import area_name, level, month_labels, peak, previous_counts, signed
from cnca_watch.review import Review

# Background shades from empty to busiest; white text on the darker half.
_SHADES = ("", "on #cfe0f1", "on #9dc3e6", "on #5b9bd5", "on #2e75b6", "on #1f4e79")
_DARK_FROM = 3


def _cell(count: int, top: int) -> Text:
    if count == 0:
        return Text("·", style="dim", justify="center")
    shade = level(count, top, len(_SHADES))
    ink = "bold white" if shade >= _DARK_FROM else "black"
    return Text(f"{count:>2}", style=f"{ink} {_SHADES[shade]}", justify="center")


def review_chart(review: Review, labels: Mapping[str, str] | None = None) -> Table:
    """A rich Table: one row per area (and an all-items row), one column per month, then totals."""
    current = review.current
    previous = previous_counts(review)
    top = peak(review)
    table = Table(
        title=f"Announcements per task area and month, {current.period.label()}",
        caption="By publication date; an item counts under each of its areas, “All items” once.",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        collapse_padding=True,
    )
    table.add_column("Area", no_wrap=True)
    for month in month_labels(current.months):
        table.add_column(month, justify="center", no_wrap=True, min_width=3)
    table.add_column("Total", justify="right", style="bold")
    if review.previous is not None:
        table.add_column(f"vs {review.previous.period.label()}", justify="right", no_wrap=True)
    for area in current.areas:
        cells: list[Text | str] = [Text(area_name(area.area, labels))]
        cells += [_cell(n, top) for n in area.by_month]
        cells.append(str(area.count))
        if previous is not None:
            before = previous.get(area.area, 0)
            cells.append(f"{before} ({signed(area.count - before)})")
        table.add_row(*cells)
    totals: list[Text | str] = [Text("All items", style="bold")]
    totals += [Text(str(n), style="bold", justify="center") for n in current.by_month]
    totals.append(str(current.total))
    if review.previous is not None:
        totals.append(f"{review.previous.total} ({signed(current.total - review.previous.total)})")
    table.add_row(*totals, end_section=True)
    return table
