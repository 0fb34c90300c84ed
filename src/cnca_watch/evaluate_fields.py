"""Score the field extractor on a labelled JSONL file: precision and recall per field.

One JSON object per line: ``{"title": …, "body": …, "date": "YYYY-MM-DD"|null, "labels":
{the seven keys}}`` (``id`` and ``url`` are shown in mismatches when present).

Counting, per field (values compared after :func:`normalise_value`):

- a single value (doc_number, doc_type, dates): predicted and labelled equal → a true
  positive; a value predicted where the label differs or is ``null`` → a false positive; a
  labelled value not predicted exactly → a false negative (a wrong value is both);
- a list (issuers, references): compared as sets of items, each item counted on its own.

Precision is ``None`` when nothing was predicted, recall ``None`` when nothing was labelled
(no evidence either way, rather than a free 1.0).
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cnca_watch.errors import UsageError
from cnca_watch.fields import DOC_TYPES, FIELD_NAMES, Fields, extract_fields, prepare

_LIST_FIELDS = frozenset({"issuers", "references"})
_YEAR_BRACKETS = re.compile(r"[\[【(（〔﹝［]\s*((?:19|20)\d{2})\s*[\]】)）〕﹞］]")


@dataclass(frozen=True, slots=True)
class LabelledText:
    title: str
    body: str
    published: str | None
    labels: Fields
    line: int
    ident: str = ""


@dataclass(frozen=True, slots=True)
class FieldScore:
    field: str
    true_positives: int
    false_positives: int
    false_negatives: int

    @property
    def precision(self) -> float | None:
        predicted = self.true_positives + self.false_positives
        return self.true_positives / predicted if predicted else None

    @property
    def recall(self) -> float | None:
        labelled = self.true_positives + self.false_negatives
        return self.true_positives / labelled if labelled else None


@dataclass(frozen=True, slots=True)
class FieldMismatch:
    line: int
    ident: str
    field: str
    expected: Any
    predicted: Any


@dataclass(frozen=True, slots=True)
class FieldsEvalReport:
    rows: int
    per_field: tuple[FieldScore, ...]
    mismatches: tuple[FieldMismatch, ...]

    def score(self, name: str) -> FieldScore:
        for score in self.per_field:
            if score.field == name:
                return score
        raise KeyError(name)

    def to_json(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "fields": [
                {
                    "field": s.field,
                    "precision": None if s.precision is None else round(s.precision, 4),
                    "recall": None if s.recall is None else round(s.recall, 4),
                    "true_positives": s.true_positives,
                    "false_positives": s.false_positives,
                    "false_negatives": s.false_negatives,
                }
                for s in self.per_field
            ],
            "mismatches": [
                {"line": m.line, "id": m.ident, "field": m.field, "expected": m.expected, "predicted": m.predicted}
                for m in self.mismatches
            ],
        }

    def lines(self) -> list[str]:
        """A plain-text table, one field a line."""
        out = [f"{self.rows} labelled texts", f"{'field':<18} {'precision':>9} {'recall':>7}   tp  fp  fn"]
        for s in self.per_field:
            out.append(
                f"{s.field:<18} {_fmt(s.precision):>9} {_fmt(s.recall):>7} "
                f"{s.true_positives:>4}{s.false_positives:>4}{s.false_negatives:>4}"
            )
        return out


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def normalise_value(value: str) -> str:
    """NFKC, simplified characters, no whitespace, 〔〕 around a year: how values compare."""
    text = re.sub(r"\s+", "", prepare(unicodedata.normalize("NFKC", value), join_cjk=False))
    return _YEAR_BRACKETS.sub(r"〔\1〕", text)


def read_labelled_fields(path: Path) -> list[LabelledText]:
    """Rows of a labelled JSONL file; ``UsageError`` naming the line for a bad one."""
    try:
        raw = path.read_text("utf-8")
    except FileNotFoundError:
        raise UsageError(f"{path}: no such file (give a JSONL file of labelled texts)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path}: cannot read it as UTF-8 text ({exc.__class__.__name__})") from None
    rows: list[LabelledText] = []
    for number, line in enumerate(raw.splitlines(), start=1):
        if not line.strip():
            continue
        rows.append(_parse_row(path, number, line))
    if not rows:
        raise UsageError(f"{path}: no labelled texts in it (one JSON object per line)")
    return rows


def _parse_row(path: Path, number: int, line: str) -> LabelledText:
    where = f"{path}:{number}"
    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        raise UsageError(f"{where}: not JSON ({exc.msg}); each line must be one JSON object") from None
    if not isinstance(data, dict):
        raise UsageError(f"{where}: expected a JSON object with title, body, date and labels")
    labels = data.get("labels")
    if not isinstance(labels, dict):
        raise UsageError(f'{where}: "labels" must be an object with the keys {", ".join(FIELD_NAMES)}')
    missing = [k for k in FIELD_NAMES if k not in labels]
    if missing:
        raise UsageError(f'{where}: "labels" lacks {", ".join(missing)} (use null or [] where absent)')
    for key in ("title", "body"):
        if not isinstance(data.get(key, ""), str):
            raise UsageError(f'{where}: "{key}" must be a string')
    for key in _LIST_FIELDS:
        if not isinstance(labels[key], list) or not all(isinstance(x, str) for x in labels[key]):
            raise UsageError(f'{where}: labels.{key} must be a list of strings ([] where absent)')
    for key in set(FIELD_NAMES) - _LIST_FIELDS:
        if labels[key] is not None and not isinstance(labels[key], str):
            raise UsageError(f"{where}: labels.{key} must be a string or null")
    if labels["doc_type"] not in DOC_TYPES:
        raise UsageError(f"{where}: labels.doc_type {labels['doc_type']!r} is not one of {', '.join(DOC_TYPES)}")
    published = data.get("date")
    return LabelledText(
        title=data.get("title") or "",
        body=data.get("body") or "",
        published=published if isinstance(published, str) else None,
        labels=Fields.from_json(labels),
        line=number,
        ident=str(data.get("id") or ""),
    )


def _as_set(value: Iterable[str]) -> set[str]:
    return {normalise_value(v) for v in value if normalise_value(v)}


def evaluate_fields(rows: Sequence[LabelledText]) -> FieldsEvalReport:
    counts = {name: [0, 0, 0] for name in FIELD_NAMES}
    mismatches: list[FieldMismatch] = []
    for row in rows:
        predicted = extract_fields(row.title, row.body, row.published)
        for name in FIELD_NAMES:
            want, got = getattr(row.labels, name), getattr(predicted, name)
            tally = counts[name]
            if name in _LIST_FIELDS:
                want_set, got_set = _as_set(want), _as_set(got)
                tally[0] += len(want_set & got_set)
                tally[1] += len(got_set - want_set)
                tally[2] += len(want_set - got_set)
                same = want_set == got_set
            else:
                want_n = normalise_value(want) if want else None
                got_n = normalise_value(got) if got else None
                same = want_n == got_n
                if same and got_n is not None:
                    tally[0] += 1
                if not same and got_n is not None:
                    tally[1] += 1
                if not same and want_n is not None:
                    tally[2] += 1
            if not same:
                mismatches.append(FieldMismatch(row.line, row.ident, name, _plain(want), _plain(got)))
    return FieldsEvalReport(
        rows=len(rows),
        per_field=tuple(FieldScore(name, *counts[name]) for name in FIELD_NAMES),
        mismatches=tuple(mismatches),
    )


def _plain(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


def evaluate_fields_file(path: Path) -> FieldsEvalReport:
    """``cnca-watch eval-fields FILE``: read and score in one call."""
    return evaluate_fields(read_labelled_fields(path))
