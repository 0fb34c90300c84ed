"""``eval``: the classifier's scores on a labelled file."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console

    from cnca_watch.evaluate import EvalReport, EvalSummary


@dataclass(frozen=True, slots=True)
class ScoredFile:
    """The payload of ``eval``: the labelled file and its scores (titles alone, and with bodies)."""

    path: Path
    summary: "EvalSummary"


def eval_console(scored: ScoredFile, console: "Console") -> None:
    from rich.markup import escape
    from rich.table import Table

    from cnca_watch.render.common import area_order

    report = scored.summary.title_only
    builtin = len(area_order())
    # piped or mailed: plain aligned columns, like every other command's non-terminal output
    table = Table(title=escape(f"{scored.path} — {report.rows} rows"), title_justify="left")
    if not console.is_terminal:
        table.box = None
    for column in ("area", "precision", "recall", "F1", "support", "predicted"):
        table.add_column(column, justify="left" if column == "area" else "right")
    for score in report.per_area:
        figures = (
            (
                f"{score.precision:.2f}" if score.predicted else "-",
                f"{score.recall:.2f}" if score.support else "-",
                f"{score.f1:.2f}",
            )
            if score.scored
            else ("-", "-", "-")  # never labelled, never predicted: nothing to score
        )
        table.add_row(escape(score.area), *figures, str(score.support), str(score.predicted))
    console.print(table)
    if report.macro_f1 is None:
        console.print("macro-F1: not scored (no area labelled or predicted)")
    elif report.macro_areas == builtin:
        console.print(f"macro-F1 (six areas): [bold]{report.macro_f1:.3f}[/bold]")
    else:
        left_out = builtin - report.macro_areas
        console.print(
            f"macro-F1 ({report.macro_areas} of six areas; {left_out} neither labelled nor "
            f"predicted, left out): [bold]{report.macro_f1:.3f}[/bold]"
        )
    console.print(f"primary-label accuracy: [bold]{report.primary_accuracy:.3f}[/bold]")
    console.print(f"strict primary accuracy (first predicted = first labelled): {report.strict_primary_accuracy:.3f}")
    if report.in_domain_rows:
        console.print(
            f"in-domain rows left without an area: {report.in_domain_without_area} of {report.in_domain_rows} "
            f"({report.no_area_rate:.1%}); outside rows given an area: {report.outside_tagged}"
        )
    _confusion(report, console)
    with_body = scored.summary.title_body
    if with_body is not None:
        macro = "-" if with_body.macro_f1 is None else f"{with_body.macro_f1:.3f}"
        console.print(
            f"with bodies ({scored.summary.rows_with_body} rows have one): macro-F1 [bold]{macro}[/bold], "
            f"primary accuracy [bold]{with_body.primary_accuracy:.3f}[/bold], "
            f"in-domain without an area {with_body.in_domain_without_area} of {with_body.in_domain_rows}"
        )
    else:
        console.print("with bodies: the file has no body column (titles only)")
    if not report.misclassified:
        console.print("misclassified: none")
        return
    console.print(f"misclassified ({len(report.misclassified)}):")
    for miss in report.misclassified:
        flag = " " if miss.primary_ok else "[red]✗[/red]"
        expected = ",".join(miss.expected) or "-"
        predicted = ",".join(miss.predicted) or "-"
        console.print(f" {flag} line {miss.line}: {escape(miss.title)}")
        console.print(f"     expected {escape(expected)}  predicted {escape(predicted)}")


def _confusion(report: "EvalReport", console: "Console") -> None:
    """Labelled primary (rows) against predicted primary (columns), "none" included."""
    from rich.markup import escape
    from rich.table import Table

    confusion = report.confusion or {}
    if not confusion:
        return
    names = list(confusion)
    table = Table(title="primary areas: labelled (rows) × predicted (columns)", title_justify="left")
    if not console.is_terminal:
        table.box = None
    table.add_column("labelled")
    for name in names:
        table.add_column(escape(_abbreviation(name)), justify="right")
    for name in names:
        row = confusion[name]
        table.add_row(escape(name), *(str(row.get(other, 0)) or "0" for other in names))
    console.print(table)


def _abbreviation(area_id: str) -> str:
    """Column heads that fit: "unified-management" → "unif", "none" stays."""
    return area_id if len(area_id) <= 5 else area_id[:4]


def eval_json_document(scored: ScoredFile) -> str:
    """Always indented (a report to read); schema: ``eval-output.schema.json``: the
    titles-alone scores at the top level, the scores with bodies under ``title_body``."""
    summary = scored.summary
    document = summary.title_only.to_json()
    document["rows_with_body"] = summary.rows_with_body
    document["title_body"] = None if summary.title_body is None else summary.title_body.to_json()
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"
