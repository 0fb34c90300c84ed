"""Grouped k-fold cross-validation of the classifier over a labelled pool.

    .venv/bin/python bench/cv_classifier.py POOL.tsv [POOL.tsv ...] [--fresh FILE ...] [--errors]
        [--train-on old]

Every row is held out exactly once: its fold (a seeded hash of the title, so a repost of the
same title stays in one fold) is classified by a model trained on the other folds, with the
vocabulary and the ``[model]`` blend of areas.toml.  Prints, on titles and on titles with
bodies, macro-F1, primary accuracy, per-area precision/recall/F1 and the in-domain rows left
without an area -- for the whole pool and for the rows of the ``--fresh`` files (rows the
vocabulary was never tuned on: the honest part of the figure).  Fold models are cached in
``--cache`` (keyed by the pool and the training options).

The corpus files carry the gold labels of the third round's relabelling; ``--train-on old``
trains the fold models on the labels the pool had before it (``pool-relabelling.tsv``, columns
``old_in_domain``, ``old_areas``) and still scores against the gold: two labellings of the
same rows compared on the same gold.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, replace
from pathlib import Path

from cnca_watch.classify import Blend, Classification, Vocabulary, classify_text, load_vocabulary, package_blend
from cnca_watch.evaluate import BUILTIN_AREAS, EvalReport, LabelledRow, evaluate, read_labelled
from cnca_watch.ngram import NgramModel, model_from_dict, read_model, write_model
from cnca_watch.train import TrainOptions, cv_fold, cv_split, train_model

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "tests" / "fixtures" / "classify" / "corpus"


def row_ids(path: Path) -> dict[int, str]:
    """Line number -> the row's ``id`` (read_labelled keeps line numbers, not ids)."""
    import csv

    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        header = [h.strip().lower() for h in next(reader)]
        at = header.index("id")
        return {line: fields[at].strip() for line, fields in enumerate(reader, start=2) if len(fields) > at}


RELABELLING = CORPUS / "pool-relabelling.tsv"


def read_relabelling(path: Path = RELABELLING, prefix: str = "old_") -> dict[str, tuple[bool, tuple[str, ...]]]:
    """id -> (in the domain, areas primary first) from the ``{prefix}in_domain`` and
    ``{prefix}areas`` columns of a relabelling file."""
    lines = path.read_text(encoding="utf-8").splitlines()
    head = [h.strip().lower() for h in lines[0].split("\t")]
    found = {}
    for line in lines[1:]:
        if not line.strip():
            continue
        cells = dict(zip(head, line.split("\t")))
        areas = tuple(a.strip() for a in cells[prefix + "areas"].split(",") if a.strip())
        found[cells["id"].strip()] = (cells[prefix + "in_domain"].strip().lower() == "yes", areas)
    return found


def relabelled(rows: Sequence[LabelledRow], ids: dict[int, str], labels: dict[str, tuple[bool, tuple[str, ...]]]) -> list[LabelledRow]:
    """The rows, with the labels ``labels`` gives for the ids it names."""
    out = []
    for row in rows:
        label = labels.get(ids.get(row.line, ""))
        out.append(replace(row, in_domain=label[0], areas=label[1]) if label else row)
    return out


def _train_one(args: tuple[list[LabelledRow], TrainOptions, str]) -> None:
    rows, options, path = args
    write_model(train_model(rows, options, areas=list(BUILTIN_AREAS)), path)


def cache_key(rows: Sequence[LabelledRow], options: TrainOptions, folds: int) -> str:
    """Fold models depend on the rows, the training options and the number of folds."""
    data = [[[r.title, r.areas, r.body, r.in_domain] for r in rows], asdict(options), folds]
    return hashlib.sha256(json.dumps(data, ensure_ascii=False, sort_keys=True).encode()).hexdigest()[:16]


def _value(text: str, like: object) -> object:
    """A command-line value converted to the type of the setting it replaces."""
    if isinstance(like, bool):
        return text.lower() in ("1", "true", "yes")
    if isinstance(like, dict) or text[:1] in "{[":
        return json.loads(text)
    return type(like)(text)


def fold_models(rows: Sequence[LabelledRow], options: TrainOptions, folds: int, cache: Path, jobs: int = 2) -> list[NgramModel]:
    """One model per fold, trained on the other folds (cached on disk)."""
    key = cache_key(rows, options, folds)
    where = cache / key
    where.mkdir(parents=True, exist_ok=True)
    todo = [(cv_split(rows, f, folds)[0], options, str(where / f"{f}.json")) for f in range(folds) if not (where / f"{f}.json").exists()]
    if todo:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            list(pool.map(_train_one, todo))
    return [read_model(where / f"{f}.json") for f in range(folds)]


def cv_classifier(
    models: Sequence[NgramModel | None], vocabulary: Vocabulary, blend: Blend
) -> Callable[[str, str], Classification]:
    """classify_text with the model of the fold each title is held out in."""
    folds = len(models)
    return lambda title, body: classify_text(title, body, vocabulary, model=models[cv_fold(title, folds)], blend=blend)


def line(name: str, report: EvalReport) -> str:
    per_area = " ".join(
        f"{s.area[:5]} {s.precision:.2f}/{s.recall:.2f}/{s.f1:.2f}" for s in report.per_area if s.scored and s.area in BUILTIN_AREAS
    )
    return (
        f"{name:<18} F1 {report.macro_f1 or 0:.3f} prim {report.primary_accuracy:.3f} "
        f"none {report.in_domain_without_area}/{report.in_domain_rows} ({report.no_area_rate:.1%}) "
        f"out+ {report.outside_tagged} | {per_area}"
    )


# the training pool, in the order the shipped model is trained on (never a frozen split)
POOL_FILES = ("train.tsv", "dev.tsv", "test.tsv", "train2.tsv", "train3.tsv")
FRESH_FILES = ("test.tsv", "train2.tsv", "train3.tsv")  # rows the vocabulary was never tuned on


def default_pool() -> list[Path]:
    return [CORPUS / name for name in POOL_FILES]


def load_pool(
    pool_files: Sequence[Path], fresh_files: Sequence[Path] | None, train_on: str = "gold"
) -> tuple[list[LabelledRow], list[LabelledRow], dict[str, list[LabelledRow]]]:
    """(rows as scored, rows as trained on, fresh rows per file): the files' (gold) labels are
    scored; with ``train_on`` old the models learn the pool's labels before the relabelling."""
    fresh_files = fresh_files if fresh_files is not None else [p for p in pool_files if p.name in FRESH_FILES]
    fresh_paths = {p.resolve() for p in fresh_files}
    old = read_relabelling() if train_on == "old" else {}
    rows: list[LabelledRow] = []
    train_rows: list[LabelledRow] = []
    fresh: dict[str, list[LabelledRow]] = {}
    for path in pool_files:
        part = read_labelled(path)
        rows += part
        train_rows += relabelled(part, row_ids(path), old) if old else part
        if path.resolve() in fresh_paths:
            fresh[path.stem] = part
    return rows, train_rows, fresh


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pool", nargs="*", type=Path, help="labelled TSV files (default: the corpus splits)")
    parser.add_argument("--fresh", nargs="*", type=Path, default=None, help="files whose rows the vocabulary was never tuned on")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--cache", type=Path, default=Path("/tmp/cnca-watch-cv"))
    parser.add_argument("--errors", action="store_true", help="print the held-out rows it gets wrong")
    parser.add_argument("--set", nargs="*", default=[], help="blend overrides, e.g. add_threshold=0.6")
    parser.add_argument("--train", nargs="*", default=[], help="training option overrides, e.g. max_n=4")
    parser.add_argument("--train-on", choices=("old", "gold"), default="gold", help="labels the models learn (scored: gold)")
    args = parser.parse_args(argv)
    rows, train_rows, fresh = load_pool(args.pool or default_pool(), args.fresh, args.train_on)
    options = replace(TrainOptions(), **{k: _value(v, getattr(TrainOptions(), k)) for k, v in (s.split("=", 1) for s in args.train)})
    blend = package_blend()
    for setting in args.set:
        name, value = setting.split("=", 1)
        blend = replace(blend, **{name: _value(value, getattr(blend, name))})
    print(f"{len(rows)} rows ({sum(map(len, fresh.values()))} fresh), {args.folds} folds; train {options}; blend {blend}", file=sys.stderr)
    models = fold_models(train_rows, options, args.folds, args.cache)
    vocabulary = load_vocabulary()
    run = cv_classifier(models, vocabulary, blend)
    for use_body in (False, True):
        report = evaluate(rows, vocabulary, use_body=use_body, classifier=run)
        print(line(f"{report.mode} pool", report))
        for name, part in fresh.items():
            part_report = evaluate(part, vocabulary, use_body=use_body, classifier=run)
            print(line(f"{report.mode} {name}", part_report))
            if args.errors and not use_body:
                for miss in part_report.misclassified:
                    print(f"  {','.join(miss.expected) or '-'} | {','.join(miss.predicted) or '-'} | {miss.title[:80]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
