"""evaluate_fields: per-field precision/recall on a tiny JSONL file counted by hand."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cnca_watch.errors import UsageError
from cnca_watch.evaluate_fields import evaluate_fields_file, normalise_value, read_labelled_fields

EMPTY = {
    "doc_number": None,
    "doc_type": "news",
    "issuers": [],
    "effective_date": None,
    "transition_end": None,
    "comment_deadline": None,
    "references": [],
}


def _row(title, body, date=None, **labels):
    return {"id": title[:4], "title": title, "body": body, "date": date, "labels": {**EMPTY, **labels}}


def _write(tmp_path: Path, rows) -> Path:
    path = tmp_path / "labelled.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    return path


def test_counts_by_hand(tmp_path):
    rows = [
        # 1: everything right; the label writes brackets and digits differently
        _row(
            "国家认监委关于调整认证工作的公告",
            "国认监[２０１９]6号\n本公告自2024年7月1日起施行。",
            doc_number="国认监〔2019〕6号",
            doc_type="announcement",
            issuers=["国家认监委"],
            effective_date="2024-07-01",
        ),
        # 2: the label says 07-02: the extractor's 07-01 is a false positive and a false negative
        _row("关于X的通知", "本通知自2024年7月1日起施行。", doc_type="notice", effective_date="2024-07-02"),
        # 3: nothing labelled; the extractor invents nothing -> nothing counted for the dates
        _row("认证认可工作会议召开", "会议要求……"),
        # 4: a labelled deadline the extractor misses (no comments asked for in the text it reads)
        _row("关于Y的通知", "请于2024年10月26日前报送。", doc_type="notice", comment_deadline="2024-10-26",
             references=["认证认可条例"]),
    ]
    report = evaluate_fields_file(_write(tmp_path, rows))
    assert report.rows == 4
    effective = report.score("effective_date")
    assert (effective.true_positives, effective.false_positives, effective.false_negatives) == (1, 1, 1)
    assert (effective.precision, effective.recall) == (0.5, 0.5)
    number = report.score("doc_number")
    assert (number.precision, number.recall) == (1.0, 1.0)
    deadline = report.score("comment_deadline")
    assert (deadline.precision, deadline.recall, deadline.false_negatives) == (None, 0.0, 1)
    assert report.score("transition_end").precision is None and report.score("transition_end").recall is None
    assert report.score("doc_type").precision == 1.0  # 4 of 4 types right
    references = report.score("references")
    assert (references.true_positives, references.false_negatives) == (0, 1)
    mismatched = {(m.line, m.field) for m in report.mismatches}
    assert mismatched == {(2, "effective_date"), (4, "comment_deadline"), (4, "references")}
    assert report.to_json()["fields"][3]["precision"] == 0.5
    assert report.lines()[0] == "4 labelled texts"


def test_value_given_where_label_is_null_is_a_false_positive(tmp_path):
    report = evaluate_fields_file(_write(tmp_path, [_row("关于X的通知", "本通知自2024年7月1日起施行。", doc_type="notice")]))
    score = report.score("effective_date")
    assert (score.true_positives, score.false_positives, score.false_negatives, score.precision) == (0, 1, 0, 0.0)


def test_lists_are_compared_as_sets(tmp_path):
    row = _row("市场监管总局 国家网信办关于X的公告", "", doc_type="announcement", issuers=["国家网信办", "市场监管总局", "公安部"])
    score = evaluate_fields_file(_write(tmp_path, [row])).score("issuers")
    assert (score.true_positives, score.false_positives, score.false_negatives) == (2, 0, 1)


def test_normalise_value():
    assert normalise_value("国认监【２０１９】 6号") == "国认监〔2019〕6号"
    assert normalise_value("國家認監委") == "国家认监委"


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("not json", "labelled.jsonl:2: not JSON"),
        ('{"title": "x", "body": ""}', 'labelled.jsonl:2: "labels" must be an object'),
        ('{"title": "x", "labels": {"doc_type": "news"}}', "labelled.jsonl:2: \"labels\" lacks doc_number"),
        (json.dumps({"title": "x", "labels": {**EMPTY, "doc_type": "memo"}}), "labelled.jsonl:2: labels.doc_type 'memo'"),
        (json.dumps({"title": "x", "labels": {**EMPTY, "issuers": "SAMR"}}), "labelled.jsonl:2: labels.issuers must be a list"),
    ],
    ids=["not-json", "no-labels", "missing-keys", "bad-type", "list-not-list"],
)
def test_bad_rows_name_the_line(tmp_path, line, message):
    path = tmp_path / "labelled.jsonl"
    path.write_text(json.dumps(_row("关于X的通知", "", doc_type="notice"), ensure_ascii=False) + "\n" + line + "\n", encoding="utf-8")
    with pytest.raises(UsageError) as caught:
        read_labelled_fields(path)
    assert str(caught.value).startswith(str(tmp_path / message.split(":")[0]) + ":" + message.split(":", 1)[1])


def test_missing_and_empty_files(tmp_path):
    with pytest.raises(UsageError, match="no such file"):
        read_labelled_fields(tmp_path / "absent.jsonl")
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n", encoding="utf-8")
    with pytest.raises(UsageError, match="no labelled texts"):
        read_labelled_fields(empty)
