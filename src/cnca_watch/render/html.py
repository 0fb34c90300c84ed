"""HTML output of a ``check`` run: a self-contained page (inline styles, no scripts).

Also the HTML part of the notification email, so styles are inline (mail readers drop
``<style>`` blocks).  Every untrusted string is cleaned then ``html.escape``d; only
http(s) URLs become ``href``s.
"""

from __future__ import annotations

from html import escape
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
    parse_diff,
    short_label,
    source_problem,
    summary,
)
from cnca_watch.render.safe import clean_text, http_url, one_line

_KIND_COLOR = {ChangeKind.NEW: "#1a7f37", ChangeKind.CHANGED: "#9a6700", ChangeKind.REMOVED: "#cf222e"}
_DEL_STYLE = "background:#ffebe9;color:#82071e;text-decoration:line-through"
_INS_STYLE = "background:#dafbe1;color:#116329;text-decoration:none"
_TAG_STYLE = "display:inline-block;border:1px solid #d0d7de;border-radius:3px;padding:0 4px;margin-right:4px;font-size:90%"


def h(text: str | None) -> str:
    """Untrusted one-line text, escaped for HTML content or attribute."""
    return escape(one_line(text), quote=True)


def link(text: str | None, url: str | None) -> str:
    """An ``<a>`` for an http(s) URL; otherwise the escaped text (and the URL as text)."""
    label = h(text) or h(url) or "untitled"
    target = http_url(url)
    if target is None:
        return f"{label} <span>({h(url)})</span>" if url else label
    return f'<a href="{escape(target, quote=True)}" rel="noopener noreferrer">{label}</a>'


def diff_html(diff: str) -> str:
    """A word diff with ``[-…-]`` as <del> and ``{+…+}`` as <ins>, line breaks kept."""
    pieces = []
    for op, text in parse_diff(clean_text(diff)):
        body = escape(text, quote=True).replace("\n", "<br>\n")
        if op == "del":
            pieces.append(f'<del style="{_DEL_STYLE}">{body}</del>')
        elif op == "ins":
            pieces.append(f'<ins style="{_INS_STYLE}">{body}</ins>')
        else:
            pieces.append(body)
    return "".join(pieces)


def change_html(change: Change) -> str:
    """One <li> for a change."""
    kind = (
        f'<strong style="color:{_KIND_COLOR[change.kind]}">{KIND_LABEL[change.kind]}</strong>'
    )
    parts = [kind, link(change.title, change.url)]
    date = display_date(change.date)
    if date:
        parts.append(f"<time>{date}</time>")
    line = " · ".join(parts)
    for shown in under_title(change):
        line += f"<br>\n<small>{h(shown)}</small>"
    if change.areas:
        tags = "".join(f'<span style="{_TAG_STYLE}">{h(short_label(t))}</span>' for t in change.areas)
        line += f"<br>\n{tags}"
    if change.kind is ChangeKind.CHANGED and change.fields_changed:
        line += "<br>\nchanged: " + ", ".join(h(f) for f in change.fields_changed)
    if change.diff:
        line += (
            '\n<div style="margin:4px 0 8px 0;padding:6px;border-left:3px solid #d0d7de;'
            f'">{diff_html(change.diff)}</div>'
        )
    return f"<li>{line}</li>"


def render_body(
    changes: Sequence[Change],
    failed: Sequence[SourceResult] = (),
    *,
    title: str = "cnca-watch",
    source_order: Sequence[str] = (),
    intro: Sequence[str] = (),
    noted: Sequence[SourceResult] = (),
) -> str:
    """The inner HTML (inside <body>): failed sources first, then attachment notes
    (``noted``'s), then changes by area and source."""
    out = [f"<h1>{h(title)}</h1>"]
    out += [f"<p>{h(line)}</p>" for line in intro]
    out.append(f"<p><strong>{h(summary(changes, failed))}</strong></p>")
    if failed:
        out.append('<h2 style="color:#cf222e">Sources that failed</h2>')
        out.append("<ul>")
        for source in failed:
            out.append(f"<li>{h(source_problem(source))} — {link(source.url, source.url)}</li>")
        out.append("</ul>")
    notes = attachment_note_lines(noted)
    if notes:
        out.append(f'<h2 style="color:#9a6700">{h(ATTACHMENT_NOTES_HEADING)}</h2>')
        out.append(f"<p><em>{h(ATTACHMENT_NOTES_HINT)}</em></p>")
        out.append("<ul>")
        out += [f"<li>{h(line)}</li>" for line in notes]
        out.append("</ul>")
    if not changes:
        out.append("<p>No changes.</p>")
    for area in group_changes(changes, source_order):
        out.append(f"<h2>{h(area.label)} ({area.count})</h2>")
        for group in area.sources:
            out.append(f"<h3>{h(group.source)}</h3>")
            out.append("<ul>")
            out += [change_html(c) for c in group.changes]
            out.append("</ul>")
    return "\n".join(out)


def document(title: str, body: str) -> str:
    """A complete HTML5 page around ``body`` (already safe HTML)."""
    return (
        "<!DOCTYPE html>\n"
        '<html lang="zh-CN">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{h(title)}</title>\n</head>\n"
        '<body style="font-family:sans-serif;line-height:1.5;max-width:60em;margin:1em auto;padding:0 1em">\n'
        f"{body}\n</body>\n</html>\n"
    )


def render_changes(
    changes: Sequence[Change],
    failed: Sequence[SourceResult] = (),
    *,
    title: str = "cnca-watch",
    source_order: Sequence[str] = (),
    intro: Sequence[str] = (),
    noted: Sequence[SourceResult] = (),
) -> str:
    """A complete HTML page for a list of changes (and ``noted``'s attachment notes)."""
    body = render_body(changes, failed, title=title, source_order=source_order, intro=intro, noted=noted)
    return document(title, body)


def render_run(result: RunResult) -> str:
    """The HTML page for one ``check`` run."""
    checked = len(result.sources)
    intro = [f"Run {result.id} finished {result.finished_at}; {checked} source{'s' if checked != 1 else ''} checked."]
    return render_changes(
        result.changes,
        failed_sources(result.sources),
        title="cnca-watch check",
        source_order=[s.name for s in result.sources],
        intro=intro,
        noted=result.sources,
    )
