"""A regression floor for the field extractor on the labelled corpus (data card:
tests/fixtures/fields/README.md).  A floor, not the issue's target: the extractor was
written with this file in view (its old test split is retired), so the lead measures the targets
on a new blind-labelled file."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import pytest

from cnca_watch.evaluate_fields import FieldsEvalReport, evaluate_fields_file, read_labelled_fields

CORPUS = Path(__file__).parent / "fixtures" / "fields" / "labelled.jsonl"
FLOOR_PRECISION = 0.95
FLOOR_RECALL = 0.90


def test_the_corpus_is_the_documented_one() -> None:
    rows = [json.loads(line) for line in CORPUS.read_text("utf-8").splitlines() if line.strip()]
    assert len(rows) == len(read_labelled_fields(CORPUS)) >= 120
    assert all(row["url"].startswith(("http://", "https://")) for row in rows)  # provenance per row
    assert len({row["id"] for row in rows}) == len(rows)


BLIND = Path(__file__).parent / "fixtures" / "fields" / "blind-2026-12-02.jsonl"
BLIND_SHA256 = "e949ddc1a34a889fac9c0db4772c6b92ff29d90e99670f6a64209211e9a0613a"
BLIND_FLOOR = 0.80  # catches a broken extractor; the quality claim is the figure in the data card


def test_the_blind_file_is_the_frozen_one() -> None:
    import hashlib

    assert hashlib.sha256(BLIND.read_bytes()).hexdigest() == BLIND_SHA256  # frozen: never edited
    rows = [json.loads(line) for line in BLIND.read_text("utf-8").splitlines() if line.strip()]
    assert len(rows) == 144 and len({row["id"] for row in rows}) == 144
    assert all(row["url"].startswith(("http://", "https://")) for row in rows)


POOL = Path(__file__).parent / "fixtures" / "fields" / "pool-2026-12-02.jsonl"
POOL_HOLDOUT = Path(__file__).parent / "fixtures" / "fields" / "holdout-fieldsx2-ids.txt"
# two comment deadlines of Hong Kong consultations (諮詢) are label doubts the extractor does not
# follow (data card): recall's floor leaves room for them, precision's does not
POOL_FLOOR_RECALL = 0.80


def test_the_second_pool_is_the_documented_one() -> None:
    import hashlib

    rows = [json.loads(line) for line in POOL.read_text("utf-8").splitlines() if line.strip()]
    ids = [row["id"] for row in rows]
    assert len(rows) == len(read_labelled_fields(POOL)) == 172 and len(set(ids)) == 172
    assert all(row["url"].startswith(("http://", "https://")) for row in rows)
    # the held-out third is the seeded hash of the id, as the data card says
    held = [i for i in ids if hashlib.sha256(("fieldsx2-holdout:" + i).encode()).digest()[0] % 3 == 0]
    assert held == POOL_HOLDOUT.read_text("utf-8").split()


# (file, precision floor, recall floor): floors that catch a broken extractor, not the target
FLOORS = {
    "labelled": (CORPUS, FLOOR_PRECISION, FLOOR_RECALL),
    "blind": (BLIND, BLIND_FLOOR, BLIND_FLOOR),
    "second-pool": (POOL, FLOOR_PRECISION, POOL_FLOOR_RECALL),
}


@lru_cache(maxsize=None)
def _scores(name: str) -> FieldsEvalReport:
    return evaluate_fields_file(FLOORS[name][0])


@pytest.mark.parametrize("field", ["doc_number", "effective_date", "comment_deadline"])
@pytest.mark.parametrize("name", sorted(FLOORS))
def test_extractor_stays_above_its_floor(name: str, field: str) -> None:
    _, floor_precision, floor_recall = FLOORS[name]
    score = _scores(name).score(field)
    assert score.precision is not None and score.precision >= floor_precision, f"{field} precision below the floor on {name}"
    assert score.recall is not None and score.recall >= floor_recall, f"{field} recall below the floor on {name}"
