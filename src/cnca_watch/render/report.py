"""The period digest behind ``cnca-watch report``: counts and changes for a time window.

``build_report`` is pure: the caller selects the changes of the period (by detection or
publication date) and passes them in.  Counts per area count a change once for every
area it is tagged with (a CCC battery rule is progress on unified management *and* on
regulation); the grouping below places each change once, under its primary area.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Sequence

from rich.console import Console
from rich.table import Table
from rich.text import Text

from cnca_watch.models import Change, ChangeKind
from cnca_watch.render import html as html_render
from cnca_watch.render import markdown as md_render
from cnca_watch.render.common import (
    under_title,
    builtin_area_labels,
    area_order,
    KIND_LABEL,
    NO_AREA,
    AreaGroup,
    area_label,
    display_date,
    group_changes,
    short_label,
)
from cnca_watch.render.json import change_to_json
from cnca_watch.render.fields import coming_up_lines
from cnca_watch.render.safe import clean_text, one_line

if TYPE_CHECKING:
    from cnca_watch.upcoming import Upcoming

BY_DETECTED = "detected"  # month = when cnca-watch first saw the change
BY_PUBLISHED = "published"  # month = the announcement's publication date
UNDATED = "undated"
_MONTH = re.compile(r"\d{4}-\d{2}")


@dataclass(frozen=True, slots=True)
class AreaCount:
    area_id: str  # NO_AREA ("") for untagged changes
    label: str
    count: int


@dataclass(frozen=True, slots=True)
class Report:
    since: str
    until: str | None
    by: str  # BY_DETECTED | BY_PUBLISHED
    total: int
    kinds: tuple[tuple[str, int], ...]  # ("new", n), ("changed", n), ("removed", n)
    areas: tuple[AreaCount, ...]  # the six areas (zeros included), others, then "No task area"
    sources: tuple[tuple[str, int], ...]  # most changes first
    months: tuple[tuple[str, int], ...]  # YYYY-MM ascending, gaps filled with 0; "undated" last
    groups: tuple[AreaGroup, ...]
    coming_up: "Upcoming | None" = None  # deadlines in the next 7 days (issue 11)


def change_month(change: Change, by: str) -> str:
    value = change.date if by == BY_PUBLISHED else change.detected_at
    month = (value or "")[:7]
    return month if _MONTH.fullmatch(month) else UNDATED


def build_report(changes: Sequence[Change], *, since: str, until: str | None, by: str) -> Report:
    """Counts per kind, area, source and month, and the changes grouped by area then source."""
    if by not in (BY_DETECTED, BY_PUBLISHED):
        raise ValueError(f"by must be {BY_DETECTED!r} or {BY_PUBLISHED!r}, not {by!r}")

    kinds = Counter(c.kind for c in changes)
    area_counts: Counter[str] = Counter()
    tag_of: dict[str, Any] = {}
    for change in changes:
        if not change.areas:
            area_counts[NO_AREA] += 1
        for area_id in dict.fromkeys(t.id for t in change.areas):  # a tag counted once per change
            area_counts[area_id] += 1
        for tag in change.areas:
            tag_of.setdefault(tag.id, tag)
    builtin = builtin_area_labels()
    others = sorted(a for a in area_counts if a not in builtin and a != NO_AREA)
    areas = [AreaCount(a, area_label(a), area_counts[a]) for a in area_order()]
    areas += [AreaCount(a, area_label(a, tag_of.get(a)), area_counts[a]) for a in others]
    if area_counts[NO_AREA]:
        areas.append(AreaCount(NO_AREA, area_label(NO_AREA), area_counts[NO_AREA]))

    source_counts = Counter(c.source for c in changes)
    sources = sorted(source_counts.items(), key=lambda item: (-item[1], item[0]))

    return Report(
        since=since,
        until=until,
        by=by,
        total=len(changes),
        kinds=tuple((k.value, kinds.get(k, 0)) for k in ChangeKind),
        areas=tuple(areas),
        sources=tuple(sources),
        months=_months(Counter(change_month(c, by) for c in changes)),
        groups=group_changes(changes),
    )


def _months(counts: Counter[str]) -> tuple[tuple[str, int], ...]:
    dated = sorted(m for m in counts if m != UNDATED)
    months: list[tuple[str, int]] = []
    if dated:
        year, month = map(int, dated[0].split("-"))
        last = tuple(map(int, dated[-1].split("-")))
        # Bounded: at most one step per month between the first and last month seen.
        while (year, month) <= last and len(months) < 1200:
            key = f"{year:04d}-{month:02d}"
            months.append((key, counts.get(key, 0)))
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    if counts.get(UNDATED):
        months.append((UNDATED, counts[UNDATED]))
    return tuple(months)


def period_label(report: Report) -> str:
    until = one_line(report.until) or "now"
    basis = "publication date" if report.by == BY_PUBLISHED else "first seen by cnca-watch"
    return f"{one_line(report.since)} to {until} (by {basis})"


def kinds_line(report: Report) -> str:
    parts = [f"{n} {kind}" for kind, n in report.kinds if n]
    return f"{report.total} change{'s' if report.total != 1 else ''}" + (f": {', '.join(parts)}" if parts else "")


BAR_WIDTH = 30
_EIGHTHS = " ▏▎▍▌▋▊▉"


def bar(count: int, largest: int, width: int = BAR_WIDTH) -> str:
    """A horizontal bar of block characters, ``count/largest`` of ``width`` cells long."""
    if largest <= 0 or count <= 0:
        return ""
    eighths = max(1, round(count / largest * width * 8))
    full, rest = divmod(eighths, 8)
    return "█" * full + (_EIGHTHS[rest] if rest else "")


# --- plain text ---------------------------------------------------------------------------


def display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def report_text(report: Report) -> str:
    out = ["cnca-watch report", period_label(report), kinds_line(report), ""]
    out.append("By task area (a change counts in every area it is tagged with):")
    # Pad by display width: a Chinese character takes two columns in a terminal or mail reader.
    width = max((display_width(a.label) for a in report.areas), default=0)
    out += [f"  {a.label}{' ' * (width - display_width(a.label))}  {a.count:>5}" for a in report.areas]
    out += ["", "By source:"]
    out += [f"  {one_line(name)}: {n}" for name, n in report.sources] or ["  (none)"]
    out += ["", "By month:"]
    largest = max((n for _, n in report.months), default=0)
    out += [f"  {m:<7}  {n:>5}  {bar(n, largest)}".rstrip() for m, n in report.months] or ["  (none)"]
    coming = coming_up_lines(report.coming_up)
    if coming:
        out += ["", *coming]
    for group in report.groups:
        out += ["", f"== {group.label} ({group.count} as primary area) =="]
        for source in group.sources:
            out += ["", f"-- {one_line(source.source)} --"]
            for change in source.changes:
                out.append(f"* [{KIND_LABEL[change.kind]}] {one_line(change.title) or 'untitled'}")
                out += [f"  {one_line(line)}" for line in under_title(change)]
                out.append(f"  {one_line(change.url)}")
                details = [display_date(change.date), ", ".join(short_label(t) for t in change.areas)]
                if any(details):
                    out.append("  " + " · ".join(d for d in details if d))
                if change.diff:
                    out += [f"    {line}".rstrip() for line in clean_text(change.diff).split("\n")]
    return "\n".join(out) + "\n"


# --- Markdown -----------------------------------------------------------------------------


def report_markdown(report: Report) -> str:
    esc = md_render.md_escape
    out = ["# cnca-watch report", "", esc(period_label(report)), "", esc(kinds_line(report)), ""]
    out += ["## By task area", "", "A change counts in every area it is tagged with.", "", "| Task area | Changes |", "|---|---:|"]
    out += [f"| {esc(a.label)} | {a.count} |" for a in report.areas]
    out += ["", "## By source", "", "| Source | Changes |", "|---|---:|"]
    out += [f"| {esc(one_line(name))} | {n} |" for name, n in report.sources]
    out += ["", "## By month", "", "| Month | Changes |", "|---|---:|"]
    out += [f"| {m} | {n} |" for m, n in report.months]
    if report.coming_up is not None and report.coming_up.deadlines:
        out += ["", f"## Coming up (next {report.coming_up.days} days)", ""]
        out += [
            f"- {d.date} · {esc(d.label)} · {md_render.md_link(d.title, d.url)}" for d in report.coming_up.deadlines
        ]
    for group in report.groups:
        out += ["", f"## {esc(group.label)} ({group.count} as primary area)"]
        for source in group.sources:
            out += ["", f"### {esc(one_line(source.source))}", ""]
            for change in source.changes:
                out += md_render.change_lines(change)
    return "\n".join(md_render._squeeze_blank_lines(out)).rstrip("\n") + "\n"


# --- HTML ---------------------------------------------------------------------------------


def report_html(report: Report) -> str:
    h = html_render.h
    cell = 'style="border:1px solid #d0d7de;padding:2px 8px"'
    num = 'style="border:1px solid #d0d7de;padding:2px 8px;text-align:right"'

    def table(caption: str, rows: Sequence[tuple[str, int]], with_bars: bool = False) -> str:
        largest = max((n for _, n in rows), default=0)
        lines = [f'<table style="border-collapse:collapse;margin:0.5em 0"><caption style="text-align:left">{h(caption)}</caption>']
        for name, n in rows:
            bar_cell = ""
            if with_bars:
                width = round(n / largest * 200) if largest else 0
                bar_cell = f'<td {cell}><div style="background:#54aeff;height:0.8em;width:{width}px"></div></td>'
            lines.append(f"<tr><td {cell}>{h(name)}</td><td {num}>{n}</td>{bar_cell}</tr>")
        lines.append("</table>")
        return "\n".join(lines)

    out = ["<h1>cnca-watch report</h1>", f"<p>{h(period_label(report))}</p>", f"<p><strong>{h(kinds_line(report))}</strong></p>"]
    out.append(table("By task area (a change counts in every area it is tagged with)", [(a.label, a.count) for a in report.areas]))
    out.append(table("By source", list(report.sources)))
    out.append(table("By month", list(report.months), with_bars=True))
    if report.coming_up is not None and report.coming_up.deadlines:
        out.append(f"<h2>Coming up (next {report.coming_up.days} days)</h2>\n<ul>")
        out += [
            f"<li><time>{h(d.date)}</time> · {h(d.label)} · {html_render.link(d.title, d.url)}</li>"
            for d in report.coming_up.deadlines
        ]
        out.append("</ul>")
    for group in report.groups:
        out.append(f"<h2>{h(group.label)} ({group.count} as primary area)</h2>")
        for source in group.sources:
            out.append(f"<h3>{h(source.source)}</h3>\n<ul>")
            out += [html_render.change_html(c) for c in source.changes]
            out.append("</ul>")
    return html_render.document("cnca-watch report", "\n".join(out))


# --- JSON ---------------------------------------------------------------------------------


def report_json(report: Report) -> dict[str, Any]:
    """The report as a JSON-ready dict (change objects as in the ``--json`` document)."""
    return {
        "since": report.since,
        "until": report.until,
        "by": report.by,
        "total": report.total,
        "kinds": dict(report.kinds),
        "areas": [
            {"id": a.area_id or None, "label": a.label, "count": a.count} for a in report.areas
        ],
        "sources": [{"name": name, "count": n} for name, n in report.sources],
        "months": [{"month": m, "count": n} for m, n in report.months],
        "coming_up": [d.to_json() for d in report.coming_up.deadlines] if report.coming_up else [],
        "groups": [
            {
                "area": group.area_id or None,
                "label": group.label,
                "count": group.count,
                "sources": [
                    {"name": s.source, "changes": [change_to_json(c) for c in s.changes]}
                    for s in group.sources
                ],
            }
            for group in report.groups
        ],
    }


# --- terminal (rich) ------------------------------------------------------------------------


def report_rich(report: Report, console: Console) -> None:
    """Tables and a per-month bar chart.  Untrusted text only ever enters as ``Text`` (no markup)."""
    console.print(Text("cnca-watch report", style="bold"))
    console.print(Text(period_label(report)))
    console.print(Text(kinds_line(report), style="bold"))

    areas = Table(title="By task area (a change counts in every area it is tagged with)", title_justify="left")
    areas.add_column("Task area")
    areas.add_column("Changes", justify="right")
    for a in report.areas:
        areas.add_row(Text(a.label), Text(str(a.count), style="dim" if not a.count else ""))
    console.print(areas)

    sources = Table(title="By source", title_justify="left")
    sources.add_column("Source")
    sources.add_column("Changes", justify="right")
    for name, n in report.sources:
        sources.add_row(Text(one_line(name)), Text(str(n)))
    console.print(sources)

    months = Table(title="By month", title_justify="left", show_edge=False, box=None)
    months.add_column("Month")
    months.add_column("Changes", justify="right")
    months.add_column("")
    largest = max((n for _, n in report.months), default=0)
    for m, n in report.months:
        months.add_row(Text(m), Text(str(n)), Text(bar(n, largest), style="cyan"))
    console.print(months)

    for shown in coming_up_lines(report.coming_up):
        console.print(Text(shown, style="bold" if not shown.startswith(" ") else ""))
    for group in report.groups:
        console.print()
        console.print(Text(f"{group.label} ({group.count} as primary area)", style="bold underline"))
        for source in group.sources:
            console.print(Text(f"  {one_line(source.source)}", style="bold"))
            for change in source.changes:
                line = Text("    ")
                line.append(f"[{KIND_LABEL[change.kind]}] ", style="green" if change.kind is ChangeKind.NEW else "yellow")
                line.append(one_line(change.title) or "untitled")
                date = display_date(change.date)
                if date:
                    line.append(f"  {date}", style="dim")
                console.print(line)
                for shown in under_title(change):
                    console.print(Text(f"      {one_line(shown)}", style="magenta"))
                console.print(Text(f"      {one_line(change.url)}", style="dim"))
                if change.areas:
                    console.print(Text("      " + ", ".join(short_label(t) for t in change.areas), style="dim"))
