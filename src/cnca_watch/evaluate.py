"""Score the classifier on a labelled TSV file (title, areas[, body, in_domain, lang]).

Per-area precision/recall/F1, macro-F1 over the built-in areas, primary-label accuracy (a
row is right when the first predicted area is one of its labels, or when both the labels
and the prediction are empty), strict primary accuracy (first predicted = first labelled),
a confusion of primaries with a "none" row and column, and how many in-domain rows got no
area.  :func:`evaluate_modes` scores titles alone and titles with their bodies.  An area that the file never labels and the
classifier never predicts has nothing to score: it is shown as not scored and left out of
macro-F1 (as scikit-learn's macro average does), rather than counted as a perfect 1.0.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from cnca_watch.classify import Classification, Vocabulary, area_display_labels, classify_text
from cnca_watch.errors import UsageError

# the built-in areas, in the vocabulary's order (areas.toml is the one place that names them)
BUILTIN_AREAS: tuple[str, ...] = tuple(area_display_labels())
NONE = "none"  # the confusion's row and column for "no area"
TITLE_ONLY = "title"
TITLE_BODY = "title+body"

Classifier = Callable[[str, str], Classification]


@dataclass(frozen=True, slots=True)
class LabelledRow:
    title: str
    areas: tuple[str, ...]  # primary first; () = no area
    body: str = ""
    line: int = 0  # line in the file, for messages
    in_domain: bool | None = None  # the in_domain column; None when the file has none
    lang: str = ""

    @property
    def labelled_in_domain(self) -> bool:
        """In the domain by its label: the in_domain column, else "has an area"."""
        return self.in_domain if self.in_domain is not None else bool(self.areas)


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
    mode: str = TITLE_BODY  # TITLE_ONLY or TITLE_BODY
    strict_primary_accuracy: float = 0.0  # first predicted area = first labelled (or both none)
    # labelled primary -> predicted primary -> rows; both sides include NONE
    confusion: Mapping[str, Mapping[str, int]] | None = None
    in_domain_rows: int = 0  # rows labelled in the domain
    in_domain_without_area: int = 0  # of those, rows the classifier gave no area
    outside_tagged: int = 0  # rows labelled outside the domain that got an area

    @property
    def no_area_rate(self) -> float:
        """Share of in-domain rows left without an area (the issue wants < 5 %)."""
        return self.in_domain_without_area / self.in_domain_rows if self.in_domain_rows else 0.0

    def to_json(self) -> dict[str, object]:
        return {
            "rows": self.rows,
            "mode": self.mode,
            "macro_f1": None if self.macro_f1 is None else round(self.macro_f1, 4),
            "macro_f1_areas": self.macro_areas,
            "primary_accuracy": round(self.primary_accuracy, 4),
            "strict_primary_accuracy": round(self.strict_primary_accuracy, 4),
            "in_domain_rows": self.in_domain_rows,
            "in_domain_without_area": self.in_domain_without_area,
            "no_area_rate": round(self.no_area_rate, 4),
            "outside_tagged": self.outside_tagged,
            "confusion": {k: dict(v) for k, v in (self.confusion or {}).items()},
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


def evaluate(
    rows: Sequence[LabelledRow],
    vocabulary: Vocabulary,
    *,
    use_body: bool = True,
    classifier: Classifier | None = None,
) -> EvalReport:
    """Classify every row (title with body, or the title alone) and compare with its labels.

    ``classifier`` defaults to :func:`cnca_watch.classify.classify_text` with ``vocabulary``
    and the packaged model."""
    run: Classifier = classifier or (lambda title, body: classify_text(title, body, vocabulary))
    area_ids = list(BUILTIN_AREAS) + sorted(
        {a for row in rows for a in row.areas if a not in BUILTIN_AREAS}
        | {a.id for a in vocabulary.enabled_areas if a.id not in BUILTIN_AREAS}
    )
    tp = dict.fromkeys(area_ids, 0)
    support = dict.fromkeys(area_ids, 0)
    predicted_count = dict.fromkeys(area_ids, 0)
    primary_right = strict_right = 0
    in_domain_rows = in_domain_without = outside_tagged = 0
    confusion: dict[str, dict[str, int]] = {}
    misclassified: list[Misclassified] = []
    for row in rows:
        predicted = run(row.title, row.body if use_body else "").areas
        expected = set(row.areas)
        labelled_primary = row.areas[0] if row.areas else NONE
        predicted_primary = predicted[0] if predicted else NONE
        cell = confusion.setdefault(labelled_primary, {})
        cell[predicted_primary] = cell.get(predicted_primary, 0) + 1
        strict_right += labelled_primary == predicted_primary
        if row.labelled_in_domain:
            in_domain_rows += 1
            in_domain_without += not predicted
        elif predicted:
            outside_tagged += 1
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
        mode=TITLE_BODY if use_body else TITLE_ONLY,
        strict_primary_accuracy=strict_right / len(rows) if rows else 0.0,
        confusion=_ordered_confusion(confusion, area_ids),
        in_domain_rows=in_domain_rows,
        in_domain_without_area=in_domain_without,
        outside_tagged=outside_tagged,
    )


def _ordered_confusion(confusion: Mapping[str, Mapping[str, int]], area_ids: Sequence[str]) -> dict[str, dict[str, int]]:
    """Every area (and none) as a row and a column, in the vocabulary's order, zeros kept."""
    keys = [*dict.fromkeys([*area_ids, *confusion, *(p for row in confusion.values() for p in row)])]
    keys = [k for k in keys if k != NONE] + [NONE]
    return {expected: {got: confusion.get(expected, {}).get(got, 0) for got in keys} for expected in keys}


@dataclass(frozen=True, slots=True)
class EvalSummary:
    """The same file scored on titles alone and on titles with bodies (None: no bodies)."""

    title_only: EvalReport
    title_body: EvalReport | None
    rows_with_body: int

    def to_json(self) -> dict[str, object]:
        return {
            "rows_with_body": self.rows_with_body,
            TITLE_ONLY: self.title_only.to_json(),
            TITLE_BODY: None if self.title_body is None else self.title_body.to_json(),
        }


def evaluate_modes(rows: Sequence[LabelledRow], vocabulary: Vocabulary, *, classifier: Classifier | None = None) -> EvalSummary:
    """Score titles alone, and titles with bodies when any row has a body."""
    with_body = sum(1 for row in rows if row.body)
    return EvalSummary(
        title_only=evaluate(rows, vocabulary, use_body=False, classifier=classifier),
        title_body=evaluate(rows, vocabulary, use_body=True, classifier=classifier) if with_body else None,
        rows_with_body=with_body,
    )


_FLAGS: dict[str, bool | None] = {"": None, "yes": True, "y": True, "true": True, "1": True,
                                  "no": False, "n": False, "false": False, "0": False}


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
        domain_at = columns.index("in_domain") if "in_domain" in columns else None
        lang_at = columns.index("lang") if "lang" in columns else None
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
            flag = cell(domain_at).lower()
            if flag not in _FLAGS:
                raise UsageError(f"{path}:{line_no}: in_domain must be yes or no (or empty), got {flag!r}")
            rows.append(
                LabelledRow(
                    title=title, areas=areas, body=cell(body_at), line=line_no, in_domain=_FLAGS[flag], lang=cell(lang_at)
                )
            )
    return rows
