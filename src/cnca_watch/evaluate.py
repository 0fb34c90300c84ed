"""Score the classifier on a labelled TSV file (title, areas[, body]).

Per-area precision/recall/F1, macro-F1 over the built-in areas, and primary-label
accuracy: a row is right when the first predicted area is one of its labels, or when both
the labels and the prediction are empty.  An area that the file never labels and the
classifier never predicts has nothing to score: it is shown as not scored and left out of
macro-F1 (as scikit-learn's macro average does), rather than counted as a perfect 1.0.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from cnca_watch.classify import Vocabulary, classify
from cnca_watch.errors import UsageError

BUILTIN_AREAS = (
    "unified-management",
    "going-global",
    "serving-development",
    "regulation",
    "capabilities",
    "benefit",
)


@dataclass(frozen=True, slots=True)
class LabelledRow:
    title: str
    areas: tuple[str, ...]  # primary first; () = no area
    body: str = ""
    line: int = 0  # line in the file, for messages


@dataclass(frozen=True, slots=True)
class AreaScore:
    area: str
    precision: float
    recall: float
    f1: float
    support: int  # rows labelled with this area
    predicted: int  # rows predicted with this area
    true_positives: int

    @property
    def scored(self) -> bool:
        """False when the area was neither labelled nor predicted: no evidence either way."""
        return bool(self.support or self.predicted)


@dataclass(frozen=True, slots=True)
class Misclassified:
    line: int
    title: str
    expected: tuple[str, ...]
    predicted: tuple[str, ...]
    primary_ok: bool


@dataclass(frozen=True, slots=True)
class EvalReport:
    rows: int
    per_area: tuple[AreaScore, ...]
    macro_f1: float | None  # mean F1 over the scored built-in areas; None when none is
    macro_areas: int  # how many built-in areas that mean covers (of six)
    primary_accuracy: float
    misclassified: tuple[Misclassified, ...]

    def to_json(self) -> dict[str, object]:
        return {
            "rows": self.rows,
            "macro_f1": None if self.macro_f1 is None else round(self.macro_f1, 4),
            "macro_f1_areas": self.macro_areas,
            "primary_accuracy": round(self.primary_accuracy, 4),
            "areas": [
                {
                    "id": s.area,
                    # 0/0 is not a score: no predictions has no precision, no labels no recall
                    "precision": round(s.precision, 4) if s.predicted else None,
                    "recall": round(s.recall, 4) if s.support else None,
                    "f1": round(s.f1, 4) if s.scored else None,
                    "support": s.support,
                    "predicted": s.predicted,
                }
                for s in self.per_area
            ],
            "misclassified": [
                {
                    "line": m.line,
                    "title": m.title,
                    "expected": list(m.expected),
                    "predicted": list(m.predicted),
                    "primary_ok": m.primary_ok,
                }
                for m in self.misclassified
            ],
        }


def _ratio(numerator: int, denominator: int) -> float:
    # 0/0 (nothing predicted, or nothing labelled) counts as 1 only inside F1, which then comes
    # out 0 whenever the other side is not empty; it is shown as "-" / null, not as a score.
    return numerator / denominator if denominator else 1.0


def _f1(precision: float, recall: float) -> float:
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def evaluate(rows: Sequence[LabelledRow], vocabulary: Vocabulary) -> EvalReport:
    """Classify every row and compare with its labels."""
    area_ids = list(BUILTIN_AREAS) + sorted(
        {a for row in rows for a in row.areas if a not in BUILTIN_AREAS}
        | {a.id for a in vocabulary.enabled_areas if a.id not in BUILTIN_AREAS}
    )
    tp = dict.fromkeys(area_ids, 0)
    support = dict.fromkeys(area_ids, 0)
    predicted_count = dict.fromkeys(area_ids, 0)
    primary_right = 0
    misclassified: list[Misclassified] = []
    for row in rows:
        predicted = tuple(tag.id for tag in classify(row.title, row.body, vocabulary))
        expected = set(row.areas)
        for area in expected:
            support[area] += 1
        for area in predicted:
            predicted_count.setdefault(area, 0)
            tp.setdefault(area, 0)
            support.setdefault(area, 0)
            predicted_count[area] += 1
            if area in expected:
                tp[area] += 1
        primary_ok = (predicted[0] in expected) if predicted else not expected
        primary_right += primary_ok
        if set(predicted) != expected or not primary_ok:
            misclassified.append(Misclassified(row.line, row.title, row.areas, predicted, primary_ok))
    scores = []
    for area in list(dict.fromkeys([*area_ids, *predicted_count])):
        precision = _ratio(tp[area], predicted_count[area])
        recall = _ratio(tp[area], support[area])
        scores.append(AreaScore(area, precision, recall, _f1(precision, recall), support[area], predicted_count[area], tp[area]))
    builtin = [s.f1 for s in scores if s.area in BUILTIN_AREAS and s.scored]
    return EvalReport(
        rows=len(rows),
        per_area=tuple(scores),
        macro_f1=sum(builtin) / len(builtin) if builtin else None,
        macro_areas=len(builtin),
        primary_accuracy=primary_right / len(rows) if rows else 0.0,
        misclassified=tuple(misclassified),
    )


def read_labelled(path: str | Path, known_areas: Iterable[str] = BUILTIN_AREAS) -> list[LabelledRow]:
    """Read a TSV with a header row: ``title``, ``areas`` (comma-separated ids), optional ``body``.

    Raises ``UsageError`` naming the file (and line) for a missing column or an unknown id.
    """
    path = Path(path)
    try:
        return _read_labelled(path, set(known_areas))
    except UnicodeDecodeError:
        raise UsageError(f"{path}: not UTF-8 text; save the file as UTF-8") from None


def _read_labelled(path: Path, known: set[str]) -> list[LabelledRow]:
    try:
        handle = path.open(encoding="utf-8-sig", newline="")
    except OSError as err:
        raise UsageError(f"{path}: cannot read labelled file ({err.strerror or err})") from err
    with handle:
        reader = csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        header = next(reader, None)
        if header is None:
            raise UsageError(f"{path}: empty file; expected a header row with columns title, areas[, body]")
        columns = [h.strip().lower() for h in header]
        for required in ("title", "areas"):
            if required not in columns:
                raise UsageError(f"{path}:1: missing column {required!r} (header has: {', '.join(columns) or 'nothing'})")
        title_at, areas_at = columns.index("title"), columns.index("areas")
        body_at = columns.index("body") if "body" in columns else None
        rows: list[LabelledRow] = []
        for line_no, fields in enumerate(reader, start=2):
            if not any(f.strip() for f in fields):
                continue

            def cell(index: int | None) -> str:
                return fields[index].strip() if index is not None and index < len(fields) else ""

            title = cell(title_at)
            if not title:
                raise UsageError(f"{path}:{line_no}: empty title")
            if areas_at >= len(fields):
                # "no area" is an empty cell after a tab; a missing cell is a broken row
                raise UsageError(
                    f"{path}:{line_no}: no areas column; write the area ids after a tab "
                    "(or nothing after the tab for no area)"
                )
            areas = tuple(a.strip() for a in cell(areas_at).split(",") if a.strip())
            for area in areas:
                if area not in known:
                    raise UsageError(f"{path}:{line_no}: unknown area id {area!r} (known: {', '.join(sorted(known))})")
            rows.append(LabelledRow(title=title, areas=areas, body=cell(body_at), line=line_no))
    return rows
