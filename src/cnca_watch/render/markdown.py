"""Markdown output of a ``check`` run (CommonMark/GFM), for notes, issues and chat.

Untrusted text never becomes markup: it is cleaned (``safe.clean_text``), then every
ASCII punctuation character Markdown gives a meaning to is backslash-escaped; diffs go
into a code fence longer than any backtick run they contain; only http(s) URLs become
links, written as ``<…>`` destinations with everything risky percent-encoded.
"""

from __future__ import annotations

import re
from typing import Sequence

from cnca_watch.models import Change, ChangeKind, RunResult, SourceResult
from cnca_watch.render.common import (
    ATTACHMENT_NOTES_HEADING,
    ATTACHMENT_NOTES_HINT,
    attachment_note_lines,
    under_title,
    KIND_LABEL,
    display_date,
    failed_sources,
    group_changes,
    short_label,
    source_problem,
    summary,
)
from cnca_watch.render.safe import clean_text, http_url, one_line

# Characters with a meaning anywhere in a line (inline markup, links, HTML, tables, entities).
_INLINE_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>|~&!\"])")
# Characters with a meaning at the start of a line (headings, lists, quotes, setext, numbered).
_LINE_START_SPECIAL = re.compile(r"^(\s*)([#+\-=>]|\d+[.)])", re.MULTILINE)


def md_escape(text: str | None) -> str:
    """Untrusted text as inert Markdown (line breaks kept; callers use ``one_line`` to fold)."""
    escaped = _INLINE_SPECIAL.sub(r"\\\1", clean_text(text))
    # Leading spaces would start an indented code block: drop them.
    escaped = "\n".join(line.lstrip(" \t") for line in escaped.split("\n"))
    return _LINE_START_SPECIAL.sub(_escape_line_start, escaped)


def _escape_line_start(match: re.Match[str]) -> str:
    marker = match.group(2)
    if marker[0].isdigit():  # "12." -> "12\." so it is no ordered-list marker
        return f"{match.group(1)}{marker[:-1]}\\{marker[-1]}"
    return f"{match.group(1)}\\{marker}"


def md_link(text: str, url: str | None) -> str:
    """``[text](<url>)`` for an http(s) URL, else the escaped text followed by the URL as text."""
    label = md_escape(one_line(text)) or md_escape(one_line(url)) or "untitled"
    target = http_url(url)
    if target is None:
        return f"{label} ({md_escape(one_line(url))})" if url else label
    return f"[{label}](<{target}>)"


def code_fence(text: str, indent: str = "") -> str:
    """``text`` in a fenced code block that nothing inside it can close."""
    body = clean_text(text)
    longest = max((len(run) for run in re.findall(r"`+", body)), default=0)
    fence = "`" * max(3, longest + 1)
    lines = [f"{indent}{fence}text", *(f"{indent}{line}" for line in body.split("\n")), f"{indent}{fence}"]
    return "\n".join(lines)


def change_lines(change: Change) -> list[str]:
    """One Markdown list item (with continuation lines) for a change."""
    parts = [f"**{KIND_LABEL[change.kind]}**", md_link(change.title, change.url)]
    date = display_date(change.date)
    if date:
        parts.append(date)
    if change.areas:
        parts.append("areas: " + ", ".join(md_escape(short_label(tag)) for tag in change.areas))
    lines = ["- " + " · ".join(parts)]
    lines += [f"  {md_escape(one_line(line))}" for line in under_title(change)]
    if change.kind is ChangeKind.CHANGED and change.fields_changed:
        lines.append("  changed: " + ", ".join(md_escape(one_line(f)) for f in change.fields_changed))
    if change.diff:
        lines.append("")
        lines.append(code_fence(change.diff, indent="  "))
        lines.append("")
    return lines


def render_changes(
    changes: Sequence[Change],
    failed: Sequence[SourceResult] = (),
    *,
    title: str = "cnca-watch",
    source_order: Sequence[str] = (),
    intro: Sequence[str] = (),
    noted: Sequence[SourceResult] = (),
) -> str:
    """Failed sources first, then attachment notes (``noted``'s), then changes by task area and source."""
    out = [f"# {md_escape(one_line(title))}", ""]
    out += [md_escape(one_line(line)) for line in intro]
    out += [md_escape(summary(changes, failed)), ""]
    if failed:
        out += ["## Sources that failed", ""]
        for source in failed:
            out.append(f"- {md_escape(source_problem(source))} — {md_link(source.url, source.url)}")
        out.append("")
    notes = attachment_note_lines(noted)
    if notes:
        out += [f"## {ATTACHMENT_NOTES_HEADING}", "", f"_{md_escape(ATTACHMENT_NOTES_HINT)}_", ""]
        out += [f"- {md_escape(line)}" for line in notes]
        out.append("")
    if not changes:
        out += ["No changes.", ""]
    for area in group_changes(changes, source_order):
        out += [f"## {md_escape(area.label)} ({area.count})", ""]
        for group in area.sources:
            out += [f"### {md_escape(one_line(group.source))}", ""]
            for change in group.changes:
                out += change_lines(change)
            out.append("")
    return "\n".join(_squeeze_blank_lines(out)).rstrip("\n") + "\n"


def _squeeze_blank_lines(lines: list[str]) -> list[str]:
    squeezed: list[str] = []
    for line in lines:
        if line == "" and squeezed and squeezed[-1] == "":
            continue
        squeezed.append(line)
    return squeezed


def render_run(result: RunResult) -> str:
    """The Markdown document for one ``check`` run."""
    failed = failed_sources(result.sources)
    checked = len(result.sources)
    intro = [f"Run {result.id} finished {result.finished_at}; {checked} source{'s' if checked != 1 else ''} checked."]
    return render_changes(
        result.changes,
        failed,
        title="cnca-watch check",
        source_order=[s.name for s in result.sources],
        intro=intro,
        noted=result.sources,
    )
