"""Regression floors on the blind-labelled corpus splits, and the shipped model's provenance.

The floors sit a little under what the classifier measured (docs/CLASSIFIER.md gives the
figures).  They catch a change that makes things worse; they are not the quality claim.  Since
the second round of issue 10 every split (the retired first-round test split included) is
training data and the classifier is chosen by cross-validation over all of them; the quality
claim is a new frozen split the project never sees.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest

from cnca_watch.classify import load_vocabulary
from cnca_watch.evaluate import BUILTIN_AREAS, evaluate, read_labelled
from cnca_watch.ngram import MODEL_FILE, packaged_model, write_model
from cnca_watch.train import TrainOptions, train_model

CORPUS = Path(__file__).parent / "fixtures" / "classify" / "corpus"

# regression floors (see the module docstring): dev split, title alone and title with body
FLOORS = {
    "title": {"macro_f1": 0.88, "primary": 0.95, "area_f1": 0.75},
    "title+body": {"macro_f1": 0.85, "primary": 0.94, "area_f1": 0.60},
}
NO_AREA_RATE = 0.05  # in-domain rows left without an area (the issue: "rare, < 5 %")


# regression floors on the retired first-round test split (measured once while it was frozen:
# title 0.790 / 0.898, title+body 0.767 / 0.907); now training data, so only a guard
TEST_FLOORS = {"title": {"macro_f1": 0.75, "primary": 0.87}, "title+body": {"macro_f1": 0.72, "primary": 0.87}}


@pytest.fixture(scope="module")
def vocab():
    return load_vocabulary()


@pytest.fixture(scope="module")
def dev_rows():
    rows = read_labelled(CORPUS / "dev.tsv")
    assert len(rows) >= 60 and sum(r.labelled_in_domain for r in rows) >= 25
    return rows


@pytest.mark.parametrize("use_body", [False, True], ids=["title", "title+body"])
def test_dev_split_stays_above_its_floors(vocab, dev_rows, use_body):
    report = evaluate(dev_rows, vocab, use_body=use_body)
    floor = FLOORS[report.mode]
    assert report.macro_f1 is not None and report.macro_f1 >= floor["macro_f1"]
    assert report.primary_accuracy >= floor["primary"]
    for score in report.per_area:
        if score.support:
            assert score.f1 >= floor["area_f1"], score
    assert report.no_area_rate < NO_AREA_RATE
    assert report.outside_tagged <= 1  # out-of-domain rows (standards, metrology …) stay untagged


def test_english_rows_of_the_dev_split_are_tagged_like_the_chinese(vocab, dev_rows):
    english = [r for r in dev_rows if r.lang == "en"]
    assert len(english) >= 10
    report = evaluate(english, vocab, use_body=False)
    assert report.primary_accuracy >= 0.85
    assert report.in_domain_without_area == 0


POOL = ("train.tsv", "dev.tsv", "test.tsv", "train2.tsv", "train3.tsv")  # the training pool, in this order


def test_the_shipped_model_is_what_the_training_pool_gives(tmp_path):
    """Re-training from the corpus files (the whole pool since the second round of issue 10)
    reproduces the packaged file byte for byte, with the options recorded in it: the model is
    data with a known origin."""
    shipped = packaged_model()
    assert shipped is not None
    options = TrainOptions(**shipped.meta["options"])
    rows = [row for name in POOL for row in read_labelled(CORPUS / name)]
    assert shipped.meta["rows"] == len(rows)
    model = train_model(rows, options, areas=list(BUILTIN_AREAS))
    write_model(model, tmp_path / MODEL_FILE)
    assert (tmp_path / MODEL_FILE).read_bytes() == resources.files("cnca_watch").joinpath(MODEL_FILE).read_bytes()


@pytest.mark.parametrize("use_body", [False, True], ids=["title", "title+body"])
def test_retired_test_split_stays_above_its_regression_floor(vocab, use_body):
    rows = read_labelled(CORPUS / "test.tsv")
    assert len(rows) >= 200
    report = evaluate(rows, vocab, use_body=use_body)
    floor = TEST_FLOORS[report.mode]
    assert report.macro_f1 is not None and report.macro_f1 >= floor["macro_f1"]
    assert report.primary_accuracy >= floor["primary"]


def _labels(path: Path) -> dict[str, tuple[str, ...]]:
    lines = path.read_text(encoding="utf-8").splitlines()
    head = lines[0].split("\t")
    rows = [dict(zip(head, line.split("\t"))) for line in lines[1:]]
    return {row["id"]: tuple(a for a in row["areas"].split(",") if a) for row in rows}


def _agreement(
    first: dict[str, tuple[str, ...]], second: dict[str, tuple[str, ...]], ids: list[str]
) -> tuple[float, float]:
    """Macro-F1 over the six areas and primary agreement of ``second`` against ``first``."""
    f1s = []
    for area in BUILTIN_AREAS:
        tp = sum(1 for i in ids if area in first[i] and area in second[i])
        fp = sum(1 for i in ids if area not in first[i] and area in second[i])
        fn = sum(1 for i in ids if area in first[i] and area not in second[i])
        f1s.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    return sum(f1s) / len(f1s), sum(1 for i in ids if first[i][:1] == second[i][:1]) / len(ids)


def _relabelling() -> list[dict[str, str]]:
    lines = (CORPUS / "pool-relabelling.tsv").read_text(encoding="utf-8").splitlines()
    head = lines[0].split("\t")
    return [dict(zip(head, line.split("\t"))) for line in lines[1:]]


def _column(rows: list[dict[str, str]], name: str) -> dict[str, tuple[str, ...]]:
    return {r["id"]: tuple(a for a in r[name].split(",") if a) for r in rows}


def test_the_second_blind_labelling_agrees_as_the_data_card_says():
    # L1's labels are the pool's labels before the third round's relabelling
    first = _column(_relabelling(), "old_areas")
    second = _labels(CORPUS / "second-labelling.tsv")
    ids = sorted(second)
    assert len(ids) >= 150 and set(ids) <= set(first)
    macro_f1, primary = _agreement(first, second, ids)
    assert round(macro_f1, 3) == 0.949  # the figure the data card gives
    assert round(primary, 3) == 0.965


def _agreement_on_tagged(first: dict[str, tuple[str, ...]], second: dict[str, tuple[str, ...]], ids: list[str]) -> tuple[float, float]:
    """Macro-F1 over the six areas, and primary agreement on the rows either labelling tags."""
    macro_f1, _ = _agreement(first, second, ids)
    tagged = [i for i in ids if first[i] or second[i]]
    return macro_f1, sum(1 for i in tagged if first[i][:1] == second[i][:1]) / len(tagged)


def test_the_pool_relabelling_is_the_corpus_gold_and_agrees_as_the_data_card_says():
    """Third round: every pool row relabelled by two new blind labellers (A, B); gold = the
    answer two of (old, A, B) share, an adjudicator's where all three differ.  The corpus
    files carry the gold; the relabelling file keeps all four answers."""
    rows = _relabelling()
    gold = {}
    for name in POOL[:4]:  # the pool as it was relabelled (train3 came after, labelled blind)
        gold.update(_labels(CORPUS / name))
    assert [r["id"] for r in rows] and {r["id"] for r in rows} == set(gold) and len(rows) == len(gold)
    old, a, b, final = (_column(rows, c) for c in ("old_areas", "a_areas", "b_areas", "areas"))
    assert final == gold
    for r in rows:
        answers = [old[r["id"]], a[r["id"]], b[r["id"]]]
        if r["how"] == "unanimous":
            assert answers == [final[r["id"]]] * 3
        elif r["how"] == "majority":  # two answers share the primary and the area set
            assert sum(x[:1] == final[r["id"]][:1] and set(x) == set(final[r["id"]]) for x in answers) >= 2
        else:
            assert r["how"] == "adjudicated"
    ids = sorted(gold)
    figures = {pair: tuple(round(x, 3) for x in _agreement_on_tagged(*pair_of, ids)) for pair, pair_of in {
        "A-B": (a, b), "old-A": (old, a), "old-B": (old, b)}.items()}
    assert figures == {"A-B": (0.968, 0.964), "old-A": (0.916, 0.92), "old-B": (0.924, 0.939)}  # the data card's
    assert sum(1 for r in rows if final[r["id"]] != old[r["id"]] or r["in_domain"] != r["old_in_domain"]) == 96


# The frozen splits (data card: "The frozen test split of 2026-12-02" and "test3.tsv").  Each
# was scored by the lead after a round's classifier was finished (test2: 0.632 / 0.705 in the
# second round; test3, before and after the third round: 0.659 / 0.712 and 0.677 / 0.727;
# test2 after the third round 0.677 / 0.733).  A floor under those catches a broken classifier;
# it is not the quality claim, and not the target.
FROZEN = {
    "test2.tsv": {
        "sha256": "00cc132bebf798a9df30576bacc7fca7e19521234b637d3719c930cb282d5e48",
        "floor": {"macro_f1": 0.62, "primary": 0.68},
        "agreement": (0.829, 0.905),  # the two blind labellings, as the data card gives them
    },
    "test3.tsv": {
        "sha256": "c385e3799568c806f2ca8e0cd60dd3a3ff1ae9a226fb2c95e876395c489a3cfd",
        "floor": {"macro_f1": 0.62, "primary": 0.68},
        "agreement": (0.878, 0.897),
    },
}


@pytest.mark.parametrize("name", sorted(FROZEN))
def test_the_frozen_split_is_the_hashed_one_and_not_in_the_training_pool(name):
    import hashlib

    path = CORPUS / name
    assert hashlib.sha256(path.read_bytes()).hexdigest() == FROZEN[name]["sha256"]  # never edited after freezing
    rows = read_labelled(path)
    assert len(rows) >= 200 and name not in POOL

    def squeeze(title: str) -> str:
        return "".join(ch for ch in title.lower() if ch.isalnum())

    pool = {squeeze(r.title) for other in POOL for r in read_labelled(CORPUS / other)}
    assert not [r.title for r in rows if squeeze(r.title) in pool]


@pytest.mark.parametrize("name", sorted(FROZEN))
def test_frozen_split_stays_above_its_regression_floor(vocab, name):
    report = evaluate(read_labelled(CORPUS / name), vocab, use_body=False)
    floor = FROZEN[name]["floor"]
    assert report.macro_f1 is not None and report.macro_f1 >= floor["macro_f1"]
    assert report.primary_accuracy >= floor["primary"]


@pytest.mark.parametrize("name", sorted(FROZEN))
def test_the_frozen_split_labellings_agree_as_the_data_card_says(name):
    """Two blind labellings of every frozen row; the gold is the first where they agree and an
    adjudicator's decision where they do not."""
    lines = (CORPUS / name.replace(".tsv", "-labellings.tsv")).read_text(encoding="utf-8").splitlines()
    head = lines[0].split("\t")
    rows = [dict(zip(head, line.split("\t"))) for line in lines[1:]]
    gold = _labels(CORPUS / name)
    assert {r["id"] for r in rows} == set(gold)
    first = {r["id"]: tuple(a for a in r["first_areas"].split(",") if a) for r in rows}
    second = {r["id"]: tuple(a for a in r["second_areas"].split(",") if a) for r in rows}
    for r in rows:  # where the two agreed, the gold is their answer
        if r["adjudicated"] == "no":
            assert gold[r["id"]] == first[r["id"]]
    ids = sorted(gold)
    macro_f1, primary = _agreement(first, second, ids)
    assert (round(macro_f1, 3), round(primary, 3)) == FROZEN[name]["agreement"]
