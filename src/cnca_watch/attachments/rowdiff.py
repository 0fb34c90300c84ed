"""Row diffs of sheets: rows added, removed and changed, keyed by the column that names a row.

Pure.  A sheet is a sequence of rows of ``str`` whose first row is the header.  Rows are
matched by a key column (given, or detected: the most unique, fully populated column among the
first few, never a running serial number such as 序号 — inserting one row renumbers every row
after it, which would make every row look changed).  Without a usable key, rows are compared
whole, as a multiset.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Callable, Sequence

Row = tuple[str, ...]

_SERIAL_HEADERS = frozenset({"序号", "序", "编号序", "no", "no.", "#", "nr", "s/n", "sn", "行号"})
_KEY_SEARCH_COLUMNS = 5
_MIN_KEY_UNIQUENESS = 0.9


class KeyColumnError(ValueError):
    """The key column asked for is not in the sheet's header."""


@dataclass(frozen=True, slots=True)
class RowChange:
    key: str
    old: Row
    new: Row
    columns: tuple[str, ...]  # names of the columns whose value changed


@dataclass(frozen=True, slots=True)
class SheetDiff:
    header: Row  # the columns the rows below are expressed in (new header, then old-only columns)
    key_column: str | None
    added: tuple[Row, ...] = ()
    removed: tuple[Row, ...] = ()
    changed: tuple[RowChange, ...] = ()
    columns_added: tuple[str, ...] = ()
    columns_removed: tuple[str, ...] = ()

    @property
    def is_empty(self) -> bool:
        return not (self.added or self.removed or self.changed or self.columns_added or self.columns_removed)


def diff_sheets(old_rows: Sequence[Sequence[str]], new_rows: Sequence[Sequence[str]], key_column: str | None = None) -> SheetDiff:
    """Compare two versions of a sheet (header first).  ``key_column`` names the identifying column."""
    old_header, old_body = _split(old_rows)
    new_header, new_body = _split(new_rows)
    columns = tuple(dict.fromkeys((*new_header, *old_header)))
    old_records = [_aligned(old_header, row, columns) for row in old_body]
    new_records = [_aligned(new_header, row, columns) for row in new_body]
    columns_added = tuple(c for c in new_header if c not in old_header) if old_header else ()
    columns_removed = tuple(c for c in old_header if c not in new_header) if new_header else ()

    if key_column is not None and key_column not in columns:
        shown = ", ".join(columns[:12]) or "(none)"
        raise KeyColumnError(f"key column {key_column!r} is not in the sheet header (columns: {shown}); set one of those")
    key_index = columns.index(key_column) if key_column is not None else detect_key_column(columns, old_records, new_records)
    if key_index is None:
        positional = {i for i in range(len(columns)) if _is_serial_column(columns[i], i, old_records, new_records)}
        added, removed = _multiset_diff(old_records, new_records, positional)
        return SheetDiff(columns, None, added, removed, (), columns_added, columns_removed)

    # A running number (序号) shifts when a row is inserted above; it says nothing about the row.
    positional = {i for i in range(len(columns)) if i != key_index and _is_serial_column(columns[i], i, old_records, new_records)}
    old_by_key = _keyed(old_records, key_index)
    new_by_key = _keyed(new_records, key_index)
    added = tuple(row for key, row in new_by_key.items() if key not in old_by_key)
    removed = tuple(row for key, row in old_by_key.items() if key not in new_by_key)
    changed = []
    for key, new in new_by_key.items():
        old = old_by_key.get(key)
        if old is None:
            continue
        differing = tuple(columns[i] for i, (a, b) in enumerate(zip(old, new)) if a != b and i not in positional)
        if differing:
            changed.append(RowChange(key[0], old, new, differing))
    return SheetDiff(columns, columns[key_index], added, removed, tuple(changed), columns_added, columns_removed)


def diff_sheets_keyed(
    old_rows: Sequence[Sequence[str]], new_rows: Sequence[Sequence[str]], wanted: Sequence[str]
) -> tuple[SheetDiff, str | None]:
    """``diff_sheets`` keyed by the first of the ``wanted`` columns the sheet has (a source's
    ``sheet_key``), else by the detected one; the second value notes a wanted key not found."""
    columns = set(_split(new_rows)[0]) | set(_split(old_rows)[0])
    chosen = next((name for name in wanted if name in columns), None)
    if chosen is not None or not wanted:
        return diff_sheets(old_rows, new_rows, chosen), None
    diff = diff_sheets(old_rows, new_rows)
    asked = " or ".join(wanted)
    used = f"detected {diff.key_column} used" if diff.key_column else "no key detected, rows compared whole"
    return diff, f"key column {asked} not found; {used}"


def detect_key_column(columns: Sequence[str], old: Sequence[Row], new: Sequence[Row]) -> int | None:
    """Index of the identifying column among the first few, or None when no column qualifies."""
    best: tuple[float, int] | None = None
    for index, name in enumerate(columns[:_KEY_SEARCH_COLUMNS]):
        if name.strip().lower() in _SERIAL_HEADERS:
            continue
        scores = [_uniqueness([row[index] for row in rows]) for rows in (old, new) if rows]
        if not scores or any(score is None for score in scores):
            continue
        if any(_is_serial([row[index] for row in rows]) for rows in (old, new) if rows):
            continue
        score = min(s for s in scores if s is not None)
        if score >= _MIN_KEY_UNIQUENESS and (best is None or score > best[0]):
            best = (score, index)
    return best[1] if best else None


def _uniqueness(values: list[str]) -> float | None:
    """Distinct share of the values; None when a value is missing (a key must name every row)."""
    if any(not value.strip() for value in values):
        return None
    return len(set(values)) / len(values)


def _is_serial_column(name: str, index: int, old: Sequence[Row], new: Sequence[Row]) -> bool:
    if name.strip().lower() in _SERIAL_HEADERS:
        return True
    sides = [[row[index] for row in rows] for rows in (old, new) if rows]
    return bool(sides) and all(_is_serial(values) for values in sides)


def _is_serial(values: list[str]) -> bool:
    return len(values) > 1 and all(v.strip().isdigit() for v in values) and [int(v) for v in values] == list(
        range(int(values[0]), int(values[0]) + len(values))
    )


def _split(rows: Sequence[Sequence[str]]) -> tuple[Row, list[Row]]:
    if not rows:
        return (), []
    header = _names(rows[0])
    return header, [tuple(row) for row in rows[1:]]


def _names(header: Sequence[str]) -> Row:
    """Column names: blanks become 列N; a repeated name gets #2, #3."""
    seen: Counter[str] = Counter()
    names = []
    for number, raw in enumerate(header, start=1):
        name = " ".join(str(raw).split()) or f"列{number}"
        seen[name] += 1
        names.append(name if seen[name] == 1 else f"{name}#{seen[name]}")
    return tuple(names)


def _aligned(header: Row, row: Row, columns: Row) -> Row:
    """The row's values in ``columns`` order (a column the row's sheet lacks is empty)."""
    by_name = dict(zip(header, row))
    extra = row[len(header):]  # cells beyond the header are kept under 列N names
    for offset, value in enumerate(extra, start=len(header) + 1):
        by_name.setdefault(f"列{offset}", value)
    return tuple(by_name.get(column, "") for column in columns)


def _keyed(records: Sequence[Row], key_index: int) -> dict[tuple[str, int], Row]:
    # A repeated key is told apart by its occurrence number, so no row is lost.
    seen: Counter[str] = Counter()
    keyed: dict[tuple[str, int], Row] = {}
    for row in records:
        key = row[key_index].strip()
        keyed[(key, seen[key])] = row
        seen[key] += 1
    return keyed


def _multiset_diff(old: Sequence[Row], new: Sequence[Row], positional: set[int]) -> tuple[tuple[Row, ...], tuple[Row, ...]]:
    def identity(row: Row) -> Row:
        return tuple(value for i, value in enumerate(row) if i not in positional)

    old_count, new_count = Counter(map(identity, old)), Counter(map(identity, new))
    return _take(new, new_count - old_count, identity), _take(old, old_count - new_count, identity)


def _take(rows: Sequence[Row], wanted: Counter[Row], identity: Callable[[Row], Row]) -> tuple[Row, ...]:
    """Rows in their sheet order, each taken as many times as ``wanted`` says."""
    left = Counter(wanted)
    taken = []
    for row in rows:
        if left[identity(row)] > 0:
            taken.append(row)
            left[identity(row)] -= 1
    return tuple(taken)


def render_sheet_diff(diff: SheetDiff, *, max_rows: int = 20, indent: str = "  ") -> str:
    """A readable account: "3 rows added (key 型号):" followed by the rows, then removed, changed."""
    if diff.is_empty:
        return "no row changed"
    key = diff.key_column
    key_index = diff.header.index(key) if key else None
    lines: list[str] = []
    if diff.columns_added:
        lines.append(f"columns added: {', '.join(diff.columns_added)}")
    if diff.columns_removed:
        lines.append(f"columns removed: {', '.join(diff.columns_removed)}")
    keyed_by = f" (key {key})" if key else ""
    for label, sign, rows in (("added", "+", diff.added), ("removed", "-", diff.removed)):
        if rows:
            lines.append(f"{_count(len(rows), 'row')} {label}{keyed_by}:")
            lines += [f"{indent}{sign} {_show_row(row, key_index)}" for row in rows[:max_rows]]
            lines += _more(len(rows), max_rows, indent)
    if diff.changed:
        lines.append(f"{_count(len(diff.changed), 'row')} changed{keyed_by}:")
        for change in diff.changed[:max_rows]:
            edits = "; ".join(
                f"{name}: {_quote(change.old[i])} → {_quote(change.new[i])}"
                for i, name in enumerate(diff.header)
                if name in change.columns
            )
            lines.append(f"{indent}~ {change.key}: {edits}")
        lines += _more(len(diff.changed), max_rows, indent)
    return "\n".join(lines)


def _show_row(row: Row, key_index: int | None) -> str:
    if key_index is None:
        return " | ".join(row)
    others = [value for i, value in enumerate(row) if i != key_index and value]
    return f"{row[key_index]}: " + " | ".join(others) if others else row[key_index]


def _quote(value: str) -> str:
    return f"“{value}”" if value else "(empty)"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _more(total: int, shown: int, indent: str) -> list[str]:
    return [f"{indent}… and {total - shown} more"] if total > shown else []
