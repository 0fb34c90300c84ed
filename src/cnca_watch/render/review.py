"""``review`` in every format: the month × area chart (rich, inline SVG) or table, per area its
most important items, the items with no area, the previous year beside it (pure but the console)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cnca_watch.render.chart_common import area_name, short_area_labels, signed
from cnca_watch.render.safe import one_line
from cnca_watch.review import PeriodReview, Review, ReviewItem

if TYPE_CHECKING:
    from rich.console import Console


def _title(review: Review) -> str:
    return f"cnca-watch review {review.current.period.label()}"


def _counts_line(review: Review) -> str:
    line = f"{review.current.total} announcements published in {review.current.period.label()} (by publication date)"
    if review.previous is not None:
        before = review.previous.total
        line += f"; {review.previous.period.label()}: {before} ({signed(review.current.total - before)})"
    if review.undated:
        line += f"; {review.undated} stored without a publication date (in no period)"
    return line


def _item_line(item: ReviewItem) -> str:
    kind = f" [{item.doc_type}]" if item.doc_type else ""
    return f"{item.published or '?'}  {one_line(item.title)}{kind} ({one_line(item.source)})"


def _sections(review: Review) -> list[tuple[str, list[ReviewItem]]]:
    """(heading, items) per area with items, then the items with no area."""
    labels = short_area_labels()
    current: PeriodReview = review.current
    out = [
        (f"{area_name(a.area, labels)}: {a.count} ({a.primary} as primary area)", list(a.top))
        for a in current.areas
        if a.count
    ]
    out.append((f"No area: {len(current.unassigned)}", list(current.unassigned)))
    return out


# --- terminal (rich) ---------------------------------------------------------------------


def review_console(review: Review, console: "Console") -> None:
    from rich.text import Text

    from cnca_watch.render.chart_terminal import review_chart

    console.print(Text(_title(review), style="bold"))
    console.print(Text(_counts_line(review)))
    console.print(review_chart(review, short_area_labels()))
    for heading, items in _sections(review):
        console.print(Text(heading, style="bold"))
        for item in items:
            console.print(Text("  " + _item_line(item)))


# --- text / Markdown -----------------------------------------------------------------------


def review_text(review: Review) -> str:
    from cnca_watch.render.review_table import review_table_text

    lines = [_title(review), _counts_line(review), "", review_table_text(review, short_area_labels()).rstrip("\n"), ""]
    for heading, items in _sections(review):
        lines.append(heading)
        lines += ["  " + _item_line(i) for i in items]
    return "\n".join(lines) + "\n"


def _md(text: str) -> str:
    return "".join("\\" + ch if ch in "\\`*_[]<>|#" else ch for ch in text)


def review_markdown(review: Review) -> str:
    from cnca_watch.render.review_table import review_table_markdown

    lines = [f"# {_md(_title(review))}", "", _md(_counts_line(review)), "", review_table_markdown(review, short_area_labels()).rstrip("\n"), ""]
    for heading, items in _sections(review):
        lines += [f"## {_md(heading)}", ""]
        lines += [f"- {_md(_item_line(i))}" for i in items] or ["- none"]
        lines.append("")
    return "\n".join(lines)


# --- HTML: the inline SVG chart and its table; no script, no external asset ----------------


def review_html(review: Review) -> str:
    from cnca_watch.render import html as html_render
    from cnca_watch.render.chart_svg import review_figure_html

    h = html_render.h
    out = [f"<h1>{h(_title(review))}</h1>", f"<p>{h(_counts_line(review))}</p>", review_figure_html(review, short_area_labels())]
    for heading, items in _sections(review):
        out.append(f"<h2>{h(heading)}</h2>\n<ul>")
        out += [
            f"<li>{h(i.published or '?')} {html_render.link(i.title, i.url)}"
            f"{' [' + h(i.doc_type) + ']' if i.doc_type else ''} ({h(i.source)})</li>"
            for i in items
        ]
        out.append("</ul>")
    return html_render.document(_title(review), "\n".join(out))


# --- JSON ----------------------------------------------------------------------------------


def review_json(review: Review) -> dict[str, Any]:
    return {"schema_version": 1, **review.to_dict()}
