"""``classify``: a text's task areas with their evidence; ``classify --stored``: the
re-tagging summary."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cnca_watch.render.safe import one_line

if TYPE_CHECKING:
    from rich.console import Console

    from cnca_watch.models import AreaTag
    from cnca_watch.store import RetagResult


@dataclass(frozen=True, slots=True)
class TextTags:
    """One classified text (the payload of ``classify``)."""

    text: str
    tags: "tuple[AreaTag, ...]"
    reason: str = ""  # why these areas, or why none


def tags_console(item: TextTags, console: "Console") -> None:
    from rich.markup import escape

    console.print(f"[bold]{escape(one_line(item.text))}[/bold]")
    if not item.tags:
        console.print(f"  [dim]no area: {escape(one_line(item.reason) or 'no signal')}[/dim]")
        return
    for rank, tag in enumerate(item.tags):
        marker = "primary" if rank == 0 else "       "
        console.print(
            f"  [cyan]{marker}[/cyan] [bold]{escape(tag.id)}[/bold]  "
            f"{escape(tag.label_zh)} / {escape(tag.label_en)}  score {tag.score:g}"
        )
        evidence = ", ".join(f"{escape(e.term)} ({e.where})" for e in tag.evidence)
        console.print(f"           evidence: {evidence}")


def tags_json_line(item: TextTags) -> str:
    """One line of JSON Lines; schema: ``classify-output.schema.json``."""
    from cnca_watch.render.json import area_to_json

    document = {"text": item.text, "areas": [area_to_json(t) for t in item.tags], "reason": item.reason}
    return json.dumps(document, ensure_ascii=False) + "\n"


def retag_text(result: "RetagResult") -> str:
    return (
        f"re-tagged {result.total} announcements: {result.changed} got new tags "
        f"(re-tagging {result.id}, vocabulary {result.vocabulary_hash}; old tags kept in the store)\n"
    )


def retag_json_line(result: "RetagResult") -> str:
    """Schema: ``retag-output.schema.json``."""
    document = {"retag_id": result.id, "at": result.at, "vocabulary_hash": result.vocabulary_hash,
                "total": result.total, "changed": result.changed}
    return json.dumps(document) + "\n"
