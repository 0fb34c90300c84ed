"""Full-text search: exact matching against a brute-force scan, ranking, snippets, maintenance, errors.

Every backend-neutral test runs on each engine of ``search_engines``: SQLite's FTS5, and
PostgreSQL with pg_trgm's index and without it (a scan)."""

from __future__ import annotations

import random
import sqlite3
from pathlib import Path
from typing import Any, Iterator

import pytest

from cnca_watch import search_index as si
from search_engines import ENGINES, SqliteEngine, open_engine

Engine = Any


@pytest.fixture
def conn(tmp_path: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(tmp_path / "store.db", isolation_level=None)
    si.ensure_schema(connection)
    return connection


@pytest.fixture(params=ENGINES)
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "sqlite":
        opened = open_engine("sqlite", tmp_path)
    else:
        server, templates = request.getfixturevalue("postgres_server"), request.getfixturevalue("search_templates")
        opened = open_engine(request.param, tmp_path, server, templates)
    try:
        yield opened
    finally:
        opened.close()


def add(conn: sqlite3.Connection, doc_id: int, title: str, body: str = "", attachments: str = "") -> None:
    si.index_document(conn, doc_id, title, body, attachments)


def ids(hits: list[si.Hit]) -> list[int]:
    return [hit.doc_id for hit in hits]


def integrity(conn: sqlite3.Connection) -> None:
    conn.execute("INSERT INTO search_fts (search_fts, rank) VALUES ('integrity-check', 1)")


# ---------------------------------------------------------------------------- exact matching


def _brute(docs: dict[int, tuple[str, str, str]], groups: list[list[str]], fields: tuple[str, ...]) -> set[int]:
    columns = [si.FIELDS.index(f) for f in fields]

    def holds(doc: tuple[str, str, str], term: str) -> bool:
        return any(term.lower() in doc[c].lower() for c in columns)

    return {i for i, doc in docs.items() if any(all(holds(doc, t) for t in group) for group in groups)}


def test_every_query_finds_exactly_what_a_scan_finds(engine: Engine) -> None:
    # A small alphabet makes 1-, 2- and 3-character terms hit often, at column ends too.
    rng = random.Random(12)
    alphabet = "认证机构检测3CcA 规则"
    docs = {}
    for doc_id in range(1, 161):
        doc = tuple("".join(rng.choices(alphabet, k=rng.choice((0, 1, 2, 3, 8, 30)))) for _ in range(3))
        docs[doc_id] = doc
        engine.add(doc_id, *doc)
    if isinstance(engine, SqliteEngine):
        integrity(engine.conn)
    checked = 0
    for _ in range(150):
        groups = [[_term(rng, alphabet) for _ in range(rng.randint(1, 2))] for _ in range(rng.randint(1, 2))]
        text = " OR ".join(" ".join(f'"{t}"' for t in group) for group in groups)
        fields = rng.choice((si.FIELDS, ("title",), ("body", "attachments")))
        expected = _brute(docs, groups, fields)
        assert set(ids(engine.search(text, fields=fields, limit=500))) == expected, (text, fields)
        checked += bool(expected)
    assert checked > 60  # most queries found something: the comparison was not vacuous


def _term(rng: random.Random, alphabet: str) -> str:
    return "".join(rng.choices(alphabet.replace(" ", ""), k=rng.choice((1, 2, 2, 3, 4, 5))))


def test_short_terms_match_at_the_very_end_of_a_field(engine: Engine) -> None:
    engine.add(1, "认证", "", "")
    engine.add(2, "关于3C", "x", "")
    engine.add(3, "其他", "正文以认结尾", "")
    assert ids(engine.search("认证")) == [1]
    assert ids(engine.search("3c")) == [2]
    assert set(ids(engine.search("认"))) == {1, 3}


def test_english_words_phrases_and_operators(engine: Engine) -> None:
    engine.add(1, "ISO 9001 management systems", "certification body")
    engine.add(2, "关于 ISO/IEC 17025 的通知", "检验检测机构")
    engine.add(3, "Management of bodies", "")
    assert set(ids(engine.search("iso"))) == {1, 2}  # case-insensitive
    assert ids(engine.search('"iso 9001"')) == [1]
    assert ids(engine.search("management body")) == [1]  # both words, one in the title, one in the body
    assert ids(engine.search("management bodies")) == [3]
    assert set(ids(engine.search("17025 OR 9001"))) == {1, 2}
    assert ids(engine.search("检测 AND ISO")) == [2]


def test_like_wildcards_and_backslashes_are_plain_characters(engine: Engine) -> None:
    engine.add(1, "抽查合格率100%的通知", "")
    engine.add(2, "文件名 rule_v2.pdf", "")
    engine.add(3, "路径 C:\\cnca\\rules", "")
    engine.add(4, "rulexv2 合格率1000", "")
    assert ids(engine.search("100%")) == [1]
    assert ids(engine.search('"%的"')) == [1]
    assert ids(engine.search("rule_v2")) == [2]
    assert ids(engine.search("_")) == [2]
    assert ids(engine.search("\\cnca\\")) == [3]
    assert ids(engine.search("%")) == [1]


# ---------------------------------------------------------------------------- ranking and snippets


def test_title_hits_rank_above_body_and_attachment_hits(engine: Engine) -> None:
    engine.add(1, "关于发布电动自行车认证规则的公告", "正文")
    engine.add(2, "其他公告", "电动自行车 电动自行车 电动自行车")
    engine.add(3, "又一公告", "", "附件：电动自行车目录")
    hits = engine.search("电动自行车")
    assert ids(hits) == [1, 2, 3]
    assert hits[0].score > hits[1].score > hits[2].score > 0
    assert [hit.field for hit in hits] == ["title", "body", "attachments"]


def test_snippet_is_plain_text_with_spans_around_every_match(engine: Engine) -> None:
    body = "第一条 " + "为规范管理，" * 10 + "\n各认证机构应当于12月31日前完成认证证书转换。" + "其余内容。" * 30
    engine.add(7, "通知", body)
    (hit,) = engine.search("认证")
    assert hit.field == "body" and hit.snippet.startswith("…") and hit.snippet.endswith("…")
    assert "\n" not in hit.snippet
    assert [hit.snippet[s:e] for s, e in hit.spans] == ["认证", "认证"]
    assert "各[认证]机构应当于12月31日前完成[认证]证书转换" in hit.marked()
    assert hit.marked("<b>", "</b>").count("<b>") == 2


def test_fields_and_doc_filter_narrow_the_search(engine: Engine) -> None:
    engine.execute("CREATE TABLE version (id INTEGER PRIMARY KEY, day TEXT)")
    engine.executemany("INSERT INTO version VALUES (?, ?)", [(1, "2026-01-05"), (2, "2026-11-30"), (3, "2026-12-01")])
    engine.add(1, "认证机构名单", "")
    engine.add(2, "通知", "认证机构名单见附件")
    engine.add(3, "公告", "", "认证机构名单")
    assert ids(engine.search("机构名单", fields=("title",))) == [1]
    assert set(ids(engine.search("机构名单", fields=("body", "attachments")))) == {2, 3}
    since = ("SELECT id FROM version WHERE day >= ?", ["2026-11-01"])
    assert set(ids(engine.search("机构名单", doc_filter=since))) == {2, 3}
    assert set(ids(engine.search("名单", doc_filter=since))) == {2, 3}  # the short-term path too


def test_limit_keeps_the_best(engine: Engine) -> None:
    for doc_id in range(1, 31):
        engine.add(doc_id, "公告" if doc_id != 5 else "强制性认证公告", "强制性认证" if doc_id % 2 else "")
    hits = engine.search("强制性认证", limit=3)
    assert len(hits) == 3 and hits[0].doc_id == 5 and [h.rank for h in hits] == [1, 2, 3]


# ---------------------------------------------------------------------------- maintenance


def test_reindexing_replaces_the_old_text_and_removing_forgets_it(conn: sqlite3.Connection) -> None:
    add(conn, 1, "旧标题实施规则", "旧正文")
    add(conn, 1, "新标题实施规则", "新正文")
    assert ids(si.search(conn, "旧标题")) == [] and ids(si.search(conn, "新标题")) == [1]
    assert ids(si.search(conn, "旧")) == []
    integrity(conn)
    assert si.remove_document(conn, 1) is True and si.remove_document(conn, 1) is False
    assert ids(si.search(conn, "实施规则")) == []
    integrity(conn)


def test_a_rolled_back_run_leaves_index_and_text_consistent(conn: sqlite3.Connection) -> None:
    add(conn, 1, "已提交的公告")
    conn.execute("BEGIN IMMEDIATE")
    add(conn, 2, "未提交的公告")
    si.remove_document(conn, 1)
    conn.execute("ROLLBACK")
    assert ids(si.search(conn, "公告")) == [1]
    integrity(conn)


def test_rebuild_and_optimize_keep_the_same_answers(conn: sqlite3.Connection) -> None:
    for doc_id in range(1, 20):
        add(conn, doc_id, f"第{doc_id}号公告", "认证" * doc_id)
    before = ids(si.search(conn, "认证", limit=50))
    si.rebuild_index(conn)
    si.optimize_index(conn)
    integrity(conn)
    assert ids(si.search(conn, "认证", limit=50)) == before and len(before) == 19


# ---------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ('"认证机构', "has an unclosed quote; close the phrase with a matching quote"),
        ("OR 认证", "OR needs a term on each side"),
        ("认证 AND AND 机构", "AND needs a term on each side"),
        ("认证 OR", "ends with an operator; add a term after it"),
        ("   ", "the search query is empty; give a word or phrase to look for"),
        ('认证 ""', "has an empty phrase; put words between the quotes"),
        (" ".join(f"词{i}" for i in range(20)), "search query has 20 terms; use at most 16"),
    ],
)
def test_malformed_queries_are_one_line_errors(engine: Engine, query: str, message: str) -> None:
    with pytest.raises(si.SearchQueryError) as caught:
        engine.search(query)
    assert message in str(caught.value) and "\n" not in str(caught.value)


def test_bad_fields_and_limits_are_errors(engine: Engine) -> None:
    with pytest.raises(si.SearchQueryError, match="choose from title, body, attachments"):
        engine.search("认证", fields=("content",))
    with pytest.raises(si.SearchQueryError, match="at least 1"):
        engine.search("认证", limit=0)


def test_an_empty_index_answers_nothing(engine: Engine) -> None:
    assert engine.search("认证") == [] and engine.search("强制性认证") == []


def test_missing_trigram_support_is_one_clear_line() -> None:
    class OldSqlite:
        def execute(self, sql: str, *args: object) -> None:
            raise sqlite3.OperationalError("no such tokenizer: trigram")

    with pytest.raises(si.SearchUnavailable) as caught:
        si.ensure_schema(OldSqlite())  # type: ignore[arg-type]
    message = str(caught.value)
    assert "\n" not in message and "SQLite 3.34+" in message and sqlite3.sqlite_version in message
    assert "no such tokenizer: trigram" in message
