"""The ``--json`` document (schema: ``check-output.schema.json`` in the package).

Keys are stable: new keys may be added in a later ``schema_version``, none renamed.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import TYPE_CHECKING, Any

from cnca_watch.models import (
    AreaTag,
    Change,
    RunResult,
    SourceResult,
    area_tag_to_dict,
    attachment_to_dict,
)

SCHEMA_VERSION = 1

if TYPE_CHECKING:
    from cnca_watch.operations import Feed


def area_to_json(tag: AreaTag) -> dict[str, Any]:
    return {**area_tag_to_dict(tag), "score": round(tag.score, 3)}


attachment_to_json = attachment_to_dict


def change_to_json(change: Change) -> dict[str, Any]:
    return {
        "id": change.id,
        "kind": change.kind.value,
        "source": change.source,
        "url": change.url,
        "title": change.title,
        "date": change.date,
        "detected_at": change.detected_at,
        "fields_changed": list(change.fields_changed),
        "diff": change.diff,
        "attachments": [attachment_to_json(a) for a in change.attachments],
        "areas": [area_to_json(a) for a in change.areas],
        "reason": change.area_reason,
    }


def source_to_json(source: SourceResult) -> dict[str, Any]:
    return {
        "name": source.name,
        "url": source.url,
        "status": source.status.value,
        "error": source.error,
        "items_seen": source.items_seen,
        "first_run": source.first_run,
        "new": source.new,
        "changed": source.changed,
        "removed": source.removed,
        "requests": source.requests,
        "backfilled": source.backfilled,
    }


def run_to_json(result: RunResult) -> dict[str, Any]:
    return {
        "schema_version": SCHEMA_VERSION,
        "run": {"id": result.id, "started_at": result.started_at, "finished_at": result.finished_at},
        "sources": [source_to_json(s) for s in result.sources],
        "changes": [change_to_json(c) for c in result.changes],
    }


def feed_to_json(feed: "Feed") -> dict[str, Any]:
    """``cnca-watch feed --json``: the changes the Atom feed carries, as check prints them."""
    return {"schema_version": SCHEMA_VERSION, "updated": feed.updated, "changes": [change_to_json(c) for c in feed.changes]}


def dumps(document: Any, *, pretty: bool = True) -> str:
    """UTF-8 JSON; ``pretty=False`` is compact (and several times faster on big reports)."""
    if pretty:
        return json.dumps(document, ensure_ascii=False, indent=2)
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"))


def load_schema(name: str = "check-output.schema.json") -> dict[str, Any]:
    """A JSON Schema shipped in the package (``render.JSON_SCHEMAS`` names each output's).

    The others refer to shared definitions in ``check-output.schema.json`` by its ``$id``."""
    text = resources.files("cnca_watch").joinpath(name).read_text("utf-8")
    document: dict[str, Any] = json.loads(text)
    return document
