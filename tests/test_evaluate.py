"""evaluate: per-area scores, macro-F1, primary accuracy, TSV reading."""

from __future__ import annotations

from pathlib import Path

import pytest

from cnca_watch.classify import classify, load_vocabulary
from cnca_watch.errors import UsageError
from cnca_watch.evaluate import LabelledRow, evaluate, read_labelled

FIXTURES = Path(__file__).parent / "fixtures" / "classify"
# A copy of the analysts' dev file (kept in shared/ outside the repository): the tests read
# nothing outside the repository.
DEV_FILE = FIXTURES / "labelled-dev.tsv"


@pytest.fixture(scope="module")
def vocab():
    return load_vocabulary()


def test_tiny_file_numbers_computed_by_hand(vocab):
    rows = read_labelled(FIXTURES / "tiny.tsv")
    # What the classifier says about each row (checked, so the hand numbers below hold):
    predicted = [tuple(t.id for t in classify(r.title, r.body, vocab)) for r in rows]
    assert predicted == [("going-global",), ("regulation",), ("capabilities",), (), ("benefit",)]
    report = evaluate(rows, vocab)
    by_area = {s.area: s for s in report.per_area}
    # going-global, regulation: 1 right of 1 predicted, 1 labelled
    for area in ("going-global", "regulation"):
        assert (by_area[area].precision, by_area[area].recall, by_area[area].f1) == (1.0, 1.0, 1.0)
    # capabilities: predicted once, never labelled -> P 0, F1 0
    assert (by_area["capabilities"].precision, by_area["capabilities"].f1) == (0.0, 0.0)
    # benefit: labelled on row 3, predicted on row 5 -> P 0, R 0
    assert (by_area["benefit"].precision, by_area["benefit"].recall, by_area["benefit"].support) == (0.0, 0.0, 1)
    # unified-management, serving-development: never labelled, never predicted -> not scored,
    # and left out of macro-F1 rather than counted as two free 1.0s
    assert not by_area["unified-management"].scored and not by_area["serving-development"].scored
    assert by_area["benefit"].scored and by_area["capabilities"].scored
    assert report.macro_areas == 4
    assert report.macro_f1 == pytest.approx((1 + 1 + 0 + 0) / 4)
    assert report.primary_accuracy == pytest.approx(3 / 5)
    assert [(m.line, m.primary_ok) for m in report.misclassified] == [(4, False), (6, False)]


def test_primary_accuracy_counts_any_labelled_area_as_right(vocab):
    title = "市场监管总局关于对电动自行车用锂离子蓄电池实施强制性产品认证管理的公告"
    assert classify(title, "", vocab)[0].id == "unified-management"
    rows = [LabelledRow(title, ("regulation", "unified-management"), line=2)]
    report = evaluate(rows, vocab)
    assert report.primary_accuracy == 1.0
    assert report.misclassified == ()


def test_dev_file_meets_the_quality_target(vocab):
    report = evaluate(read_labelled(DEV_FILE), vocab)
    assert report.rows > 60
    assert report.macro_f1 >= 0.85
    assert report.primary_accuracy >= 0.85


def test_heldout_file_meets_the_quality_target(vocab):
    rows = read_labelled(FIXTURES / "heldout.tsv")
    assert len(rows) >= 60
    assert sum(1 for r in rows if not r.areas) >= 20  # many out-of-domain SAMR titles
    report = evaluate(rows, vocab)
    assert report.macro_f1 >= 0.85
    assert report.primary_accuracy >= 0.85


def test_read_labelled_body_is_optional_and_blank_lines_are_skipped(tmp_path):
    path = tmp_path / "rows.tsv"
    path.write_text("areas\ttitle\n" "regulation,benefit\t违法典型案例\n" "\n" "\t计量规划\n", encoding="utf-8")
    rows = read_labelled(path)
    assert rows == [
        LabelledRow("违法典型案例", ("regulation", "benefit"), "", 2),
        LabelledRow("计量规划", (), "", 4),
    ]


def test_read_labelled_reads_a_body_column(tmp_path):
    path = tmp_path / "rows.tsv"
    path.write_text("title\tareas\tbody\n通知\tregulation\t严厉打击虚假认证\n", encoding="utf-8")
    assert read_labelled(path)[0].body == "严厉打击虚假认证"


def test_missing_column_names_the_file(tmp_path):
    path = tmp_path / "bad.tsv"
    path.write_text("title\tlabels\n标题\tregulation\n", encoding="utf-8")
    with pytest.raises(UsageError, match=r"bad\.tsv:1: missing column 'areas'"):
        read_labelled(path)


def test_unknown_area_names_file_and_line(tmp_path):
    path = tmp_path / "bad.tsv"
    path.write_text("title\tareas\n标题一\tregulation\n标题二\tregulaton\n", encoding="utf-8")
    with pytest.raises(UsageError, match=r"bad\.tsv:3: unknown area id 'regulaton'"):
        read_labelled(path)


def test_missing_file_is_a_usage_error(tmp_path):
    with pytest.raises(UsageError, match="nope.tsv"):
        read_labelled(tmp_path / "nope.tsv")


def test_a_row_without_its_areas_cell_is_an_error_not_no_area(tmp_path: Path) -> None:
    path = tmp_path / "labels.tsv"
    path.write_text("title\tareas\n市场监管总局关于加强认证监管工作的通知\tregulation\n关于认证的公告\n计量通知\t\n", encoding="utf-8")
    with pytest.raises(UsageError) as caught:
        read_labelled(path)
    assert str(caught.value).startswith(f"{path}:3: no areas column")
    path.write_text("title\tareas\n计量通知\t\n", encoding="utf-8")  # an empty cell is "no area"
    assert read_labelled(path)[0].areas == ()
