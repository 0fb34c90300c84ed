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


# --- confusion, strict primary, in-domain without area, both modes -------------------------

from cnca_watch.classify import Classification  # noqa: E402
from cnca_watch.evaluate import BUILTIN_AREAS, NONE, evaluate_modes  # noqa: E402
from cnca_watch.models import AreaTag, Evidence  # noqa: E402


def _fixed(answers: dict[str, tuple[str, ...]]):
    """A stand-in classifier: title -> areas, so the expected figures can be worked out by hand."""

    def run(title: str, body: str) -> Classification:
        areas = answers[title + ("+" if body else "")] if title + "+" in answers and body else answers[title]
        tags = tuple(AreaTag(a, a, a, 1.0, (Evidence("x", "title"),)) for a in areas)
        return Classification(tags, "in the domain" if tags else "in the domain, no task-area signal", bool(tags))

    return run


HAND_ROWS = [
    LabelledRow("a", ("regulation", "unified-management"), in_domain=True, line=2),  # predicted UM, regulation
    LabelledRow("b", ("going-global",), in_domain=True, line=3),  # predicted none
    LabelledRow("c", (), in_domain=True, line=4),  # in the domain, no area; predicted none
    LabelledRow("d", (), in_domain=False, line=5),  # outside; predicted benefit
    LabelledRow("e", ("benefit",), body="body", in_domain=True, line=6),  # title: none; +body: benefit
]
HAND_ANSWERS = {
    "a": ("unified-management", "regulation"),
    "b": (),
    "c": (),
    "d": ("benefit",),
    "e": (),
    "e+": ("benefit",),
}


def test_confusion_strict_primary_and_no_area_counts_by_hand(vocab):
    report = evaluate(HAND_ROWS, vocab, use_body=False, classifier=_fixed(HAND_ANSWERS))
    confusion = report.confusion
    assert list(confusion) == [*BUILTIN_AREAS, NONE]  # every area and none, vocabulary order
    assert all(list(row) == [*BUILTIN_AREAS, NONE] for row in confusion.values())
    assert confusion["regulation"]["unified-management"] == 1
    assert confusion["going-global"][NONE] == 1
    assert confusion[NONE][NONE] == 1 and confusion[NONE]["benefit"] == 1
    assert confusion["benefit"][NONE] == 1
    assert sum(sum(row.values()) for row in confusion.values()) == 5
    # lenient primary: a (UM is a label), c (both none) -> 2/5; strict: only c -> 1/5
    assert report.primary_accuracy == pytest.approx(2 / 5)
    assert report.strict_primary_accuracy == pytest.approx(1 / 5)
    # in the domain by label: a, b, c, e -> b, c and e got nothing; d (outside) got an area
    assert (report.in_domain_rows, report.in_domain_without_area, report.outside_tagged) == (4, 3, 1)
    assert report.no_area_rate == pytest.approx(3 / 4)
    assert report.mode == "title"


def test_both_modes_score_the_body_only_in_title_body(vocab):
    summary = evaluate_modes(HAND_ROWS, vocab, classifier=_fixed(HAND_ANSWERS))
    assert summary.rows_with_body == 1
    assert summary.title_only.confusion["benefit"][NONE] == 1
    assert summary.title_body is not None and summary.title_body.confusion["benefit"]["benefit"] == 1
    assert summary.title_body.in_domain_without_area == 2
    document = summary.to_json()
    assert document["title"]["mode"] == "title" and document["title+body"]["mode"] == "title+body"


def test_without_bodies_there_is_no_title_body_report(vocab):
    summary = evaluate_modes(HAND_ROWS[:4], vocab, classifier=_fixed(HAND_ANSWERS))
    assert summary.title_body is None and summary.to_json()["title+body"] is None


def test_in_domain_column_is_read(tmp_path):
    path = tmp_path / "corpus.tsv"
    path.write_text("title\tareas\tbody\tlang\tpublisher\turl\tin_domain\n"
                    "认证公告\tregulation\t\tzh\tCNCA\thttp://127.0.0.1/a\tyes\n"
                    "计量公告\t\t\tzh\tSAMR\thttp://127.0.0.1/b\tno\n"
                    "Notice\t\t\ten\tCNCA\thttp://127.0.0.1/c\t\n", encoding="utf-8")
    rows = read_labelled(path)
    assert [(r.in_domain, r.lang, r.labelled_in_domain) for r in rows] == [(True, "zh", True), (False, "zh", False), (None, "en", False)]


def test_a_bad_in_domain_value_names_file_and_line(tmp_path):
    path = tmp_path / "corpus.tsv"
    path.write_text("title\tareas\tin_domain\n认证公告\tregulation\tmaybe\n", encoding="utf-8")
    with pytest.raises(UsageError, match=r"corpus.tsv:2: in_domain must be yes or no"):
        read_labelled(path)


def test_the_area_list_comes_from_the_vocabulary(vocab):
    assert BUILTIN_AREAS == tuple(a.id for a in vocab.areas)
