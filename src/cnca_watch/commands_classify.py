"""The ``classify`` and ``eval`` commands (registered on the main Typer app by cli.py)."""

from __future__ import annotations

import json
import sys
import tomllib
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from cnca_watch.classify import Vocabulary, classify, load_vocabulary
from cnca_watch.errors import CncaWatchError, ConfigError, UsageError
from cnca_watch.evaluate import BUILTIN_AREAS, EvalReport, evaluate, read_labelled
from cnca_watch.models import AreaTag


def area_tag_to_json(tag: AreaTag) -> dict[str, Any]:
    """The JSON shape of one area tag, shared by ``classify --json`` and ``check --json``."""
    return {
        "id": tag.id,
        "label_en": tag.label_en,
        "label_zh": tag.label_zh,
        "score": tag.score,
        "evidence": [{"term": e.term, "where": e.where} for e in tag.evidence],
    }


def load_area_overrides(config_path: Path | None) -> Mapping[str, Any] | None:
    """The ``[areas]`` table of a config file (None when there is no file or no table)."""
    if config_path is None:
        return None
    try:
        data = tomllib.loads(config_path.read_text(encoding="utf-8"))
    except OSError as err:
        raise ConfigError(f"{config_path}: cannot read config ({err.strerror or err})") from err
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise ConfigError(f"{config_path}: not valid TOML ({err})") from err
    areas = data.get("areas")
    if areas is not None and not isinstance(areas, Mapping):
        raise ConfigError(f"{config_path}: areas must be a table ([areas.<id>]), got {type(areas).__name__}")
    return areas


def vocabulary_from_config(config_path: Path | None) -> Vocabulary:
    overrides = load_area_overrides(config_path)
    try:
        return load_vocabulary(overrides)
    except ConfigError as err:
        raise ConfigError(f"{config_path}: {err}") from err


def _fail(err: CncaWatchError) -> typer.Exit:
    Console(stderr=True, highlight=False, soft_wrap=True).print(f"[red]error:[/red] {escape(str(err))}")
    return typer.Exit(code=int(err.exit_code))


def _stdin_lines() -> Iterator[str]:
    for line in sys.stdin:
        yield line.rstrip("\r\n")


def _print_tags(console: Console, text: str, tags: tuple[AreaTag, ...]) -> None:
    console.print(f"[bold]{escape(text)}[/bold]")
    if not tags:
        console.print("  [dim]no area[/dim]")
        return
    for rank, tag in enumerate(tags):
        marker = "primary" if rank == 0 else "       "
        console.print(
            f"  [cyan]{marker}[/cyan] [bold]{escape(tag.id)}[/bold]  "
            f"{escape(tag.label_zh)} / {escape(tag.label_en)}  score {tag.score:g}"
        )
        evidence = ", ".join(f"{escape(e.term)} ({e.where})" for e in tag.evidence)
        console.print(f"           evidence: {evidence}")


def _print_report(console: Console, path: Path, report: EvalReport) -> None:
    table = Table(title=escape(f"{path} — {report.rows} rows"), title_justify="left")
    for column in ("area", "precision", "recall", "F1", "support", "predicted"):
        table.add_column(column, justify="left" if column == "area" else "right")
    for score in report.per_area:
        table.add_row(
            escape(score.area),
            f"{score.precision:.2f}",
            f"{score.recall:.2f}",
            f"{score.f1:.2f}",
            str(score.support),
            str(score.predicted),
        )
    console.print(table)
    console.print(f"macro-F1 (six areas): [bold]{report.macro_f1:.3f}[/bold]")
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


def register(app: typer.Typer) -> None:
    """Add ``classify`` and ``eval`` to ``app``."""

    @app.command("classify")
    def classify_command(
        text: Optional[str] = typer.Argument(None, help="Text to classify; omit to read one text per line from stdin."),
        as_json: bool = typer.Option(False, "--json", help="One JSON object per text: {text, areas}."),
        config: Optional[Path] = typer.Option(None, "--config", help="Config file whose [areas] table overrides the vocabulary."),
    ) -> None:
        """Show the task areas of a text, with the evidence."""
        try:
            vocabulary = vocabulary_from_config(config)
        except CncaWatchError as err:
            raise _fail(err) from err
        if text is None and sys.stdin.isatty():
            raise _fail(UsageError("give a TEXT, or pipe texts (one per line) into `cnca-watch classify --json`"))
        texts = [text] if text is not None else _stdin_lines()
        console = Console(highlight=False, soft_wrap=True)
        for item in texts:
            tags = classify(item, "", vocabulary)
            if as_json:
                line = {"text": item, "areas": [area_tag_to_json(t) for t in tags]}
                sys.stdout.write(json.dumps(line, ensure_ascii=False) + "\n")
            else:
                _print_tags(console, item, tags)
        sys.stdout.flush()

    @app.command("eval")
    def eval_command(
        file: Path = typer.Argument(..., help="Labelled TSV: title, areas (comma-separated ids, primary first), optional body."),
        as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
        config: Optional[Path] = typer.Option(None, "--config", help="Config file whose [areas] table overrides the vocabulary."),
    ) -> None:
        """Score the classifier on a labelled file: precision, recall, F1 per area."""
        try:
            vocabulary = vocabulary_from_config(config)
            known = set(BUILTIN_AREAS) | {a.id for a in vocabulary.areas}
            report = evaluate(read_labelled(file, known), vocabulary)
        except CncaWatchError as err:
            raise _fail(err) from err
        if as_json:
            sys.stdout.write(json.dumps(report.to_json(), ensure_ascii=False, indent=2) + "\n")
            return
        _print_report(Console(highlight=False, soft_wrap=True), file, report)
