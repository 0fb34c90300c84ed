"""Compare this run's window of a source with the stored snapshots.  Pure functions.

Truthfulness rules (issue 2):

* ``new``      a URL never seen (or seen and already reported removed) before — unless it
  came into view *below* every announcement already known in this window and is dated
  no later than the oldest of them: the window reached further down (a withdrawal moved
  the rows up, ``pages`` grew), so it is an old announcement, recorded without a change
  (``backfilled``).  Undated rows cannot show that and stay ``new``;
* ``changed``  same URL, different title, date, body or attachment list;
* ``removed``  only a URL whose detail page answers 404/410 (``gone``), or one that
  vanished from *inside* the window: a newer and an older neighbour are still
  listed, so it neither scrolled past the last fetched page nor was a pinned top item
  that moved down.  Anything else that vanished is only marked unlisted.

Chinese text has no spaces, so the word diff treats every CJK character as a word.
"""

from __future__ import annotations

import re
from difflib import SequenceMatcher
from typing import Mapping, Sequence

from cnca_watch.models import Announcement, Attachment, Change, ChangeKind, SourceDiff, Snapshot

CONTEXT_CHARS = 40
ELLIPSIS = "…"

# CJK ideographs, CJK punctuation, full-width forms, kana and hangul: one token each.
_CJK = (
    "\u2e80-\u2eff\u2f00-\u2fdf\u3000-\u303f\u3040-\u30ff\u3100-\u312f\u3190-\u31ff"
    "\u3200-\u32ff\u3300-\u33ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff"
    "\ufe30-\ufe4f\uff00-\uffef\U00020000-\U0002fa1f"
)
_TOKEN = re.compile(rf"[{_CJK}]|(?:(?![{_CJK}])\w)+|\s+|.", re.S)


def tokenize(text: str) -> list[str]:
    """Word tokens: one per CJK character, Latin/digit runs, whitespace runs, other single chars."""
    return _TOKEN.findall(text)


def word_diff(old: str, new: str) -> str:
    """Inline diff: deletions ``[-…-]``, insertions ``{+…+}``; '' when the texts are equal.

    Long unchanged runs are cut to about ``CONTEXT_CHARS`` characters either side of a
    change, with ``…`` marking what was left out (bodies can be pages long).
    """
    if old == new:
        return ""
    a, b = tokenize(old), tokenize(new)
    ops = _merged_ops(a, b)
    parts: list[str] = []
    last = len(ops) - 1
    for index, (tag, old_text, new_text) in enumerate(ops):
        if tag == "equal":
            parts.append(_elide(old_text, leading=index > 0, trailing=index < last))
            continue
        if old_text:
            parts.append(f"[-{old_text}-]")
        if new_text:
            parts.append(f"{{+{new_text}+}}")
    return "".join(parts)


def _merged_ops(a: list[str], b: list[str]) -> list[tuple[str, str, str]]:
    """(tag, old text, new text) with whitespace-only equal runs between edits absorbed."""
    matcher = SequenceMatcher(None, a, b, autojunk=False)
    raw = [
        ("equal" if tag == "equal" else "edit", "".join(a[i1:i2]), "".join(b[j1:j2]))
        for tag, i1, i2, j1, j2 in matcher.get_opcodes()
    ]
    # "[-a-]{+c+} [-b-]{+d+}" reads worse than "[-a b-]{+c d+}".
    for index in range(1, len(raw) - 1):
        tag, old_text, _ = raw[index]
        if tag == "equal" and old_text.isspace() and raw[index - 1][0] == raw[index + 1][0] == "edit":
            raw[index] = ("edit", old_text, old_text)
    merged: list[tuple[str, str, str]] = []
    for tag, old_text, new_text in raw:
        if merged and merged[-1][0] == tag == "edit":
            _, prev_old, prev_new = merged[-1]
            merged[-1] = ("edit", prev_old + old_text, prev_new + new_text)
        else:
            merged.append((tag, old_text, new_text))
    return merged


def _elide(text: str, *, leading: bool, trailing: bool) -> str:
    """Keep the context next to the edits: ``leading`` = an edit precedes, ``trailing`` = one follows."""
    keep_head = CONTEXT_CHARS if leading else 0
    keep_tail = CONTEXT_CHARS if trailing else 0
    if len(text) <= keep_head + keep_tail + len(ELLIPSIS):
        return text
    head = text[:keep_head]
    tail = text[len(text) - keep_tail :] if keep_tail else ""
    return f"{head}{ELLIPSIS}{tail}"


def vanished(previous: Mapping[str, Snapshot], current: Sequence[Announcement]) -> list[str]:
    """URLs listed in the last window (and not already removed) that this window lacks."""
    seen = {a.url for a in current}
    return [
        url
        for url, snap in sorted(previous.items(), key=lambda kv: _position_key(kv[1]))
        if snap.listed and not snap.removed and url not in seen
    ]


def _position_key(snap: Snapshot) -> tuple[int, str]:
    return (snap.position if snap.position is not None else 1 << 30, snap.url)


def diff_source(
    source: str,
    previous: Mapping[str, Snapshot],
    current: Sequence[Announcement],
    *,
    gone: frozenset[str] = frozenset(),
    detected_at: str = "",
) -> SourceDiff:
    """The changes between the stored snapshots and this run's window (in page order)."""
    changes: list[Change] = []
    backfilled: set[str] = set()
    below_known, oldest_known = _window_bottom(previous, current)
    for item in current:
        snap = previous.get(item.url)
        if snap is None or snap.removed:
            if (
                snap is None
                and item.position > below_known
                and item.date is not None
                and oldest_known is not None
                and item.date <= oldest_known
            ):
                backfilled.add(item.url)
            else:
                changes.append(_change(ChangeKind.NEW, source, item, detected_at))
            continue
        fields, text = _compare(snap, item)
        if fields:
            changes.append(_change(ChangeKind.CHANGED, source, item, detected_at, fields, text))

    # An item vanished from inside the window when items listed both below it (so it did
    # not scroll off the end) and above it (so it was not a pinned top item that moved
    # down past the window) are still listed.
    still_listed = [
        snap.position
        for item in current
        if (snap := previous.get(item.url)) is not None and snap.listed and snap.position is not None
    ]
    deepest_still_listed = max(still_listed, default=None)
    highest_still_listed = min(still_listed, default=None)
    unlisted: set[str] = set()
    for url in vanished(previous, current):
        snap = previous[url]
        inside = (
            deepest_still_listed is not None
            and highest_still_listed is not None
            and snap.position is not None
            and highest_still_listed < snap.position < deepest_still_listed
        )
        if url in gone or inside:
            changes.append(
                Change(
                    kind=ChangeKind.REMOVED,
                    source=source,
                    url=url,
                    title=snap.title,
                    date=snap.date,
                    attachments=snap.attachments,
                    areas=snap.areas,
                    detected_at=detected_at,
                    area_reason=snap.area_reason,
                )
            )
        else:
            unlisted.add(url)
    return SourceDiff(changes=tuple(changes), unlisted=frozenset(unlisted), backfilled=frozenset(backfilled))


def _window_bottom(
    previous: Mapping[str, Snapshot], current: Sequence[Announcement]
) -> tuple[int, str | None]:
    """(position of the lowest already-known row in this window, the oldest date among the
    known rows); (a position below everything, None) when no row is known yet."""
    known = [item for item in current if (snap := previous.get(item.url)) is not None and not snap.removed]
    if not known:
        return 1 << 30, None
    dates = [item.date for item in known if item.date is not None]
    return max(item.position for item in known), min(dates, default=None)


def _change(
    kind: ChangeKind,
    source: str,
    item: Announcement,
    detected_at: str,
    fields: tuple[str, ...] = (),
    text: str = "",
) -> Change:
    return Change(
        kind=kind,
        source=source,
        url=item.url,
        title=item.title,
        date=item.date,
        fields_changed=fields,
        diff=text,
        attachments=item.attachments,
        areas=item.areas,
        detected_at=detected_at,
        area_reason=item.area_reason,
    )


def _compare(snap: Snapshot, item: Announcement) -> tuple[tuple[str, ...], str]:
    """Fields that differ (title, date, body, attachments order) and the labelled diff."""
    fields: list[str] = []
    lines: list[str] = []
    if snap.title != item.title:
        fields.append("title")
        lines.append(f"title: {word_diff(snap.title, item.title)}")
    if snap.date != item.date:
        fields.append("date")
        lines.append(f"date: {snap.date or '(none)'} -> {item.date or '(none)'}")
    if snap.body != item.body:
        fields.append("body")
        lines.append(f"body: {word_diff(snap.body, item.body)}")
    old_files, new_files = _pairs(snap.attachments), _pairs(item.attachments)
    if old_files != new_files:
        fields.append("attachments")
        lines.extend(_attachment_lines(old_files, new_files))
    return tuple(fields), "\n".join(lines)


def _pairs(attachments: Sequence[Attachment]) -> tuple[tuple[str, str], ...]:
    return tuple((a.url, a.name) for a in attachments)


def _attachment_lines(
    old: tuple[tuple[str, str], ...], new: tuple[tuple[str, str], ...]
) -> list[str]:
    old_set, new_set = set(old), set(new)
    lines = [f"- {name} ({url})" for url, name in old if (url, name) not in new_set]
    lines += [f"+ {name} ({url})" for url, name in new if (url, name) not in old_set]
    if not lines:
        lines.append("attachments reordered")
    return lines


def layout_change_reason(previous_items_seen: int | None, items_now: int) -> str | None:
    """Why a list that suddenly shrank is more likely a broken extractor than mass removal."""
    if not previous_items_seen:
        return None  # first run (or nothing to compare with)
    if items_now == 0:
        return (
            f"the list yielded 0 items ({previous_items_seen} last time): "
            "the page layout probably changed"
        )
    if previous_items_seen >= 4 and items_now * 2 < previous_items_seen:
        return (
            f"the list yielded only {items_now} items ({previous_items_seen} last time): "
            "the page layout probably changed"
        )
    return None
