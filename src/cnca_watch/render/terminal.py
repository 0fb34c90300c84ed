"""Rich output for an analyst at a terminal.  All page text passes ``safe`` and ``escape``."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.style import Style
from rich.table import Table
from rich.text import Text

from cnca_watch.models import Change, ChangeKind, RunResult, SourceStatus
from cnca_watch.render.common import (
    ATTACHMENT_NOTES_HEADING,
    ATTACHMENT_NOTES_HINT,
    area_labels,
    attachment_note_lines,
    parse_diff,
    source_note,
    split_baseline,
    summary_line,
    under_title,
)
from cnca_watch.render.safe import clean_text, one_line

STATUS_STYLE = {
    SourceStatus.OK: "green",
    SourceStatus.ERROR: "red",
    SourceStatus.BLOCKED: "red",
    SourceStatus.LAYOUT_CHANGED: "yellow",
}
KIND_STYLE = {ChangeKind.NEW: "bold green", ChangeKind.CHANGED: "bold yellow", ChangeKind.REMOVED: "bold red"}


_DIFF_STYLE = {"same": "", "del": "red strike", "ins": "green underline"}


def diff_text(diff: str) -> Text:
    """Inline ``[-old-]{+new+}`` diff as styled text (no markup parsing of page text)."""
    text = Text()
    for op, run in parse_diff(clean_text(diff)):
        text.append(run, style=_DIFF_STYLE[op])
    return text


def render_terminal(result: RunResult, console: Console) -> None:
    table = Table(title=f"cnca-watch run {result.id} — {escape(summary_line(result))}", title_justify="left")
    for column in ("source", "status", "items", "new", "changed", "removed", "note"):
        table.add_column(
            column,
            justify="right" if column in ("items", "new", "changed", "removed") else "left",
            overflow="fold",  # a narrow terminal wraps a source name rather than cutting it to "cn…"
        )
    for s in result.sources:
        table.add_row(
            escape(one_line(s.name)),
            f"[{STATUS_STYLE[s.status]}]{s.status.value}[/]",
            str(s.items_seen),
            str(s.new),
            str(s.changed),
            str(s.removed),
            escape(source_note(s)),
        )
    console.print(table)
    notes = attachment_note_lines(result.sources)
    if notes:
        heading = Text(f"{ATTACHMENT_NOTES_HEADING} ", style="bold yellow")
        heading.append(f"({ATTACHMENT_NOTES_HINT})", style="dim")
        console.print(heading)
        for line in notes:
            console.print(Text(f"  {line}", style="yellow"))
    listed, baseline = split_baseline(result)
    for name, count in baseline.items():
        console.print(
            f"[dim]{escape(one_line(name))}: first run, {count} announcements recorded as the baseline "
            f"(`cnca-watch check --json` lists them)[/]"
        )
    for change in listed:
        _print_change(change, console)


def _print_change(change: Change, console: Console) -> None:
    console.print()
    heading = Text()
    heading.append(f"{change.kind.value.upper():<8}", style=KIND_STYLE[change.kind])
    heading.append(one_line(change.title), style="bold")
    console.print(heading)
    for shown in under_title(change):
        console.print(Text(f"  {one_line(shown)}", style="magenta"))
    console.print(Text(f"  {change.date or 'date unknown'}  ·  {one_line(change.source)}", style="dim"))
    # the link on a line of its own: long URLs wrap there, not after a dangling "·"
    url = one_line(change.url)
    link = Text("  ")
    link.append(url, style=Style(link=url) if url.startswith(("http://", "https://")) else "")
    console.print(link)
    if change.areas:
        console.print(Text("  areas: " + one_line(area_labels(change.areas)), style="cyan"))
    for attachment in change.attachments:
        console.print(Text(f"  file:  {one_line(attachment.name)}", style="dim"))
    if change.kind is ChangeKind.CHANGED and change.diff:
        console.print(Text(f"  changed: {', '.join(change.fields_changed)}", style="yellow"))
        for line in diff_text(change.diff).split("\n"):
            console.print(Text("    ") + line)
