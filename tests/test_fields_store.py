"""A store made before fields existed (schema v2) upgrades in place, and `cnca-watch
fields --stored` fills the fields of every version it already holds."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

from typer.testing import CliRunner

from cnca_watch.cli import app
from cnca_watch.fields import extract_fields
from cnca_watch.store import Store

FIXTURES = Path(__file__).parent / "fixtures" / "store"
runner = CliRunner()


def fill(path: Path, *extra: str) -> dict[str, object]:
    result = runner.invoke(app, ["fields", "--stored", "--store", str(path), "--json", *extra], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    document: dict[str, object] = json.loads(result.output)
    return document


def test_a_v2_store_upgrades_and_fields_stored_fills_what_it_holds(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    shutil.copyfile(FIXTURES / "schema-v2.db", path)
    with Store.open(path) as store:
        assert store.pending("report")  # upgraded in place, content kept
    with sqlite3.connect(path) as conn:
        versions = conn.execute("SELECT id, title, body, date FROM versions ORDER BY id").fetchall()
        assert conn.execute("SELECT COUNT(*) FROM versions WHERE fields_json IS NULL").fetchone()[0] == len(versions)
    assert fill(path) == {"filled": len(versions), "total": len(versions), "every": False}
    with sqlite3.connect(path) as conn:
        stored = dict(conn.execute("SELECT id, fields_json FROM versions"))
    for version_id, title, body, date in versions:
        assert json.loads(stored[version_id]) == extract_fields(title, body, date).to_json()
    assert fill(path) == {"filled": 0, "total": len(versions), "every": False}  # nothing left to read
    assert fill(path, "--all")["filled"] == len(versions)
    # the stored changes now carry their fields
    with Store.open(path) as store:
        assert all(c.fields is not None for c in store.pending("report"))


def test_fields_stored_without_a_store_says_so(tmp_path: Path) -> None:
    result = runner.invoke(app, ["fields", "--stored", "--store", str(tmp_path / "none.db")])
    assert result.exit_code != 0 and "no store at" in result.output and "Traceback" not in result.output
    mixed = runner.invoke(app, ["fields", "标题", "--stored", "--store", str(tmp_path / "none.db")])
    assert mixed.exit_code == 2 and "give no TEXT" in mixed.output
