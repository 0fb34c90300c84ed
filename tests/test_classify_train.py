"""train_model and the model file: learning, determinism, round trip, the re-training script."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from cnca_watch.evaluate import LabelledRow
from cnca_watch.ngram import DOMAIN_HEAD, FORMAT, model_from_dict, read_model, write_model
from cnca_watch.train import TrainOptions, train_model

ROOT = Path(__file__).resolve().parents[1]

ROWS = [
    *(LabelledRow(f"关于发布第{i}批认证实施规则的公告", ("unified-management",), in_domain=True) for i in range(6)),
    *(LabelledRow(f"第{i}批检验检测机构监督抽查结果通报", ("regulation",), in_domain=True) for i in range(6)),
    *(LabelledRow(f"第{i}期审核员培训班开班", ("capabilities",), in_domain=True) for i in range(6)),
    *(LabelledRow(f"第{i}批食品安全抽检信息", (), in_domain=False) for i in range(6)),
]
AREAS = ["unified-management", "regulation", "capabilities"]


def test_the_model_learns_separable_areas_and_the_domain():
    model = model_from_dict(train_model(ROWS, TrainOptions(epochs=25), areas=AREAS))
    assert model.heads == (*AREAS, DOMAIN_HEAD)
    for title, area in (
        ("关于发布认证实施规则的公告", "unified-management"),
        ("监督抽查结果通报", "regulation"),
        ("审核员培训班", "capabilities"),
    ):
        p = model.probabilities(model.featurise(title))
        assert max((h for h in AREAS), key=p.__getitem__) == area
        assert p[area] > 0.5 and p[DOMAIN_HEAD] > 0.5
    assert model.probabilities(model.featurise("食品安全抽检信息"))[DOMAIN_HEAD] < 0.5


def test_training_is_deterministic_and_json_ready():
    first = train_model(ROWS, areas=AREAS)
    second = train_model(list(ROWS), areas=AREAS)
    assert first == second
    assert json.loads(json.dumps(first)) == first
    assert first["format"] == FORMAT and first["meta"]["rows"] == len(ROWS)


def test_several_fits_ship_the_mean_of_their_weights():
    options = TrainOptions(epochs=5, prune=0.0, seed=7, fits=1)
    one, other = (train_model(ROWS, replace(options, seed=seed), areas=AREAS) for seed in (7, 8))
    both = train_model(ROWS, replace(options, fits=2), areas=AREAS)
    assert one["weights"] != other["weights"]  # the order of the rows matters to one run
    for key, row in both["weights"].items():
        for h, weight in enumerate(row):  # packed at 1/1000: the mean of two rounded runs is within 1
            assert abs(weight - (one["weights"][key][h] + other["weights"][key][h]) / 2) <= 1
    assert both["meta"]["options"]["fits"] == 2


def test_head_order_defaults_to_first_appearance():
    assert train_model(ROWS)["heads"] == [*AREAS, DOMAIN_HEAD]


def test_rare_features_and_tiny_weights_are_pruned():
    kept = train_model(ROWS, TrainOptions(min_count=1, prune=0.0), areas=AREAS)["weights"]
    pruned = train_model(ROWS, TrainOptions(min_count=3, prune=0.2), areas=AREAS)["weights"]
    assert 0 < len(pruned) < len(kept)
    assert all(max(abs(w) for w in row) >= 200 for row in pruned.values())  # scale 1000


def test_body_rows_train_title_only_and_with_body():
    rows = [LabelledRow("认证公告", ("regulation",), body="监督抽查", in_domain=True)] * 3
    assert train_model(rows, areas=["regulation"])["meta"]["samples"] == 6


def test_no_rows_is_an_error():
    with pytest.raises(ValueError, match="no labelled rows"):
        train_model([])


@pytest.mark.parametrize("name", ["model.json", "model.json.gz"])
def test_write_and_read_round_trip(tmp_path, name):
    data = train_model(ROWS, areas=AREAS)
    path = tmp_path / name
    write_model(data, path)
    assert (path.read_bytes()[:2] == b"\x1f\x8b") == name.endswith(".gz")
    model = read_model(path)
    direct = model_from_dict(data)
    feats = model.featurise("关于发布认证实施规则的公告")
    assert model.probabilities(feats) == direct.probabilities(feats)


def test_the_same_training_writes_the_same_bytes(tmp_path):
    data = train_model(ROWS, areas=AREAS)
    write_model(data, tmp_path / "a.json.gz")
    write_model(data, tmp_path / "b.json.gz")
    assert (tmp_path / "a.json.gz").read_bytes() == (tmp_path / "b.json.gz").read_bytes()


def test_a_foreign_file_is_refused_with_its_format():
    with pytest.raises(ValueError, match="not a cnca-watch n-gram model"):
        model_from_dict({"format": "something-else"})


def test_a_row_of_the_wrong_width_is_refused():
    data = train_model(ROWS, areas=AREAS)
    key = next(iter(data["weights"]))
    data["weights"][key] = data["weights"][key][:-1]
    with pytest.raises(ValueError, match="expected 4"):
        model_from_dict(data)


def _tsv(path: Path, rows: list[LabelledRow]) -> Path:
    lines = ["title\tareas\tbody\tin_domain"]
    lines += [f"{r.title}\t{','.join(r.areas)}\t{r.body}\t{'yes' if r.in_domain else 'no'}" for r in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_the_retraining_script_writes_a_model_and_scores_a_dev_file(tmp_path):
    train = _tsv(tmp_path / "train.tsv", ROWS)
    dev = _tsv(tmp_path / "dev.tsv", ROWS[::3])
    out = tmp_path / "my-model.json.gz"
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "train_classifier.py"), str(train), "-o", str(out), "--dev", str(dev)],
        capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    model = json.loads(gzip.decompress(out.read_bytes()))
    assert model["meta"]["rows"] == len(ROWS)
    assert "macro-F1" in done.stdout and "[title]" in done.stdout


def test_the_retraining_script_names_a_bad_file(tmp_path):
    bad = tmp_path / "bad.tsv"
    bad.write_text("title\tlabels\nx\ty\n", encoding="utf-8")
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "train_classifier.py"), str(bad), "-o", str(tmp_path / "m.json")],
        capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 2
    assert str(bad) in done.stderr and "areas" in done.stderr and "Traceback" not in done.stderr


def test_cv_folds_are_fixed_grouped_and_cover_every_row():
    from cnca_watch.train import cv_fold, cv_split

    rows = [LabelledRow(f"第{i}批认证实施规则", ("unified-management",)) for i in range(60)]
    # the same title from another source (full-width digits, spaces, case) is the same group
    assert cv_fold("ＣＣＣ 认证 公告") == cv_fold("ccc认证公告")
    assert all(0 <= cv_fold(r.title) < 5 for r in rows)
    folds = {cv_fold(r.title) for r in rows}
    assert len(folds) == 5  # 60 titles spread over all five folds
    held = []
    for fold in range(5):
        train, held_out = cv_split(rows, fold)
        assert not {r.title for r in train} & {r.title for r in held_out}
        assert len(train) + len(held_out) == len(rows)
        held += held_out
    assert sorted(r.title for r in held) == sorted(r.title for r in rows)


def test_english_word_pairs_are_features_only_when_asked():
    from cnca_watch.ngram import features

    plain = features("CNCA spot checks", body_weight=0, body_chars=0)
    paired = features("CNCA spot checks", body_weight=0, body_chars=0, word_pairs=True)
    assert "w:spot checks" in paired.title_keys and "w:spot checks" not in plain.title_keys
    data = train_model(ROWS, TrainOptions(word_pairs=True), areas=AREAS)
    assert data["word_pairs"] is True and model_from_dict(data).word_pairs
    assert "word_pairs" not in train_model(ROWS, areas=AREAS)  # older files stay as they were
