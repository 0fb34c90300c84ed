"""Atom 1.0 feed of changes (RFC 4287), for feed readers.

Built with ElementTree, so markup characters are always escaped; characters XML 1.0 does
not allow at all (NUL and most C0 controls, lone surrogates, U+FFFE/U+FFFF) are removed
first, together with everything ``safe.clean_text`` removes.  Entry ids are stable: a
change keeps its id however often the feed is regenerated.
"""

from __future__ import annotations

import hashlib
import re
import xml.etree.ElementTree as ET
from typing import TYPE_CHECKING, Sequence

from cnca_watch.models import Change, ChangeKind
from cnca_watch.render.common import KIND_LABEL, display_date, short_label
from cnca_watch.render.html import change_html, h
from cnca_watch.render.safe import clean_text, http_url, one_line

ATOM_NS = "http://www.w3.org/2005/Atom"
AREA_SCHEME = "tag:cnca-watch,2024:task-areas"
GENERATOR_URI = "https://github.com/cnca-watch/cnca-watch"

# XML 1.0 Char production: #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF]
_NOT_XML_CHAR = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})")


def xml_text(s: str | None, *, multiline: bool = False) -> str:
    """Untrusted text cleaned for XML 1.0 character data."""
    cleaned = clean_text(s) if multiline else one_line(s)
    return _NOT_XML_CHAR.sub("", cleaned)


def change_entry_id(change: Change) -> str:
    """A stable, globally unique id for a change (tag: URI, RFC 4151).

    Derived from what identifies the change rather than the store's row id, so two stores
    never hand out the same id for different changes.
    """
    key = "\x1f".join((change.kind.value, change.source, change.url, change.detected_at, change.diff))
    digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:32]
    return f"tag:cnca-watch,2024:change/{digest}"


def _element(parent: ET.Element, tag: str, text: str | None = None, **attributes: str) -> ET.Element:
    element = ET.SubElement(parent, f"{{{ATOM_NS}}}{tag}", attributes)
    if text is not None:
        element.text = text
    return element


def _timestamp(value: str | None, fallback: str) -> str:
    return value if value and _TIMESTAMP.fullmatch(value) else fallback


if TYPE_CHECKING:
    from cnca_watch.operations import Feed

FEED_TITLE = "cnca-watch: CNCA/SAMR changes"
FEED_ID = "urn:cnca-watch:feed"


def feed_document(feed: "Feed") -> str:
    """``cnca-watch feed``: the period's changes as an Atom document."""
    return render_feed(feed.changes, title=FEED_TITLE, feed_id=FEED_ID, updated=feed.updated)


def render_feed(changes: Sequence[Change], *, title: str, feed_id: str, updated: str, self_url: str | None = None) -> str:
    """The feed document (UTF-8 XML text); one entry per change, newest detections first.

    ``updated`` is an RFC 3339 timestamp (e.g. ``2024-01-12T07:00:00Z``); entries without a
    valid ``detected_at`` use it.
    """
    ET.register_namespace("", ATOM_NS)
    feed_updated = _timestamp(updated, "1970-01-01T00:00:00Z")
    feed = ET.Element(f"{{{ATOM_NS}}}feed")
    _element(feed, "title", xml_text(title) or "cnca-watch")
    _element(feed, "id", xml_text(feed_id) or "tag:cnca-watch,2024:feed")
    _element(feed, "updated", feed_updated)
    author = _element(feed, "author")
    _element(author, "name", "cnca-watch")
    _element(feed, "generator", "cnca-watch", uri=GENERATOR_URI)
    self_link = http_url(self_url)
    if self_link:
        _element(feed, "link", rel="self", href=self_link, type="application/atom+xml")

    ordered = sorted(changes, key=lambda c: _timestamp(c.detected_at, feed_updated), reverse=True)
    for change in ordered:
        _entry(feed, change, feed_updated)

    ET.indent(feed, space="  ")
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(feed, encoding="unicode") + "\n"


def _entry(feed: ET.Element, change: Change, feed_updated: str) -> None:
    entry = _element(feed, "entry")
    title = xml_text(change.title) or "untitled"
    _element(entry, "title", f"{KIND_LABEL[change.kind]}: {title}", type="text")
    _element(entry, "id", change_entry_id(change))
    _element(entry, "updated", _timestamp(change.detected_at, feed_updated))
    date = display_date(change.date)
    if date:
        # Publication days are Beijing dates.
        _element(entry, "published", f"{date}T00:00:00+08:00")
    link = http_url(change.url)
    if link:
        _element(entry, "link", rel="alternate", href=link, type="text/html")
    for tag in change.areas:
        term = xml_text(tag.id)
        if term:
            _element(entry, "category", term=term, label=xml_text(short_label(tag)), scheme=AREA_SCHEME)
    _element(entry, "summary", _NOT_XML_CHAR.sub("", _summary_html(change)), type="html")


def _summary_html(change: Change) -> str:
    """The entry summary: source, date, areas and the diff, as (escaped) HTML."""
    lead = f"<p>Source: {h(change.source)}</p>"
    if change.kind is ChangeKind.REMOVED:
        lead += "<p>No longer listed on the source page.</p>"
    return lead + f"<ul>{change_html(change)}</ul>"
