"""Every command's ``--json`` output validates against the JSON Schema the package ships
for it (``render.JSON_SCHEMAS``), on real output from a real store and the mirror."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any, Iterator

import jsonschema
import pytest
from mirror_helpers import write_config
from referencing import Registry, Resource
from typer.testing import CliRunner

from cnca_watch.cli import app
from cnca_watch.demo.server import MirrorServer
from cnca_watch.render import JSON_SCHEMAS, RENDERERS, OutputFormat
from cnca_watch.render.json import load_schema

FIXTURES = Path(__file__).parent / "fixtures" / "classify"
runner = CliRunner()


def registry() -> Registry:
    """Every shipped schema under its $id, so that one may refer to another's definitions."""
    resources_ = []
    for name in sorted(set(JSON_SCHEMAS.values())):
        schema = load_schema(name)
        resources_.append((schema["$id"], Resource.from_contents(schema)))
    return Registry().with_resources(resources_)


def validate(kind: str, document: Any) -> None:
    schema = load_schema(JSON_SCHEMAS[kind])
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.Draft202012Validator(schema, registry=registry(), format_checker=jsonschema.FormatChecker()).validate(document)


def cli_json(*args: str, stdin: str | None = None) -> str:
    result = runner.invoke(app, [*args, "--json"], input=stdin, catch_exceptions=False)
    assert result.exit_code == 0, (args, result.stderr)
    return result.stdout


@pytest.fixture(scope="module")
def two_days(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, MirrorServer]]:
    """A store after the mirror's day 1 and day 2 (new, changed and removed changes)."""
    tmp = tmp_path_factory.mktemp("schemas")
    with MirrorServer(day=1) as mirror:
        config = write_config(tmp / "c.toml", mirror.base_url, tmp / "store.db")
        cli_json("check", "--config", str(config))
        mirror.set_day(2)
        cli_json("check", "--config", str(config))
        yield config, mirror


def test_every_kind_with_json_output_has_a_shipped_schema() -> None:
    shipped = {p.name for p in resources.files("cnca_watch").iterdir() if p.name.endswith(".schema.json")}
    with_json = {kind for kind, renderers in RENDERERS.items() if OutputFormat.json in renderers}
    assert set(JSON_SCHEMAS) == with_json
    assert set(JSON_SCHEMAS.values()) <= shipped


def test_check_history_report_show_sources_match_their_schemas(two_days: tuple[Path, MirrorServer]) -> None:
    config, mirror = two_days
    c = ["--config", str(config)]
    mirror.set_day(2)
    check = json.loads(cli_json("check", *c))
    validate("check", check)
    history = json.loads(cli_json("history", *c))
    validate("history", history)
    assert [run["new"] for run in history][-1] > 0  # the baseline run is in it
    report = json.loads(cli_json("report", "--since", "3650d", "--baseline", *c))
    validate("report", report)
    assert report["total"] > 0 and report["groups"]
    changed = next(ch for ch in _all_changes(report) if ch["kind"] == "changed")
    show = json.loads(cli_json("show", str(changed["id"]), *c))
    validate("show", show)
    assert len(show["versions"]) == 2 and show["changes"][-1]["kind"] == "changed"
    sources = json.loads(cli_json("sources", "list", *c))
    validate("sources list", sources)
    tested = json.loads(cli_json("sources", "test", sources[0]["name"], *c))
    validate("sources test", tested)
    assert tested["items"] and tested["detail"] is not None


def test_classify_stored_and_text_match_their_schemas(two_days: tuple[Path, MirrorServer]) -> None:
    config, _ = two_days
    retag = json.loads(cli_json("classify", "--stored", "--config", str(config)))
    validate("classify --stored", retag)
    assert retag["total"] > 0
    lines = cli_json("classify", "--config", str(config), stdin="认证机构监督抽查\n无关的文字\n").splitlines()
    assert len(lines) == 2
    for line in lines:
        validate("classify", json.loads(line))
    assert json.loads(lines[0])["areas"] and json.loads(lines[1])["areas"] == []


def test_feed_json_matches_its_schema_and_the_atom_document(two_days: tuple[Path, MirrorServer]) -> None:
    config, _ = two_days
    document = json.loads(cli_json("feed", "--since", "3650d", "--config", str(config)))
    validate("feed", document)
    assert document["changes"] and {c["kind"] for c in document["changes"]} >= {"new", "changed", "removed"}
    atom = runner.invoke(app, ["feed", "--since", "3650d", "--config", str(config)], catch_exceptions=False)
    assert atom.exit_code == 0 and atom.stdout.startswith("<?xml")  # Atom stays the default
    assert atom.stdout.count("<entry>") == len(document["changes"])


def test_eval_matches_its_schema() -> None:
    document = json.loads(cli_json("eval", str(FIXTURES / "tiny.tsv")))
    validate("eval", document)
    assert document["rows"] > 0


def test_a_schema_refuses_what_its_output_never_has() -> None:
    with pytest.raises(jsonschema.ValidationError):
        validate("history", [{"id": 1}])
    with pytest.raises(jsonschema.ValidationError):
        validate("classify", {"text": "x", "areas": [{"id": "regulation"}]})  # a tag without its labels


def _all_changes(report: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for group in report["groups"]:
        for source in group["sources"]:
            yield from source["changes"]
