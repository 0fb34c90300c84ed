"""The review's month × area chart as inline SVG, and the same numbers as an HTML table (pure).

Made for HTML reports *and* mail: no script, no stylesheet, no external font or image — every
style is a presentation attribute, since mail clients drop <style> and block remote assets.
The SVG carries a <title> and <desc> and every count is printed in its cell; the table beside it
holds the same numbers for screen readers and for copying.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from html import escape

from cnca_watch.render.chart_common import (
    area_name,
    level,
    month_labels,
    peak,
    previous_counts,
    signed,
)
from cnca_watch.render.safe import one_line
from cnca_watch.review import Review

_FONT = "Helvetica, Arial, 'PingFang SC', 'Microsoft YaHei', 'Noto Sans CJK SC', sans-serif"
_FONT_SIZE = 12
_ROW_HEIGHT = 24
_GAP = 2
_PAD = 10
_SHADES = ("#f1f4f8", "#cfe0f1", "#9dc3e6", "#5b9bd5", "#2e75b6", "#1f4e79")  # 0 … busiest
_DARK_FROM = 3  # shades from this one on carry white text


def _text_width(text: str) -> int:
    """Rough rendered width in px: wide (CJK) characters count double."""
    units = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
    return units * _FONT_SIZE * 6 // 10 + 2


def _attr(text: str) -> str:
    return escape(one_line(text), quote=True)


def review_chart_svg(review: Review, labels: Mapping[str, str] | None = None, *, id_prefix: str = "review-chart") -> str:
    """One <svg> element: areas down, months across, shaded cells with their counts."""
    current = review.current
    months = month_labels(current.months)
    previous = previous_counts(review)
    names = [area_name(a.area, labels) for a in current.areas]
    label_width = max([_text_width(n) for n in names + ["All items"]]) + _PAD
    cell_width = max(30, max(_text_width(m) for m in months) + 8) if months else 30
    total_width = 48
    prev_width = 96 if previous is not None else 0
    title = f"Announcements per task area and month, {current.period.label()}"
    top = _PAD + 22 + 20  # title line, month labels
    rows = len(current.areas) + 1  # + the all-items row
    width = _PAD + label_width + len(months) * (cell_width + _GAP) + total_width + prev_width + _PAD
    height = top + rows * (_ROW_HEIGHT + _GAP) + _GAP + 18 + _PAD
    scale_top = peak(review)
    busiest = max(current.areas, key=lambda a: a.count, default=None)
    desc = f"{current.total} announcements published in {current.period.label()}"
    if busiest is not None and busiest.count:
        desc += f"; most under {area_name(busiest.area, labels)} ({busiest.count})"
    if review.previous is not None:
        desc += f"; previous year {review.previous.total}"
    desc += ". Every cell shows its count; the table next to the chart holds the same numbers."

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}"'
        f' role="img" aria-labelledby="{id_prefix}-title {id_prefix}-desc" font-family="{escape(_FONT)}"'
        f' font-size="{_FONT_SIZE}">',
        f'<title id="{id_prefix}-title">{_attr(title)}</title>',
        f'<desc id="{id_prefix}-desc">{_attr(desc)}</desc>',
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>',
        f'<text x="{_PAD}" y="{_PAD + 14}" font-size="14" font-weight="bold" fill="#222222">{_attr(title)}</text>',
    ]
    x0 = _PAD + label_width
    header_y = top - 8
    for n, month in enumerate(months):
        cx = x0 + n * (cell_width + _GAP) + cell_width // 2
        out.append(f'<text x="{cx}" y="{header_y}" text-anchor="middle" fill="#555555">{_attr(month)}</text>')
    total_x = x0 + len(months) * (cell_width + _GAP)
    out.append(f'<text x="{total_x + total_width // 2}" y="{header_y}" text-anchor="middle" fill="#555555">Total</text>')
    if previous is not None and review.previous is not None:
        prev_label = f"vs {review.previous.period.label()}"
        out.append(
            f'<text x="{total_x + total_width + prev_width // 2}" y="{header_y}" text-anchor="middle"'
            f' fill="#555555">{_attr(prev_label)}</text>'
        )

    def row(y: int, name: str, counts: tuple[int, ...], total: int, prev: int | None, bold: bool) -> None:
        weight = ' font-weight="bold"' if bold else ""
        out.append(f'<text x="{_PAD}" y="{y + 16}" fill="#222222"{weight}>{_attr(name)}</text>')
        for n, count in enumerate(counts):
            x = x0 + n * (cell_width + _GAP)
            shade = level(count, scale_top, len(_SHADES)) if not bold else 0
            ink = "#ffffff" if shade >= _DARK_FROM else ("#999999" if count == 0 else "#222222")
            out.append(f'<rect x="{x}" y="{y}" width="{cell_width}" height="{_ROW_HEIGHT}" fill="{_SHADES[shade]}"/>')
            out.append(f'<text x="{x + cell_width // 2}" y="{y + 16}" text-anchor="middle" fill="{ink}"{weight}>{count}</text>')
        out.append(
            f'<text x="{total_x + total_width // 2}" y="{y + 16}" text-anchor="middle" fill="#222222"'
            f' font-weight="bold">{total}</text>'
        )
        if prev is not None:
            out.append(
                f'<text x="{total_x + total_width + prev_width // 2}" y="{y + 16}" text-anchor="middle"'
                f' fill="#555555">{prev} ({_attr(signed(total - prev))})</text>'
            )

    y = top
    for area, name in zip(current.areas, names):
        row(y, name, area.by_month, area.count, None if previous is None else previous.get(area.area, 0), False)
        y += _ROW_HEIGHT + _GAP
    prev_total = review.previous.total if review.previous is not None else None
    row(y + _GAP, "All items", current.by_month, current.total, prev_total, True)
    y += _ROW_HEIGHT + 2 * _GAP
    note = "An item counts under each of its areas; “All items” counts it once. By publication date."
    out.append(f'<text x="{_PAD}" y="{y + 14}" font-size="11" fill="#555555">{_attr(note)}</text>')
    out.append("</svg>")
    return "\n".join(out)


def review_table_html(review: Review, labels: Mapping[str, str] | None = None) -> str:
    """The chart's numbers as a <table> with a caption and header cells (for screen readers, copying)."""
    current = review.current
    previous = previous_counts(review)
    months = month_labels(current.months)
    head = "".join(f'<th scope="col">{escape(m)}</th>' for m in months)
    prev_head = (
        f'<th scope="col">{escape(review.previous.period.label())}</th>' if review.previous is not None else ""
    )
    lines = [
        # attributes, not CSS: mail clients keep cellpadding/border but often drop style sheets
        '<table class="review-numbers" border="1" cellpadding="3" cellspacing="0"'
        ' style="border-collapse:collapse;border-color:#d0d7de;font-size:12px;text-align:right;margin-top:8px">',
        f'<caption style="text-align:left;font-weight:bold;padding:4px 0">Announcements per task area and month, {escape(current.period.label())}'
        " (by publication date)</caption>",
        f'<thead><tr><th scope="col">Area</th>{head}<th scope="col">Total</th>{prev_head}</tr></thead>',
        "<tbody>",
    ]
    for area in current.areas:
        cells = "".join(f"<td>{n}</td>" for n in area.by_month)
        prev = f"<td>{previous.get(area.area, 0)}</td>" if previous is not None else ""
        lines.append(
            f'<tr><th scope="row" style="text-align:left">{escape(area_name(area.area, labels))}</th>{cells}<td>{area.count}</td>{prev}</tr>'
        )
    cells = "".join(f"<td>{n}</td>" for n in current.by_month)
    prev = f"<td>{review.previous.total}</td>" if review.previous is not None else ""
    lines.append(f'<tr><th scope="row" style="text-align:left">All items</th>{cells}<td>{current.total}</td>{prev}</tr>')
    lines += ["</tbody>", "</table>"]
    return "\n".join(lines)


def review_figure_html(review: Review, labels: Mapping[str, str] | None = None, *, id_prefix: str = "review-chart") -> str:
    """The chart and its table in one <figure>, ready to drop into an HTML page or mail."""
    return (
        '<figure class="review-chart" style="margin:0">\n'
        + review_chart_svg(review, labels, id_prefix=id_prefix)
        + "\n"
        + review_table_html(review, labels)
        + "\n</figure>"
    )
