"""``eval``: the classifier's scores on a labelled file."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console

    from cnca_watch.evaluate import EvalReport


@dataclass(frozen=True, slots=True)
class ScoredFile:
    """The payload of ``eval``: the labelled file and its report."""

    path: Path
    report: "EvalReport"


def eval_console(scored: ScoredFile, console: "Console") -> None:
    from rich.markup import escape
    from rich.table import Table

    from cnca_watch.render.common import area_order

    report = scored.report
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


def eval_json_document(scored: ScoredFile) -> str:
    """Always indented (a report to read); schema: ``eval-output.schema.json``."""
    return json.dumps(scored.report.to_json(), ensure_ascii=False, indent=2) + "\n"
