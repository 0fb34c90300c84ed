"""Choose how the n-gram model joins the vocabulary, by grouped k-fold cross-validation.

    .venv/bin/python bench/tune_classifier.py [POOL.tsv ...] [--fresh FILE ...] [--train max_n=4 ...] [--seeds 20240112 1]

Trains one model per fold (cached, see bench/cv_classifier.py), then searches the ``[model]``
blend coordinate by coordinate -- the model's weight, the add threshold (global, then per
area), the secondary-area floor and the domain threshold -- keeping a change only when it
raises the objective: the mean of macro-F1 and primary accuracy, on titles and on titles
with bodies, over the whole pool and over its fresh rows (rows the vocabulary was never tuned
on) -- averaged over the fold models of each training seed given (two seeds' models differ
by up to 0.02 macro-F1: one seed alone would tune to its noise).  Prints each accepted step
and the figures of the result; copy the values into
``[model]`` in areas.toml.  Never run it on a frozen test split.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from cv_classifier import _value, cv_classifier, default_pool, fold_models, line, load_pool

from cnca_watch.classify import Blend, Vocabulary, load_vocabulary, package_blend
from cnca_watch.evaluate import BUILTIN_AREAS, EvalReport, LabelledRow, evaluate
from cnca_watch.ngram import NgramModel
from cnca_watch.train import TrainOptions

GRID: dict[str, tuple[float, ...]] = {
    "weight": (2.0, 3.0, 4.0, 6.0),
    "add_threshold": (0.3, 0.5, 0.7, 0.9, 1.5),
    "secondary_min": (0.0, 0.05, 0.1, 0.2, 0.3),
    "secondary_relative": (0.0, 0.1, 0.2, 0.3, 0.5),
    "domain_in": (0.6, 0.7, 0.8, 0.9, 1.01),
}
AREA_THRESHOLDS = (0.5, 0.7, 0.9, 1.5)


def reports(
    rows: Sequence[LabelledRow], fresh: Sequence[LabelledRow], model_sets: Sequence[Sequence[NgramModel]], vocabulary: Vocabulary, blend: Blend
) -> list[EvalReport]:
    """Title and title+body reports on the pool and its fresh rows, for each set of fold
    models (one set per training seed: a blend must hold whatever order the rows were seen in)."""
    found = []
    for models in model_sets:
        run = cv_classifier(models, vocabulary, blend)
        for use_body in (False, True):
            found.append(evaluate(rows, vocabulary, use_body=use_body, classifier=run))
            if fresh:
                found.append(evaluate(fresh, vocabulary, use_body=use_body, classifier=run))
    return found


def objective(found: Sequence[EvalReport]) -> float:
    return sum(((r.macro_f1 or 0.0) + r.primary_accuracy) / 2 for r in found) / len(found)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pool", nargs="*", type=Path)
    parser.add_argument("--fresh", nargs="*", type=Path, default=None)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--cache", type=Path, default=Path("/tmp/cnca-watch-cv"))
    parser.add_argument("--train", nargs="*", default=[], help="training option overrides, e.g. max_n=4")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--seeds", nargs="*", type=int, default=[], help="training seeds (default: the options' own); the objective is their mean")
    args = parser.parse_args(argv)
    rows, train_rows, fresh_parts = load_pool(args.pool or default_pool(), args.fresh)
    fresh = [row for part in fresh_parts.values() for row in part]
    defaults = TrainOptions()
    options = replace(defaults, **{k: _value(v, getattr(defaults, k)) for k, v in (s.split("=", 1) for s in args.train)})
    models = [fold_models(train_rows, replace(options, seed=seed), args.folds, args.cache) for seed in args.seeds or [options.seed]]
    vocabulary = load_vocabulary()
    blend = package_blend()
    found = reports(rows, fresh, models, vocabulary, blend)
    best = objective(found)
    print(f"start {best:.4f} {blend}")
    for _ in range(args.rounds):
        changed = False
        for name, values in GRID.items():
            for value in values:
                candidate = replace(blend, **{name: value})
                tried = reports(rows, fresh, models, vocabulary, candidate)
                if objective(tried) > best + 1e-4:
                    best, blend, found, changed = objective(tried), candidate, tried, True
                    print(f"  {name} = {value}: {best:.4f}", flush=True)
        for area in BUILTIN_AREAS:
            for value in AREA_THRESHOLDS:
                candidate = replace(blend, add_thresholds={**blend.add_thresholds, area: value})
                tried = reports(rows, fresh, models, vocabulary, candidate)
                if objective(tried) > best + 1e-4:
                    best, blend, found, changed = objective(tried), candidate, tried, True
                    print(f"  add_thresholds.{area} = {value}: {best:.4f}", flush=True)
        if not changed:
            break
    print(f"best {best:.4f} {blend}")
    names = ("title pool", "title fresh", "title+body pool", "title+body fresh") if fresh else ("title pool", "title+body pool")
    for i, report in enumerate(found):
        print(line(f"{names[i % len(names)]} #{i // len(names)}", report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
