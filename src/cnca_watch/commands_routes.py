"""``cnca-watch routes test`` and ``cnca-watch sources health``: read the store, send nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from cnca_watch.cli_common import ConfigOption, OutputFormat, StoreOption, emit, guard, load, output_options
from cnca_watch.clock import PERIOD_HELP


def register(app: typer.Typer, sources_app: typer.Typer) -> None:
    routes_app = typer.Typer(help="Check the [[routes]] of the config against stored changes.", no_args_is_help=True)
    app.add_typer(routes_app, name="routes")

    @routes_app.command("test")
    @guard
    @output_options("routes test")
    def routes_test(
        output: OutputFormat,
        since: str = typer.Option("7d", "--since", help=f"Start: {PERIOD_HELP}."),
        baseline: bool = typer.Option(
            False, "--baseline", help="Include what each source's first run recorded (its starting list, not news)."
        ),
        config_path: Optional[Path] = ConfigOption,
        store: Optional[str] = StoreOption,
    ) -> None:
        """Show which routes the changes stored in a period would go to, without sending anything."""
        from cnca_watch.route_preview import preview_routes

        emit("routes test", output, preview_routes(load(config_path, store), since, baseline=baseline))

    @sources_app.command("health")
    @guard
    @output_options("sources health")
    def sources_health(
        output: OutputFormat,
        config_path: Optional[Path] = ConfigOption,
        store: Optional[str] = StoreOption,
    ) -> None:
        """Per source: last success, failures in a row, items seen over time, and what to fix."""
        from cnca_watch.route_preview import sources_health as judge_sources

        emit("sources health", output, judge_sources(load(config_path, store)))
