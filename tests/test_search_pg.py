"""Search on PostgreSQL: pg_trgm's index where the extension could be created, a scan (said
once) where it could not, the same answers as SQLite either way, and a SELECT-only role."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any, Iterator

import psycopg
import pytest
from typer.testing import CliRunner

from cnca_watch import search_pg
from cnca_watch.cli import app
from cnca_watch.search_query import parse_query
from cnca_watch.store.backend import PostgresDb
from search_engines import ENGINES, PostgresEngine, open_engine

runner = CliRunner()


@pytest.fixture
def engines(tmp_path: Path, postgres_server: Any, search_templates: Any) -> Iterator[dict[str, Any]]:
    opened = {kind: open_engine(kind, tmp_path, postgres_server, search_templates) for kind in ENGINES}
    try:
        yield opened
    finally:
        for engine in opened.values():
            engine.close()


def _plan(engine: PostgresEngine, text: str, fields: tuple[str, ...] = search_pg.FIELDS) -> str:
    match, parameters = search_pg._match(parse_query(text), fields)
    with engine.db.conn.transaction():
        engine.db.execute("SET LOCAL enable_seqscan = off")  # a tiny table: ask what the index can do
        rows = engine.db.execute(f"EXPLAIN SELECT d.doc_id FROM search_doc AS d WHERE {match}", parameters).fetchall()
    return "\n".join(row[0] for row in rows)


def test_the_trigram_index_serves_chinese_and_english_terms_of_three_characters_or_more(engines: dict[str, Any]) -> None:
    trgm, scan = engines["postgresql"], engines["postgresql-scan"]
    for engine in (trgm, scan):
        engine.add(1, "关于发布强制性产品认证实施规则的公告", "ISO 9001 certification")
    assert search_pg.INDEX in _plan(trgm, "认证实施")
    assert search_pg.INDEX in _plan(trgm, "certification", ("body",))
    assert search_pg.INDEX not in _plan(scan, "认证实施")  # no index to use: a scan
    assert [h.doc_id for h in trgm.search("认证实施")] == [h.doc_id for h in scan.search("认证实施")] == [1]
    assert search_pg.index_notes(trgm.db) == []


def test_without_the_extension_searches_scan_and_find_the_same_hits(engines: dict[str, Any]) -> None:
    rng = random.Random(7)
    alphabet = "认证机构检测规则目录产品3CcA "
    for doc_id in range(1, 121):
        doc = tuple("".join(rng.choices(alphabet, k=rng.choice((0, 2, 5, 12, 40)))) for _ in range(3))
        for engine in engines.values():
            engine.add(doc_id, *doc)
    queries = ["认证", "3c", "认证机构", "检测 OR 目录", "认证 产品", '"规则目"', "c", "机构检测规则"]
    for _ in range(20):
        queries.append("".join(rng.choices(alphabet.replace(" ", ""), k=rng.choice((1, 2, 3, 4)))))
    found_any = 0
    for text in queries:
        for fields in (search_pg.FIELDS, ("title",), ("body", "attachments")):
            answers = {kind: engine.search(text, fields=fields, limit=200) for kind, engine in engines.items()}
            with_index, scanned, sqlite = answers["postgresql"], answers["postgresql-scan"], answers["sqlite"]
            assert with_index == scanned, (text, fields)  # ids, ranks, scores, snippets: all equal
            assert {h.doc_id for h in with_index} == {h.doc_id for h in sqlite}, (text, fields)
            if all(len(term) == 3 for term in parse_query(text).terms):
                # document frequencies of 3-character terms are exact on both: same BM25, same order
                assert [(h.doc_id, round(h.score, 9), h.snippet, h.spans) for h in with_index] == [
                    (h.doc_id, round(h.score, 9), h.snippet, h.spans) for h in sqlite
                ], (text, fields)
            found_any += bool(sqlite)
    assert found_any > 40
    (note,) = search_pg.index_notes(engines["postgresql-scan"].db)
    assert "scans every document" in note and "CREATE EXTENSION pg_trgm" in note and "\n" not in note


def test_a_refused_extension_leaves_the_store_migrated_and_without_the_index(
    postgres_server: Any, search_templates: Any
) -> None:
    from cnca_watch.store import SCHEMA_VERSION
    from search_engines import copy_of

    url = copy_of(postgres_server, search_templates["postgresql-scan"])
    with psycopg.connect(url, autocommit=True) as conn:
        assert conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone() == (str(SCHEMA_VERSION),)
        assert conn.execute("SELECT to_regclass(%s)", (search_pg.INDEX,)).fetchone() == (None,)
        assert conn.execute("SELECT count(*) FROM pg_extension WHERE extname = 'pg_trgm'").fetchone() == (0,)
        db = PostgresDb(url, lock_timeout=5.0)
        try:
            with db.transaction("test", lock=None):
                assert search_pg.ensure_index(db) is False  # refused again, and the transaction goes on
                db.execute("SELECT 1")
        finally:
            db.close()


def test_a_store_from_before_the_index_gets_it_on_upgrade(postgres_server: Any, search_templates: Any) -> None:
    from cnca_watch.store import Store
    from search_engines import copy_of

    url = copy_of(postgres_server, search_templates["postgresql"])
    engine = PostgresEngine(url)
    try:
        engine.add(1, "关于发布锂离子电池认证规则的公告", "正文")
        engine.execute(f"DROP INDEX {search_pg.INDEX}")
        engine.execute("UPDATE meta SET value = '7' WHERE key = 'schema_version'")  # as v7 left it
        assert search_pg.index_notes(engine.db)  # a scan, said
        Store.open(url).close()  # the first monitor of this version upgrades it
        assert search_pg.index_notes(engine.db) == []
        assert [h.doc_id for h in engine.search("锂离子")] == [1]
        assert search_pg.INDEX in _plan(engine, "锂离子")
    finally:
        engine.close()


def test_reindexing_a_version_replaces_its_text(engines: dict[str, Any]) -> None:
    engine = engines["postgresql"]
    engine.add(1, "旧标题实施规则", "旧正文")
    engine.add(1, "新标题实施规则", "新正文")
    assert engine.search("旧标题") == [] and engine.search("旧") == []
    assert [h.doc_id for h in engine.search("新标题")] == [1]


# ---------------------------------------------------------------------------- the CLI, both stores


def _search(store: str, *args: str) -> tuple[dict[str, Any], str]:
    outcome = runner.invoke(app, ["search", *args, "--json", "--limit", "50", "--store", store])
    assert outcome.exit_code == 0, outcome.output
    return json.loads(outcome.stdout), outcome.stderr


def _without_scores(result: dict[str, Any]) -> list[dict[str, Any]]:
    return [{k: v for k, v in hit.items() if k != "score"} for hit in result["hits"]]


def _unranked(result: dict[str, Any]) -> list[dict[str, Any]]:
    return sorted(
        ({k: v for k, v in hit.items() if k not in ("score", "rank")} for hit in result["hits"]), key=lambda h: h["url"]
    )


def test_a_select_only_role_searches_postgresql_with_the_same_answers_as_sqlite(
    mirror: Any, tmp_path: Path, pg_store: str
) -> None:
    from mirror_helpers import make_config, run_and_ack

    sqlite_store = tmp_path / "s.db"
    for store in (sqlite_store, pg_store):
        run_and_ack(make_config(mirror.base_url, store))
    mirror.set_day(2)
    for store in (sqlite_store, pg_store):
        run_and_ack(make_config(mirror.base_url, store))
    database = pg_store.rsplit("/", 1)[1]
    with psycopg.connect(pg_store, autocommit=True) as admin:
        admin.execute(f"CREATE ROLE reader_{database} LOGIN PASSWORD 'sesame-9c1d'")  # type: ignore[arg-type]
        admin.execute(f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO reader_{database}")  # type: ignore[arg-type]
    reader = pg_store.replace("postgres@", f"reader_{database}:sesame-9c1d@")
    searches = [
        ("认证",),
        ("认证机构",),
        ("认证机",),
        ("监督 OR 目录",),
        ('"认证机构" 通知',),
        ("认证", "--in", "title"),
        ("认证", "--source", "cnca-notices", "--since", "2024-05-01"),
        ("认证", "--until", "2024-03-01"),
        ("认证", "--kind", "new"),
        ("认证", "--kind", "changed"),
        ("认证", "--area", "regulation"),
        ("检验检测", "--in", "body", "--in", "attachments"),
    ]
    compared = 0
    for args in searches:
        expected, _ = _search(str(sqlite_store), *args)
        got, stderr = _search(reader, *args)
        terms = parse_query(args[0]).terms
        if all(len(term) == 3 for term in terms):
            assert got == expected, args  # document frequencies exact on both: same scores
        elif len(terms) == 1:
            assert _without_scores(got) == _without_scores(expected), args  # one term: its idf cannot reorder
        else:  # SQLite estimates other terms' frequencies from its trigram dictionary
            assert _unranked(got) == _unranked(expected), args
        compared += len(expected["hits"])
        # the test server's databases are LC_CTYPE C: said once, on stderr, never in the JSON
        assert stderr.count("LC_CTYPE is C") == 1 and "sesame-9c1d" not in stderr
    assert compared > 30
