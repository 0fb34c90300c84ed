"""``history``: past runs, one line each (or their JSON)."""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING, Any, Sequence

if TYPE_CHECKING:
    from cnca_watch.store import RunSummary


def history_text(runs: "Sequence[RunSummary]") -> str:
    if not runs:
        return "no runs yet; run `cnca-watch check`\n"
    lines = []
    for r in runs:
        failed = f", {r.sources_failed} failed" if r.sources_failed else ""
        lines.append(
            f"run {r.id:<5} {r.started_at}  {r.status:<8} sources: {r.sources_ok} ok{failed}  "
            f"changes: {r.new} new, {r.changed} changed, {r.removed} removed\n"
        )
    return "".join(lines)


def history_json(runs: "Sequence[RunSummary]") -> list[dict[str, Any]]:
    """Schema: ``history-output.schema.json``."""
    return [asdict(r) for r in runs]
