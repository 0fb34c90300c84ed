"""``show``: one announcement with its versions, tags and the diffs between them."""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from cnca_watch.render.common import area_labels
from cnca_watch.render.safe import clean_text, one_line

if TYPE_CHECKING:
    from cnca_watch.store import AnnouncementHistory


def show_text(found: "AnnouncementHistory") -> str:
    """For a person: its versions (with tags), the changes between them, and the latest
    body in full."""
    state = "removed" if found.removed else "listed" if found.listed else "no longer in the list window"
    lines = [
        f"announcement {found.id} · {one_line(found.source)} · {state}",
        f"  {one_line(found.url)}",
        "",
        f"versions ({len(found.versions)}):",
    ]
    for number, version in enumerate(found.versions, 1):
        lines.append(f"  v{number}  seen {version.seen_at} (run {version.run_id})  {version.date or 'no date'}  {one_line(version.title)}")
        if version.areas:
            lines.append(f"      areas: {one_line(area_labels(version.areas))}")
        for retag in version.previous_tags:
            old = ", ".join(one_line(a.id) for a in retag.areas) or "none"
            lines.append(f"      before re-tagging {retag.retag_id} at {retag.at}: {old}")
        for attachment in version.attachments:
            lines.append(f"      file: {one_line(attachment.name)} <{one_line(attachment.url)}>")
    lines += ["", f"changes ({len(found.changes)}):"]
    for change in found.changes:
        fields = f" ({', '.join(change.fields_changed)})" if change.fields_changed else ""
        lines.append(f"  {change.detected_at}  {change.kind.value}{fields}")
        for diff_line in clean_text(change.diff).splitlines():
            lines.append(f"      {diff_line}")
    if found.versions:
        lines += ["", "body (latest version):", clean_text(found.versions[-1].body) or "(none: details were not fetched)"]
    return "\n".join(lines) + "\n"


def show_json(found: "AnnouncementHistory") -> dict[str, Any]:
    """Schema: ``show-output.schema.json`` (the store's record as it is, values as stored;
    its changes exactly as ``check --json`` prints them)."""
    from cnca_watch.render.json import change_to_json

    document = asdict(found)
    document["changes"] = [change_to_json(change) for change in found.changes]
    return document
