"""The notification email: one multipart/alternative message (plain text + HTML, UTF-8).

Headers are built with ``email.policy.SMTP``: non-ASCII subjects and names are RFC 2047
encoded, and no header value can carry CR/LF (the subject is folded onto one line and
cleaned first, so a hostile title cannot add a ``Bcc:``).
"""

from __future__ import annotations

import email.policy
from datetime import datetime, timezone
from email.header import Header
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from typing import TYPE_CHECKING, Sequence

from cnca_watch.models import Change, ChangeKind, SourceResult
from cnca_watch.render import html as html_render
from cnca_watch.render.common import (
    ATTACHMENT_NOTES_HEADING,
    ATTACHMENT_NOTES_HINT,
    attachment_note_lines,
    under_title,
    KIND_LABEL,
    display_date,
    group_changes,
    short_label,
    source_problem,
    summary,
)
from cnca_watch.render.safe import clean_text, one_line
from cnca_watch.settings import EmailSettings

if TYPE_CHECKING:
    from cnca_watch.review import Review
    from cnca_watch.upcoming import Deadline, Upcoming


def subject_line(template: str, *, summary_text: str, today: str) -> str:
    """The subject template filled in; ``{summary}`` and ``{date}`` are the only fields.

    Plain replacement rather than ``str.format``: a stray brace in a user's template must
    not crash the daily run.
    """
    filled = template.replace("{summary}", summary_text).replace("{date}", today)
    return one_line(filled) or f"cnca-watch: {summary_text}"


def _indent(text: str, prefix: str) -> list[str]:
    return [f"{prefix}{line}".rstrip() for line in clean_text(text).split("\n")]


def text_body(
    changes: Sequence[Change],
    failed: Sequence[SourceResult],
    *,
    heading: str,
    source_order: Sequence[str] = (),
    noted: Sequence[SourceResult] = (),
) -> str:
    """The plain-text part: failed sources at the top, then attachment notes (``noted``'s),
    then changes by area and source."""
    out = [one_line(heading), ""]
    if failed:
        out.append("SOURCES THAT FAILED")
        for source in failed:
            out.append(f"  ! {source_problem(source)}")
            out.append(f"    {one_line(source.url)}")
        out.append("")
    notes = attachment_note_lines(noted)
    if notes:
        out += [f"{ATTACHMENT_NOTES_HEADING.upper()} ({ATTACHMENT_NOTES_HINT})", *(f"  - {line}" for line in notes), ""]
    if not changes:
        out += ["No changes.", ""]
    for area in group_changes(changes, source_order):
        out += [f"== {area.label} ({area.count}) ==", ""]
        for group in area.sources:
            out += [f"-- {one_line(group.source)} --", ""]
            for change in group.changes:
                out.append(f"* [{KIND_LABEL[change.kind]}] {one_line(change.title) or 'untitled'}")
                out += [f"  {one_line(line)}" for line in under_title(change)]
                out.append(f"  {one_line(change.url)}")
                details = [d for d in (display_date(change.date), ", ".join(short_label(t) for t in change.areas)) if d]
                if details:
                    out.append("  " + " · ".join(details))
                if change.kind is ChangeKind.CHANGED and change.fields_changed:
                    out.append("  changed: " + ", ".join(one_line(f) for f in change.fields_changed))
                if change.diff:
                    out.append("  diff ([-removed-] {+added+}):")
                    out += _indent(change.diff, "    ")
                out.append("")
    out += ["-- ", "Sent by cnca-watch."]
    return "\n".join(out) + "\n"


def _new_message(settings: EmailSettings, subject: str, now: datetime | None) -> EmailMessage:
    """The headers every cnca-watch message carries."""
    message = EmailMessage(policy=email.policy.SMTP)
    message["Subject"] = EncodedSubject(subject)
    message["From"] = one_line(settings.sender)
    message["To"] = ", ".join(one_line(address) for address in settings.to)
    message["Date"] = format_datetime(now or datetime.now(timezone.utc))
    message["Message-ID"] = make_msgid("cnca-watch", domain=_domain_of(settings.sender))
    message["X-Mailer"] = "cnca-watch"
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies
    return message


def compose_review_email(review: "Review", settings: EmailSettings, *, now: datetime | None = None) -> EmailMessage:
    """``review --email``: the review as plain text and as HTML with its inline SVG chart and
    the table of the same numbers (mail clients that drop SVG still show the table)."""
    from cnca_watch.render.review import review_html, review_subject, review_text

    message = _new_message(settings, review_subject(review), now)
    message.set_content(review_text(review), subtype="plain", charset="utf-8")
    message.add_alternative(review_html(review), subtype="html", charset="utf-8")
    return message


def compose_email(
    result_changes: Sequence[Change],
    failed_sources: Sequence[SourceResult],
    settings: EmailSettings,
    *,
    today: str,
    source_order: Sequence[str] = (),
    now: datetime | None = None,
    coming_up: "Upcoming | None" = None,
    reminders: "Sequence[Deadline]" = (),
    noted: Sequence[SourceResult] = (),
) -> EmailMessage:
    """The notification message for these changes and failed sources (and the attachment
    notes of ``noted``, the run's sources).

    ``today`` (YYYY-MM-DD) fills ``{date}`` in the subject; ``now`` sets the Date header
    (default: the current time).
    """
    summary_text = summary(result_changes, failed_sources)
    subject = subject_line(settings.subject, summary_text=summary_text, today=today)

    message = _new_message(settings, subject, now)

    dates = _dates_text(coming_up, reminders)
    body = text_body(result_changes, failed_sources, heading=subject, source_order=source_order, noted=noted)
    if dates:  # above the signature
        cut = body.rfind("-- \n")
        body = body[:cut] + dates + "\n" + body[cut:] if cut >= 0 else body + "\n" + dates
    message.set_content(
        body,
        subtype="plain",
        charset="utf-8",
    )
    page = html_render.render_changes(
        result_changes, failed_sources, title=subject, source_order=source_order, noted=noted
    )
    if dates:
        page = page.replace("</body>", f"<pre>{html_render.h(dates)}</pre>\n</body>", 1)
    message.add_alternative(page, subtype="html", charset="utf-8")
    return message


def _dates_text(coming_up: "Upcoming | None", reminders: "Sequence[Deadline]") -> str:
    """REMINDERS (7 days / 1 day before a deadline) and COMING UP (the next 7 days)."""
    from cnca_watch.render.fields import coming_up_lines

    out: list[str] = []
    if reminders:
        out.append("REMINDERS")
        for deadline in reminders:
            when = "tomorrow" if deadline.days_left == 1 else f"in {deadline.days_left} days"
            out.append(f"  {deadline.date} ({when})  {deadline.label}: {one_line(deadline.title)}")
            out.append(f"    {one_line(deadline.url)}")
        out.append("")
    coming = coming_up_lines(coming_up)
    if coming:
        out += [*coming, ""]
    return "\n".join(out)


class EncodedSubject(str):
    """The subject as text; a non-ASCII one is written as whole RFC 2047 encoded words.

    ``email``'s own folder can leave a space at the end of a line it folds next to an
    encoded word, which readers then show doubled ("failed  — 2024-01-12").  Encoding
    the whole value (whitespace between encoded words is ignored when decoding) keeps
    the subject exactly as built.
    """

    name = "Subject"

    def fold(self, *, policy: email.policy.Policy) -> str:
        text = str(self)
        if text.isascii():
            return str(policy.header_factory("Subject", text).fold(policy=policy))  # type: ignore[attr-defined]
        encoded = Header(text, charset="utf-8", header_name="Subject").encode(linesep=policy.linesep)
        return f"Subject: {encoded}{policy.linesep}"


def _domain_of(address: str) -> str:
    """The sender's domain for the Message-ID (avoids a slow getfqdn() lookup)."""
    _, addr = parseaddr(one_line(address))
    domain = addr.rpartition("@")[2]
    safe = "".join(c for c in domain if c.isascii() and (c.isalnum() or c in ".-"))
    return safe or "cnca-watch.localhost"
